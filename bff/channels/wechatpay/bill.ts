// The WeChat Pay adapter's daily trade bill (channel-protocols.md §1.9): apply for the day's bill (a signed GET whose
// signed answer names a download URL and the file's SHA1), download it (a signed GET whose answer is NOT signed,
// §1.2), then gunzip, hash and parse it as it streams, so a million-line bill is never held in memory.

import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { parseDay } from '../../../shared/channels/beijing-time.ts';
import { BillError, isBillError } from '../../bills/types.ts';
import { parseWechatTradeBill } from '../../bills/wechatpay.ts';
import type { WechatpayCredentials } from '../../keys/index.ts';
import { unixSeconds } from '../crypto-util.ts';
import type { HttpOptions } from '../index.ts';
import type { BillOutcome } from '../types.ts';
import { authorization } from './crypto.ts';

/** One signed, verified exchange with WeChat (adapter.ts `client`): no answer, an unverifiable one, or an answer. */
export type BillExchange = (
  method: 'GET',
  path: string,
) => Promise<
  | { readonly kind: 'transport'; readonly reason: string }
  | { readonly kind: 'unverified'; readonly reason: string }
  | { readonly kind: 'answer'; readonly status: number; readonly json: unknown; readonly requestId: string }
>;

export interface TradeBillDeps {
  readonly credentials: WechatpayCredentials;
  readonly http: HttpOptions;
  readonly exchange: BillExchange;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorFields(json: unknown, status: number): { code: string; message: string } {
  return {
    code: isRecord(json) && typeof json.code === 'string' ? json.code : `HTTP_${status}`,
    message: isRecord(json) && typeof json.message === 'string' ? json.message : `HTTP ${status}`,
  };
}

/**
 * The ALL bill of clearing day `day`, gzip-compressed on the wire. WeChat's answers map as its FAQ advises
 * (pay.weixin.qq.com/doc/v3/merchant/4013071254): STATEMENT_CREATING "账单生成中" → not-ready (ask again after 10:00,
 * then every half hour); NO_STATEMENT_EXIST "请求的账单文件不存在" → no-bill (no trade or refund that day). SYSTEM_ERROR,
 * 5xx, 429, silence and unverifiable answers → unknown; PARAM_ERROR, INVALID_REQUEST (bill_date outside the last three
 * months), NO_AUTH, SIGN_ERROR → failed.
 */
export async function fetchTradeBill(deps: TradeBillDeps, day: string): Promise<BillOutcome> {
  if (!DAY.test(day) || parseDay(day) === undefined) {
    return { kind: 'failed', code: 'invalid_day', message: `${JSON.stringify(day)} is not a day such as 2026-11-26` };
  }

  // bill_type ALL: payments and refunds of the day (§1.9); GZIP: the wire carries a fraction of the CSV's size.
  const answer = await deps.exchange('GET', `/v3/bill/tradebill?bill_date=${day}&bill_type=ALL&tar_type=GZIP`);
  if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status !== 200) {
    const { code, message } = errorFields(answer.json, answer.status);
    const traced = `${code}: ${message}${answer.requestId ? ` (Request-ID ${answer.requestId})` : ''}`;
    if (code === 'STATEMENT_CREATING') return { kind: 'not-ready', message: traced };
    if (code === 'NO_STATEMENT_EXIST') return { kind: 'no-bill', message: traced };
    if (answer.status >= 500 || answer.status === 429 || answer.status < 400 || code === 'SYSTEM_ERROR') return { kind: 'unknown', reason: traced };
    return { kind: 'failed', code, message };
  }

  const json = answer.json;
  if (!isRecord(json) || json.hash_type !== 'SHA1' || typeof json.hash_value !== 'string' || !SHA1_HEX.test(json.hash_value)) {
    return { kind: 'unknown', reason: 'tradebill answer without a SHA1 hash_type and hash_value' };
  }
  const downloadUrl = typeof json.download_url === 'string' && URL.canParse(json.download_url) ? new URL(json.download_url) : undefined;
  if (downloadUrl === undefined || !['https:', 'http:'].includes(downloadUrl.protocol)) {
    return { kind: 'unknown', reason: 'tradebill answer without a usable download_url' };
  }
  return download(deps, downloadUrl, json.hash_value.toLowerCase());
}

