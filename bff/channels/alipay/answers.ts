// Reading what Alipay says, shared by the adapter's calls and its notification parser: the code / sub_code layer of
// a verified answer, which codes leave the outcome open, trade_status in our terms, and Alipay's wall-clock times
// (channel-protocols.md §2.3, §2.5, §2.6).

import { RULEBOOK, UNKNOWN } from '../../../shared/channels/index.ts';
import { parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import type { TradeState } from '../types.ts';

export interface Answer {
  readonly code: string;
  readonly subCode: string | undefined;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A string field, or undefined when absent or empty. */
export const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function answerOf(response: Readonly<Record<string, unknown>>): Answer {
  return {
    code: textOf(response.code) ?? '',
    subCode: textOf(response.sub_code),
    message: textOf(response.sub_msg) ?? textOf(response.msg) ?? 'no message',
    fields: response,
  };
}

/** Answers that leave the outcome open: it may or may not have happened (§2.5, RULEBOOK.alipay.query.unknownCodes). */
const UNKNOWN_CODES: ReadonlySet<string> = new Set([
  ...(RULEBOOK.alipay.query.unknownCodes === UNKNOWN ? [] : RULEBOOK.alipay.query.unknownCodes),
  // "系统异常错误下该笔交易可能成功也可能失败，请调用查询订单API" (Alipay's ACQ error table); for refunds "请使用相同
  // 的参数再次调用": unknown, not failed.
  'ACQ.SYSTEM_ERROR',
]);

/** A verified answer without a code says nothing either. */
export const isUnknown = (answer: Answer): boolean =>
  answer.code === '' || UNKNOWN_CODES.has(answer.code) || (answer.subCode !== undefined && UNKNOWN_CODES.has(answer.subCode));

/** trade_status through RULEBOOK.alipay.query.tradeStates; a state it does not list is pending, never guessed. */
export function mapTradeState(status: string): TradeState {
  const states = RULEBOOK.alipay.query.tradeStates;
  if (states === UNKNOWN) return 'pending';
  for (const state of ['succeeded', 'pending', 'closed', 'failed'] as const) {
    if (states[state].includes(status)) return state;
  }
  return states.otherwise;
}

/**
 * An Alipay time, Beijing wall clock: `yyyy-MM-dd HH:mm:ss`, or with milliseconds as gmt_refund has them ("格式为
 * yyyy-MM-dd HH:mm:ss.S", e.g. "2020-03-27 18:19:15.143" in a logged refund notification). Java's `S` prints the
 * millisecond count unpadded, so ".5" is 5 ms, not 500: the digits are read as a count, as Java parses them.
 */
export function parseAlipayTime(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(.{19})(?:\.(\d{1,3}))?$/.exec(text);
  if (!match) return undefined;
  const whole = parseBeijingTime(match[1]);
  if (!whole) return undefined;
  return match[2] === undefined ? whole : new Date(whole.getTime() + Number(match[2]));
}
