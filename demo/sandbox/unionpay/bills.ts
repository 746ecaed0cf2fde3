// UnionPay's merchant reconciliation file in the sandbox: the file-transfer request (txnType 76, official API
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=791 and demo Form_7_2_FileTransfer), a day's bill
// rows written as the ZM file (42 fixed-width GBK fields, bff/bills/unionpay.ts gives the sources), zipped with an
// (empty) ZME file, DEFLATE-compressed with the zlib wrapper and base64-encoded into `fileContent`, the way the
// official SDK's deCodeFileContent undoes it (base64 → java.util.zip.Inflater → the ZIP file named fileName).

import { zipSync, zlibSync } from 'fflate';
import { encodeGbk } from '../../../bff/bills/generate.ts';
import { ZM_FIELDS, ZM_FIELD_WIDTHS, type ZmField } from '../../../bff/bills/unionpay.ts';
import { UNKNOWN, clearingDay } from '../../../shared/channels/index.ts';
import { formatBeijingStamp, parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';
import type { BillRow } from '../bills.ts';
import type { SandboxOrder } from '../order-book.ts';
import { RESP, TXN_TIME_WINDOW_MS, type Checked } from './messages.ts';

/** The path of the file-transfer service: the SDKs post to the host's root (acpsdk.fileTransUrl=https://filedownload.95516.com/). */
export const FILE_TRANSFER_PATH = '/';

/**
 * respCode when there is no file to give: 98 is what integrators handle as "no bill" (hand-hap hpay
 * UnionBillDownloadServiceImpl: `"98".equals(respCode)` → noBill; the official demo pages list "respcode=99、98" as
 * the file download's FAQ). UnionPay's wording and whether a file not yet made answers the same: [UNVERIFIED]; the
 * sandbox answers 98 for both, with different messages.
 */
export const NO_FILE = '98';

/**
 * 交易代码 (field 1): S22 is what the published test-environment file prints on every consume line; the code of a
 * refund line is [UNVERIFIED] (no source found), so the sandbox writes S30 and readers go by txnType (field 20).
 */
export const TRADE_CODE = { payment: 'S22', refund: 'S30' } as const;

/** What the file-transfer request must carry (acpAPIId=791): txnType 76, txnSubType 01 对账文件下载, bizType 000000. */
export function checkFileRequest(fields: Record<string, string>, now: Date): Checked {
  for (const name of ['txnType', 'txnSubType', 'bizType', 'accessType', 'txnTime', 'fileType', 'settleDate']) {
    if ((fields[name] ?? '') === '') return { ok: false, respCode: RESP.missing, respMsg: `${name}不能为空` };
  }
  if (fields.txnType !== '76' || fields.txnSubType !== '01') return { ok: false, respCode: RESP.format, respMsg: 'txnType或txnSubType无效' };
  if (fields.bizType !== '000000') return { ok: false, respCode: RESP.format, respMsg: 'bizType无效' };
  if (fields.accessType !== '0') return { ok: false, respCode: RESP.format, respMsg: 'accessType无效[沙箱仅支持商户直连接入0]' };
  // "一般商户填写00即可" (official demo): the merchant reconciliation file.
  if (fields.fileType !== '00') return { ok: false, respCode: RESP.format, respMsg: 'fileType无效[沙箱仅支持00]' };
  // "订单发送时间…必须取当前时间，否则会报txnTime无效" (official demo comment on this request).
  const txnTime = parseBeijingStamp(fields.txnTime ?? '');
  if (!txnTime || Math.abs(txnTime.getTime() - now.getTime()) > TXN_TIME_WINDOW_MS) return { ok: false, respCode: RESP.format, respMsg: 'txnTime无效' };
  if (settleDay(fields.settleDate ?? '', now) === undefined) return { ok: false, respCode: RESP.format, respMsg: 'settleDate无效[MMDD]' };
  return { ok: true, fields };
}

/**
 * The clearing day (`YYYY-MM-DD`) a settleDate (MMDD, no year) names: the latest such day that is not after the
 * current clearing day by the channel's clock.
 */
export function settleDay(settleDate: string, now: Date): string | undefined {
  const match = /^(\d{2})(\d{2})$/.exec(settleDate);
  const current = clearingDay('unionpay', now);
  if (!match || current === UNKNOWN) return undefined;
  let year = Number(current.slice(0, 4));
  if (`${match[1]}${match[2]}` > current.slice(5).replace('-', '')) year -= 1;
  return parseBeijingStamp(`${year}${match[1]}${match[2]}000000`) ? `${year}-${match[1]}-${match[2]}` : undefined;
}

/** fileName and the ZIP's entries as the official demo shows them: 802310048993424_20150905.zip ∋ INN15090588ZM_802310048993424. */
export function billFileNames(merId: string, day: string): { zip: string; zm: string; zme: string } {
  const compact = day.replaceAll('-', '');
  return { zip: `${merId}_${compact}.zip`, zm: `INN${compact.slice(2)}88ZM_${merId}`, zme: `INN${compact.slice(2)}88ZME_${merId}` };
}

/** fileContent: base64 of the zlib-wrapped DEFLATE of the ZIP (what java.util.zip.Inflater in deCodeFileContent reads). */
export function fileContentOf(zip: Uint8Array): string {
  return Buffer.from(zlibSync(zip)).toString('base64');
}

/** The bill ZIP of one clearing day: the ZM file (CRLF line ends, as the published file has them) and an empty ZME. */
export function billZip(merId: string, day: string, rows: readonly BillRow[], refundOf: (refundNo: string) => SandboxOrder | undefined): Uint8Array {
  const lines = rows.map((row) => zmLine(row, row.kind === 'refund' && row.refundNo ? refundOf(row.refundNo) : undefined));
  const zm = new Uint8Array(lines.length * (lines[0]?.length ?? 0) + lines.length * 2);
  let offset = 0;
  for (const line of lines) {
    zm.set(line, offset);
    zm.set([0x0d, 0x0a], offset + line.length);
    offset += line.length + 2;
  }
  const names = billFileNames(merId, day);
  return zipSync({ [names.zm]: zm, [names.zme]: new Uint8Array(0) });
}

const twelve = (fen: number) => String(Math.abs(fen)).padStart(12, '0');

/**
 * One ZM line for a bill row. Values that the sandbox has no counterpart for (acquirer codes, card number, MCC,
 * payment method codes, 交易介质) are the published test file's. Signs: a consume's merCharge is D and its
 * settleAmt C (published file); a refund's are the other way round, the fee going back to the merchant [UNVERIFIED].
 */
export function zmLine(row: BillRow, refund: SandboxOrder | undefined): Uint8Array {
  const payment = row.kind === 'payment';
  const net = row.amount - row.fee;
  const settle = `${(net >= 0) === payment ? 'C' : 'D'}${twelve(net)}`;
  const values: Partial<Record<ZmField | number, string>> = {
    tradeCode: TRADE_CODE[row.kind],
    2: '48022901',
    3: '00040000',
    traceNo: (payment ? row.details.traceNo : refund?.details.traceNo) ?? '000000',
    txnTime: formatBeijingStamp(row.at).slice(4),
    6: '622280*********0000',
    txnAmt: twelve(row.amount),
    8: '4900',
    9: row.details.channelType || '07',
    queryId: payment ? row.tradeNo : (row.channelRefundNo ?? ''),
    11: '05',
    orderId: payment ? row.orderKey : (row.refundNo ?? ''),
    13: '01',
    // 原始交易的系统跟踪号 / 原始交易日期时间: the consume's, on a refund.
    14: payment ? '' : (row.details.traceNo ?? ''),
    15: payment ? '' : (row.details.traceTime ?? ''),
    merCharge: `${payment ? 'D' : 'C'}${twelve(row.fee)}`,
    settleAmt: settle,
    18: '0201',
    txnType: payment ? '01' : '04',
    21: payment ? '01' : '00',
    22: '000201',
    origQryId: payment ? '' : row.tradeNo,
    merId: row.merchant,
    30: '000000000000000',
    32: ' 000000000000',
    33: settle, // 清算净额
    34: '01080209',
    reqReserved: (payment ? row.details.reqReserved : refund?.details.reqReserved) ?? '',
    36: ' 000000000000',
    37: ' 000000000000',
    38: ' 00000000000',
    40: '7',
    origOrderId: payment ? '' : row.orderKey,
  };
  const byPosition = new Map<number, string>();
  for (const [key, value] of Object.entries(values)) {
    const position = key in ZM_FIELDS ? ZM_FIELDS[key as ZmField] : Number(key);
    if (value !== undefined) byPosition.set(position, value);
  }
  const width = ZM_FIELD_WIDTHS.reduce((sum, w) => sum + w, 0) + ZM_FIELD_WIDTHS.length - 1;
  const line = new Uint8Array(width).fill(0x20);
  let offset = 0;
  ZM_FIELD_WIDTHS.forEach((fieldWidth, index) => {
    line.set(fitGbk(byPosition.get(index + 1) ?? '', fieldWidth), offset);
    offset += fieldWidth + 1;
  });
  return line;
}

/** `text` in GBK, cut at a character boundary to `width` bytes; a character GBK lacks becomes `?`. */
function fitGbk(text: string, width: number): Uint8Array {
  const out: number[] = [];
  for (const character of text) {
    let bytes: Uint8Array;
    try {
      bytes = encodeGbk(character);
    } catch {
      bytes = Uint8Array.of(0x3f);
    }
    if (out.length + bytes.length > width) break;
    out.push(...bytes);
  }
  return Uint8Array.from(out);
}