/**
 * The download (pay.weixin.qq.com/docs/partner/apis/payroll-card/bill/download-bill.html): signed like any v3 call,
 * answered with the bare file and no Wechatpay-* headers, so it is trusted only through the hash from the signed
 * application. Any answer but 200 leaves the bill unknown: it is unsigned, and an expired URL (INVALID_REQUEST) is
 * mended by applying again.
 */
async function download(deps: TradeBillDeps, url: URL, expectedSha1: string): Promise<BillOutcome> {
  const { credentials, http } = deps;
  const now = http.now?.() ?? new Date();
  const controller = new AbortController();
  const timeoutMs = http.timeoutMs;
  const headersTimer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  headersTimer.unref?.();
  let response: Response;
  try {
    response = await (http.fetch ?? fetch)(url.href, {
      method: 'GET',
      headers: {
        // Signed over the path and query exactly as requested (§1.1): the token and any `tartype` parameter included.
        Authorization: authorization({
          mchid: credentials.mchid,
          serialNo: credentials.merchantSerialNo,
          privateKey: credentials.merchantPrivateKey,
          method: 'GET',
          url: `${url.pathname}${url.search}`,
          body: '',
          timestamp: unixSeconds(now.getTime()),
        }),
        'User-Agent': 'unified-cashier (wechatpay-apiv3)',
      },
      signal: controller.signal,
    });
  } catch (error) {
    const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : `network error: ${(error as Error).message}`;
    return { kind: 'unknown', reason: `bill download: ${why}` };
  } finally {
    clearTimeout(headersTimer);
  }
  if (response.status !== 200 || response.body === null) {
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const { code, message } = errorFields(json, response.status);
    return { kind: 'unknown', reason: `bill download answered ${response.status} ${code}: ${message}` };
  }
  const chunks = checkedChunks(response.body, expectedSha1, timeoutMs, controller);
  return { kind: 'ready', bill: parseWechatTradeBill(chunks) };
}

/**
 * The file's bytes: gunzipped as they arrive (node:zlib), hashed with SHA1 as they pass, and, once the stream ends,
 * compared with hash_value ("原始账单（gzip需要解压缩）的摘要值", §1): a mismatch is thrown where the parser reads it, so the
 * bill's `summary` rejects with that BillError. A network that goes quiet for `idleMs` while we wait for bytes ends the
 * download; time the reader spends elsewhere does not count.
 */
async function* checkedChunks(
  body: ReadableStream<Uint8Array>,
  expectedSha1: string,
  idleMs: number,
  controller: AbortController,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha1');
  const gunzip = createGunzip();
  // Errors of either side end up in gunzip, whose iterator throws them below.
  pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), gunzip, () => undefined);
  const iterator: AsyncIterator<Buffer> = gunzip[Symbol.asyncIterator]();
  try {
    for (;;) {
      const idle = setTimeout(() => {
        // Aborting the request closes the connection; destroying gunzip ends the wait whatever the body's source.
        const reason = new Error(`no data for ${idleMs} ms`);
        controller.abort(reason);
        gunzip.destroy(reason);
      }, idleMs);
      idle.unref?.();
      let step: IteratorResult<Buffer>;
      try {
        step = await iterator.next();
      } catch (error) {
        throw downloadError(error);
      } finally {
        clearTimeout(idle);
      }
      if (step.done) break;
      hash.update(step.value);
      yield step.value;
    }
  } finally {
    // Also when the reader stops early: the connection is let go.
    gunzip.destroy();
  }
  const actual = hash.digest('hex');
  if (actual !== expectedSha1) {
    // bills/types.ts has no code for an integrity failure; unexpected_content (not the file WeChat described) is nearest.
    throw new BillError(
      'unexpected_content',
      `the bill's SHA1 is ${actual}, not the ${expectedSha1} WeChat stated (hash_value): the file was altered or cut`,
    );
  }
}

function downloadError(error: unknown): BillError {
  if (isBillError(error)) return error;
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : '';
  if (code.startsWith('Z_')) return new BillError('bad_zip', `the bill is not a complete gzip file (${code})`);
  const why = error instanceof Error ? error.message : String(error);
  return new BillError('missing_summary', `the bill download broke off (${why}), so the file is incomplete`);
}
