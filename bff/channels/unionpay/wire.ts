// The UnionPay (UPACP 5.1.0) wire details the adapter needs besides signatures: the raw `k=v&…` answer format of
// the synchronous APIs, Beijing wall-clock stamps (txnTime, payTimeout, traceTime) and how a txnTime is recovered
// from our channel order number, so a query can name the original transaction (channel-protocols.md §3.1, §3.3).

import type { UnionpayFields } from './crypto.ts';
import { parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';


/**
 * Parses a synchronous answer (appTransReq, backTransReq, queryTrans). Unlike notifications, these bodies are
 * not URL-encoded: values arrive raw (a `+` in signPubKeyCert is a plus), so URL-decoding them would break the
 * signature. The split follows the published clients: `&` separates pairs and the first `=` ends the key, except
 * inside `{…}`, where UnionPay nests sub-fields such as `{a=1&b=2}` (smartwalle/unionpay `internal/values.go`
 * keeps values undecoded; the official SDKs skip braces). A key sent twice keeps its last value.
 */
export function parseAnswer(body: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let depth = 0;
  let start = 0;
  const take = (end: number): void => {
    const pair = body.slice(start, end);
    const equals = topLevelEquals(pair);
    if (equals > 0) fields[pair.slice(0, equals)] = pair.slice(equals + 1);
  };
  for (let i = 0; i < body.length; i += 1) {
    const character = body[i];
    if (character === '{') depth += 1;
    else if (character === '}') depth = Math.max(0, depth - 1);
    else if (character === '&' && depth === 0) {
      take(i);
      start = i + 1;
    }
  }
  take(body.length);
  // A plain object again, so callers can spread it; keys come only from the body, values are data.
  return { ...fields };
}

function topLevelEquals(pair: string): number {
  let depth = 0;
  for (let i = 0; i < pair.length; i += 1) {
    const character = pair[i];
    if (character === '{') depth += 1;
    else if (character === '}') depth = Math.max(0, depth - 1);
    else if (character === '=' && depth === 0) return i;
  }
  return -1;
}

/**
 * The txnTime of the consume whose orderId is `channelOrderNo`, or undefined when the number carries no time.
 *
 * UnionPay names a transaction by orderId + txnTime, and a query must repeat both (§3.3). Our channel order
 * numbers (shared/channels `newChannelOrderNumber`) start with the Beijing time they were made, `yyMMddHHmmss`,
 * and the BFF makes one just before it pays. So the adapter sends that time as txnTime and reads it back from
 * the number when querying: nothing extra is stored, pay and query cannot disagree, and it is "now" to the
 * gateway. The published test messages use the same habit (U1–U3: the orderId ends with the txnTime).
 */
export function txnTimeFromOrderNumber(channelOrderNo: string): string | undefined {
  const match = /^(\d{12})/.exec(channelOrderNo);
  if (!match?.[1]) return undefined;
  const stamp = `20${match[1]}`;
  return parseBeijingStamp(stamp) ? stamp : undefined;
}

/**
 * When the payment happened, as far as a UnionPay answer says: `traceTime` (`MMDDhhmmss`, Beijing) with the year
 * taken from the original txnTime (a trace in January after a December txnTime is the next year); txnTime alone
 * when traceTime is absent. 5.1.0 consume answers carry no completion time of their own.
 */
export function paidAtOf(fields: UnionpayFields): Date | undefined {
  const txnTime = fields.txnTime ?? '';
  const original = parseBeijingStamp(txnTime);
  const trace = fields.traceTime;
  if (!original) return undefined;
  if (!trace || !/^\d{10}$/.test(trace)) return original;
  let year = Number(txnTime.slice(0, 4));
  if (trace.slice(0, 4) < txnTime.slice(4, 8)) year += 1;
  return parseBeijingStamp(`${year}${trace}`) ?? original;
}

// The official demos warn that `&={}[]"'` in reqReserved can break the answer's parsing (answers are raw, see
// parseAnswer) and suggest full-width look-alikes when the text must stay readable in the bill.
const FULL_WIDTH: Readonly<Record<string, string>> = {
  '&': '＆',
  '=': '＝',
  '{': '｛',
  '}': '｝',
  '[': '［',
  ']': '］',
  '"': '＂',
  "'": '＇',
};

/** Merchant data for reqReserved (echoed in query, notification and bill), made safe for raw answers. */
export function reqReservedOf(attach: string | undefined): string | undefined {
  if (attach === undefined || attach === '') return undefined;
  return attach.replace(/[&={}[\]"']/g, (character) => FULL_WIDTH[character] ?? character);
}
