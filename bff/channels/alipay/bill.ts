// The Alipay adapter's bill(day): alipay.data.dataservice.bill.downloadurl.query (signed, answer verified like every
// gateway call), then the short-lived link it returns downloaded as a stream straight into parseAlipayBillZip, so a
// bill of any size is never held whole (channel-protocols.md §2.9). Alipay's answers become BillOutcome kinds here.

import ky from 'ky';
import { UNKNOWN, billAvailableAt, shiftDay } from '../../../shared/channels/index.ts';
import { parseDay } from '../../../shared/channels/beijing-time.ts';
import { CashierError, RuleError } from '../../../shared/errors/index.ts';
import { parseAlipayBillZip } from '../../bills/alipay.ts';
import type { HttpOptions } from '../index.ts';
import type { BillOutcome } from '../types.ts';
import { answerOf, isUnknown, textOf, type Answer } from './answers.ts';
import type { AlipayGateway } from './gateway.ts';

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

/** "EMPTY_DATA_WITH_BILL_FILE：当天无账单业务数据&&可以获取到空数据账单文件" (AlipayDataDataserviceBillDownloadurlQueryResponse.java). */
const EMPTY_BILL_FILE_CODE = 'EMPTY_DATA_WITH_BILL_FILE';

/**
 * How long past the published bill hour "bill does not exist" is still read as "not generated yet". Alipay generates
 * the day "一般于次日 9 点前…特殊情况可能延迟" (the method's doc), and the 1.0 gateway gives the same
 * isp.bill_not_exist both for a bill not made yet and for a day with no business (solarhell/alipay-go README:
 * "账单尚未生成，或该日无交易"). A day later than the hour, a delay is the less likely reading. Our choice.
 */
export const BILL_NOT_EXIST_GRACE_MS = 24 * 60 * 60_000;

/** Slack for "is the day over": Alipay judges "today" on its clock, which may be a little behind ours. */
const CLOCK_SKEW_MS = 2 * 60_000;

/** A bill download that broke off after it began: the stream ends with this (lines and summary reject with it). */
export class BillDownloadError extends CashierError {
  override readonly name = 'BillDownloadError';
  override readonly code: 'download_stalled' | 'download_failed';

  constructor(code: 'download_stalled' | 'download_failed', message: string) {
    super(code, message);
    this.code = code;
  }
}

/** The sub_code without the 1.0 gateway's `isp.`/`isv.` prefix, upper case: the official table's spelling. */
function normalised(subCode: string | undefined): string {
  return (subCode ?? '').replace(/^(isp|isv|aop)\./i, '').replaceAll('-', '_').toUpperCase();
}

/**
 * A refusal of the download-URL query as a BillOutcome. The official table (opendocs.alipay.com/open/
 * e81ed5f1_alipay.data.dataservice.bill.downloadurl.query) names BILL_NOT_EXIST, NO_BILL_DATA, INVAILID_ARGUMENTS
 * (its spelling), BILL_DATE_BEFORE_REGISTRATION, TYPE_NOT_SUPPORTED, SYSTEM_RATE_LIMIT, USER_RATE_LIMIT and
 * UNKNOWN_ERROR; the 1.0 gateway prefixes some (isp.bill_not_exist, isv.invalid_arguments: see the sandbox's
 * bills.ts for the sources), so codes are compared without the prefix.
 */
export function billRefusal(result: Answer, day: string, now: Date): BillOutcome {
  const described = `${result.subCode ?? result.code}: ${result.message}`;
  if (isUnknown(result)) return { kind: 'unknown', reason: described };
  const dayEnds = new Date(`${shiftDay(day, 1)}T00:00:00+08:00`).getTime();
  switch (normalised(result.subCode)) {
    case 'BILL_NOT_EXIST': {
      const availableAt = billAvailableAt('alipay', day);
      const hour = availableAt === UNKNOWN ? dayEnds : availableAt.getTime();
      return now.getTime() < hour + BILL_NOT_EXIST_GRACE_MS
        ? { kind: 'not-ready', message: described }
        : { kind: 'no-bill', message: `${described} (still, a day after the bill hour: read as a day without business)` };
    }
    case 'NO_BILL_DATA':
      return { kind: 'no-bill', message: described };
    case 'INVALID_ARGUMENTS':
    case 'INVAILID_ARGUMENTS':
      // Alipay refuses a day that is not over yet this way ("不能查询当日…会返回参数不合法"): asked too early, not wrong.
      return now.getTime() < dayEnds + CLOCK_SKEW_MS ? { kind: 'not-ready', message: described } : { kind: 'failed', code: result.subCode ?? result.code, message: result.message };
    case 'SYSTEM_RATE_LIMIT':
    case 'USER_RATE_LIMIT':
    case 'UNKNOWN_ERROR':
      // "间隔1分钟后重试" / "稍后重试": nothing is known about the bill yet.
      return { kind: 'unknown', reason: described };
    default:
      return { kind: 'failed', code: result.subCode ?? result.code, message: result.message };
  }
}

