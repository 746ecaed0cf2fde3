// Reading WeChat Pay request bodies as the real API does (§1.6–1.8): a JSON object, fields typed and bounded, the
// first problem answered as PARAM_ERROR 400 naming the field. Shared by the prepay and refund endpoints.

import type { ErrorBody } from './protocol.ts';

export type Failure = { readonly ok: false; readonly status: number; readonly error: ErrorBody };

export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const failed = (value: unknown): value is Failure => isObject(value) && value.ok === false;

export function paramError(field: string, issue: string): Failure {
  return {
    ok: false,
    status: 400,
    error: { code: 'PARAM_ERROR', message: `参数错误：${field} ${issue}`, detail: { field, location: 'body', issue } },
  };
}

/** The body as a JSON object, or the PARAM_ERROR WeChat answers for anything else. */
export function jsonObject(raw: string): Record<string, unknown> | Failure {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, status: 400, error: { code: 'PARAM_ERROR', message: '请求体不是合法的 JSON' } };
  }
  return isObject(body) ? body : { ok: false, status: 400, error: { code: 'PARAM_ERROR', message: '请求体应为 JSON 对象' } };
}

/** A string field of at most `max` characters; `nonEmpty` refuses "" as well (as the refund fields do). */
export function optionalString(body: Record<string, unknown>, field: string, max: number, nonEmpty = false): string | undefined | Failure {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return paramError(field, '类型应为 string');
  if (nonEmpty && (value === '' || [...value].length > max)) return paramError(field, `长度应为 1-${max}`);
  if ([...value].length > max) return paramError(field, `长度超过 ${max}`);
  return value;
}

export function requiredString(body: Record<string, unknown>, field: string, max: number): string | Failure {
  const value = optionalString(body, field, max);
  if (value === undefined || value === '') return paramError(field, '为必填参数');
  return value;
}
