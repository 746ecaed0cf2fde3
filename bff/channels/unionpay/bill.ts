// UnionPay's daily bill over the file-transfer service (文件传输类交易, txnType 76 / txnSubType 01, official API
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=791): where to send it, and how its signed answer
// becomes a BillOutcome. `fileContent` is base64 of the zlib-wrapped DEFLATE of a ZIP (official SDK
// AcpService.deCodeFileContent: base64 decode, then SDKUtil.inflater = java.util.zip.Inflater, zlib by default).

import { Unzlib } from 'fflate';
import { UNKNOWN, billAvailableAt } from '../../../shared/channels/index.ts';
import { parseDay } from '../../../shared/channels/beijing-time.ts';
import { BillError } from '../../bills/types.ts';
import { parseUnionpayBillZip } from '../../bills/unionpay.ts';
import type { BillOutcome } from '../types.ts';

/**
 * The file-transfer URL for a gateway. UnionPay serves files from another host on its root path (official SDK
 * configs: acpsdk.fileTransUrl=https://filedownload.95516.com/, test https://filedownload.test.95516.com/); any
 * other gateway (the sandbox) serves them at its own origin's root.
 */
export function fileTransferUrl(gateway: string): string {
  const url = new URL(gateway);
  const host = url.hostname.toLowerCase();
  if (host === 'gateway.95516.com') return 'https://filedownload.95516.com/';
  if (host === 'gateway.test.95516.com') return 'https://filedownload.test.95516.com/';
  return `${url.origin}/`;
}

/** respCode 98: no file for the day (integrators treat it as "no bill"; see demo/sandbox/unionpay/bills.ts). */
export const NO_FILE = '98';

// Base64 is decoded a slice at a time (a multiple of 4 characters), so the ZIP is never held whole.
const SLICE = 64 * 1024;
const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const BASE64_END = /^[A-Za-z0-9+/]*={0,2}$/;

/** base64 → inflate (zlib) → the ZIP's bytes, as they come; a broken fileContent is a BillError('bad_zip'). */
export async function* inflateFileContent(fileContent: string): AsyncGenerator<Uint8Array> {
  if (fileContent.length === 0 || fileContent.length % 4 !== 0) throw new BillError('bad_zip', 'fileContent is not base64');
  const out: Uint8Array[] = [];
  let ended = false;
  const inflater = new Unzlib((chunk, final) => {
    out.push(chunk);
    if (final) ended = true;
  });
  for (let start = 0; start < fileContent.length; start += SLICE) {
    const part = fileContent.slice(start, start + SLICE);
    const last = start + SLICE >= fileContent.length;
    if (!(last ? BASE64_END : BASE64_BODY).test(part)) throw new BillError('bad_zip', 'fileContent is not base64');
    try {
      inflater.push(Buffer.from(part, 'base64'), last);
    } catch (error) {
      throw new BillError('bad_zip', `fileContent does not inflate: ${(error as Error).message}`);
    }
    yield* out.splice(0);
  }
  if (!ended) throw new BillError('bad_zip', 'fileContent ends inside its zlib stream');
}

/** The clearing day's settleDate (MMDD); undefined for a day that is not `YYYY-MM-DD`. */
export function settleDateOf(day: string): string | undefined {
  return parseDay(day) ? day.slice(5).replace('-', '') : undefined;
}

/**
 * A verified file-transfer answer as a BillOutcome. 00 with fileContent: the ZIP, parsed as it inflates (the
 * answer itself arrives whole, base64 in a form field, so streaming starts after it; UnionPay offers no other way).
 * 98 "no file": not-ready before the rulebook's bill time (09:00 on D+1), no-bill after it, since UnionPay answers
 * both cases alike as far as any source says. 03/04/05 and a missing respCode are unknown; anything else failed.
 */
export function billOutcome(
  answer: Readonly<Record<string, string | undefined>>,
  request: { readonly day: string; readonly settleDate: string; readonly merId: string; readonly now: Date; readonly unknownCodes: readonly string[] },
): BillOutcome {
  const respCode = answer.respCode ?? '';
  const respMsg = answer.respMsg ?? '';
  if (respCode === '00') {
    if (answer.settleDate !== undefined && answer.settleDate !== request.settleDate) return { kind: 'unknown', reason: `answer for settleDate ${answer.settleDate}` };
    const fileContent = answer.fileContent ?? '';
    if (fileContent === '') return { kind: 'unknown', reason: 'respCode 00 without fileContent' };
    return { kind: 'ready', bill: parseUnionpayBillZip(inflateFileContent(fileContent), { day: request.day, merId: request.merId }) };
  }
  if (respCode === NO_FILE) {
    const availableAt = billAvailableAt('unionpay', request.day);
    const early = availableAt !== UNKNOWN && request.now.getTime() < availableAt.getTime();
    return early ? { kind: 'not-ready', message: `respCode 98: ${respMsg}` } : { kind: 'no-bill', message: `respCode 98: ${respMsg}` };
  }
  if (respCode === '' || request.unknownCodes.includes(respCode)) return { kind: 'unknown', reason: `respCode ${respCode || '(none)'}: ${respMsg}` };
  return { kind: 'failed', code: respCode, message: respMsg || 'UnionPay refused the file transfer' };
}
