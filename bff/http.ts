// Request helpers shared by the BFF's routes: JSON bodies validated with valibot into structured 400s, and a
// canonical hash of a request for idempotency.

import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import * as v from 'valibot';
import type { Deps } from './deps.ts';
import { ApiError } from './errors.ts';
import type { MerchantRow, OrderRow } from './store/orders.ts';

/** Parses the JSON body against `schema`; bad JSON and each schema issue become a 400 naming the field. */
export async function parseJson<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
  }
  return parseWith(schema, body);
}

export function parseWith<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? undefined;
  throw new ApiError(400, 'invalid_request', field ? `${field}: ${issue.message}` : issue.message, field);
}

/** JSON with keys sorted at every level: equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The bearer token of the Authorization header, if well formed. */
export function bearer(c: Context): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{8,200})$/.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

/**
 * The origins that may use an order's cashier (CORS, return URLs, WeChat sign-in's way back): the order's own list,
 * else its merchant's, and the BFF's own origin, whose hand-off page (/checkout) runs the widget for any order.
 */
export function cashierOrigins(deps: Pick<Deps, 'publicUrl'>, order: Pick<OrderRow, 'allowed_origins'>, merchant: Pick<MerchantRow, 'allowed_origins'>): readonly string[] {
  const listed = order.allowed_origins ?? merchant.allowed_origins;
  return deps.publicUrl ? [...listed, new URL(deps.publicUrl).origin] : listed;
}