export async function fetchAlipayBill(gateway: AlipayGateway, http: HttpOptions, now: () => Date, day: string): Promise<BillOutcome> {
  if (parseDay(day) === undefined) throw new RuleError('invalid_date', `${JSON.stringify(day)} is not a day such as 2026-11-26`, 'day');
  // bill_type trade: "商户基于支付宝交易收单的业务账单"; bill_date yyyy-MM-dd (AlipayDataDataserviceBillDownloadurlQueryModel).
  const answer = await gateway.call(BILL_METHOD, { bill_type: 'trade', bill_date: day }, { read: true });
  if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
  const result = answerOf(answer.response);
  if (result.code !== '10000') return billRefusal(result, day, now());
  // The day had no business: Alipay says so and offers an empty file, which has nothing to reconcile.
  if (result.fields.bill_file_code === EMPTY_BILL_FILE_CODE) return { kind: 'no-bill', message: `${EMPTY_BILL_FILE_CODE}: 当天无账单业务数据` };
  const url = textOf(result.fields.bill_download_url);
  if (url === undefined) return { kind: 'unknown', reason: 'a success answer without bill_download_url' };
  return download(url, http);
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/**
 * GETs the link (valid 30 s: asked for just now) and hands the body to the parser as it arrives. The first bytes are
 * read before answering `ready`: an expired link or an error page is `unknown` (ask for a new link later), not a bill
 * that fails to parse. No credentials go with the request: the link itself is the authorisation, and it came inside
 * the signed answer.
 */
async function download(url: string, http: HttpOptions): Promise<BillOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { kind: 'unknown', reason: 'bill_download_url is not a URL' };
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return { kind: 'unknown', reason: `bill_download_url is a ${target.protocol} link` };
  let response: Response;
  try {
    response = await ky.get(target, {
      timeout: http.timeoutMs,
      retry: { limit: http.readRetries, methods: ['get'], statusCodes: [] },
      throwHttpErrors: false,
      ...(http.fetch ? { fetch: http.fetch } : {}),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    return { kind: 'unknown', reason: name === 'TimeoutError' ? `the bill download did not start within ${http.timeoutMs} ms` : `bill download: transport error (${name})` };
  }
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    return { kind: 'unknown', reason: `bill download: HTTP ${response.status}` };
  }
  const reader = response.body.getReader();
  let head: Uint8Array;
  try {
    head = await readHead(reader, ZIP_SIGNATURE.length, http.timeoutMs);
  } catch (error) {
    await reader.cancel().catch(() => {});
    return { kind: 'unknown', reason: `bill download: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!ZIP_SIGNATURE.every((byte, i) => head[i] === byte)) {
    await reader.cancel().catch(() => {});
    const start = new TextDecoder().decode(head.subarray(0, 80)).replace(/\s+/g, ' ');
    return { kind: 'unknown', reason: `the bill download is not a ZIP (it starts ${JSON.stringify(start)}); the link may have expired` };
  }
  return { kind: 'ready', bill: parseAlipayBillZip(chunks(reader, head, http.timeoutMs)) };
}

/** Reads until at least `size` bytes (or the end) have come. */
async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>, size: number, idleMs: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < size) {
    const next = await withIdleTimeout(reader, idleMs);
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  return Buffer.concat(parts);
}

/** The body as the parser takes it: the bytes already read, then the rest as it streams in. */
async function* chunks(reader: ReadableStreamDefaultReader<Uint8Array>, head: Uint8Array, idleMs: number): AsyncGenerator<Uint8Array> {
  try {
    yield head;
    for (;;) {
      const next = await withIdleTimeout(reader, idleMs);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Ends the connection when the reader stops early (or the download failed); harmless after the end.
    await reader.cancel().catch(() => {});
  }
}

/** One read, which may wait at most `idleMs`: a body that stops flowing must not hold reconciliation forever. */
async function withIdleTimeout(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BillDownloadError('download_stalled', `the bill download stalled: nothing for ${idleMs} ms`)), idleMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } catch (error) {
    if (error instanceof Error && error.name === 'BillDownloadError') throw error;
    throw new BillDownloadError('download_failed', `the bill download broke off (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    clearTimeout(timer);
  }
}
