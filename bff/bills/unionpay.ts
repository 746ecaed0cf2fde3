// Streaming parser of UnionPay's merchant reconciliation file (全渠道商户对账文件): a ZIP holding the ZM file
// (INN{yyMMdd}88ZM_{merId}: one successful transaction per line, 42 fixed-width GBK fields, widths in bytes, one
// separator byte between fields) and the ZME file (errors and adjustments, not read here). Yields BillLines in fen.
//
// Sources: the official ACP SDK demo `parseZMFile` (field widths, "参照《全渠道平台接入接口规范 第3部分 文件接口》
// 6.1 ZM文件"; its later copies cut fields out of the line's bytes and decode them as GBK, "文件是gbk编码"), the
// official demo's file names (`802310048993424_20150905.zip` holding `INN15090588ZM_802310048993424`, found by
// "ZM_" in the name), a published test-environment ZM file (pingjianwei/csv_parser `tests/INN17071888ZM_
// 898319849000018`: 607-byte lines, space separators, CRLF line ends, `S22` rows, merCharge `D000000000024` on a
// 2,500,000-fen txnAmt with settleAmt `C000002499976`) and integrators' field lists (lyonliyang/demo UnionField;
// a 交广科技 export naming 商户手续费 "X+n12标示D/C").

import type { UnzipFile } from 'fflate';
import { parseBeijingStamp } from '../../shared/channels/beijing-time.ts';
import { BillError, toParsedBill, type BillLine, type ParsedBill, type UnionpayBillSummary } from './types.ts';
import { unzipEntries } from './zip.ts';

/** The ZM file's 42 field widths in bytes, in order (official SDK parseZMFile). */
export const ZM_FIELD_WIDTHS = [
  3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13,
  13, 12, 2, 1, 32, 98,
] as const;

/** A line's length in bytes: the fields plus one separator byte between each two (607; the published file agrees). */
export const ZM_LINE_BYTES = ZM_FIELD_WIDTHS.reduce((sum, width) => sum + width, 0) + ZM_FIELD_WIDTHS.length - 1;

/**
 * The fields this parser reads, by their 1-based position in §6.1 (names as the integrators' lists give them).
 * `origOrderId` (41, 原始交易订单号) is named only by third parties (parana_unionpay_trans schema, csv_parser's field
 * map); it is used when filled and never required.
 */
export const ZM_FIELDS = {
  tradeCode: 1, // 交易代码
  traceNo: 4, // 系统跟踪号
  txnTime: 5, // 交易传输时间 MMDDhhmmss
  txnAmt: 7, // 交易金额, 12 digits of fen
  queryId: 10, // 查询流水号
  orderId: 12, // 商户订单号
  merCharge: 16, // 商户手续费, D/C + 12 digits of fen
  settleAmt: 17, // 结算金额, D/C + 12 digits of fen
  txnType: 20, // 交易类型
  origQryId: 27, // 原交易查询流水号
  merId: 28, // 商户代码
  reqReserved: 35, // 商户自定义域
  origOrderId: 41, // 原始交易订单号 [3P]
} as const;
export type ZmField = keyof typeof ZM_FIELDS;

/** Byte offset of each field (0-based), derived from the widths. */
const OFFSETS: readonly number[] = ZM_FIELD_WIDTHS.reduce<number[]>((offsets, width, index) => {
  offsets.push(index === 0 ? 0 : (offsets[index - 1] as number) + (ZM_FIELD_WIDTHS[index - 1] as number) + 1);
  return offsets;
}, []);

/** txnType → line kind: 01 consume, 04 refund (退货) (§3.3). Anything else moves money we never asked for. */
const KINDS: Readonly<Record<string, BillLine['kind']>> = { '01': 'payment', '04': 'refund' };

// The published file writes D (debit: the merchant pays) on merCharge and C (credit) on settleAmt for a consume.
// Zero-valued amount fields in it carry a blank sign (" 000000000000"), so a blank is accepted too. On refunds
// the sign is expected the other way round (the fee goes back to the merchant) [UNVERIFIED]: the parser takes the
// magnitude and leaves the sign to whoever needs it.
const SIGNED_FEN = /^([CD ])(\d{12})$/;
const FEN = /^\d{12}$/;
const LATIN1 = new TextDecoder('latin1');

export interface UnionpayBillOptions {
  /**
   * The clearing day asked for (`YYYY-MM-DD`). The ZM file's name carries yyMMdd; with both, they must agree.
   * txnTime has no year: it is taken from this day (a December line in a January file is the year before).
   */
  readonly day?: string;
  /** Our merId: a line for another merchant is refused. */
  readonly merId?: string;
}

/** Splits bytes into lines on LF (a CR before it is dropped), carrying the unfinished tail between chunks. */
function createByteLineSplitter() {
  let carry = new Uint8Array(0);
  const split = (chunk: Uint8Array, end: boolean): Uint8Array[] => {
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      let line = chunk.subarray(start, nl);
      if (carry.length > 0) {
        const joined = new Uint8Array(carry.length + line.length);
        joined.set(carry);
        joined.set(line, carry.length);
        line = joined;
        carry = new Uint8Array(0);
      }
      lines.push(line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      const joined = new Uint8Array(carry.length + rest.length);
      joined.set(carry);
      joined.set(rest, carry.length);
      carry = joined;
    }
    if (end && carry.length > 0) {
      lines.push(carry[carry.length - 1] === 0x0d ? carry.subarray(0, -1) : carry);
      carry = new Uint8Array(0);
    }
    return lines;
  };
  return { push: (chunk: Uint8Array) => split(chunk, false), end: () => split(new Uint8Array(0), true) };
}

/** `YYYY-MM-DD` → its parts, or undefined. */
function dayParts(day: string): { year: number; monthDay: string } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match || !parseBeijingStamp(`${match[1]}${match[2]}${match[3]}000000`)) return undefined;
  return { year: Number(match[1]), monthDay: `${match[2]}${match[3]}` };
}

/** The clearing day in a ZM entry name (`INN` + yyMMdd + two digits + `ZM_`), as `YYYY-MM-DD`. */
export function dayOfZmName(name: string): string | undefined {
  const match = /INN(\d{2})(\d{2})(\d{2})\d{2}ZM_/.exec(name);
  if (!match) return undefined;
  const day = `20${match[1]}-${match[2]}-${match[3]}`;
  return dayParts(day) ? day : undefined;
}

/** The line-by-line reader of one ZM file: `push` turns a line's bytes into a BillLine (or nothing, for a blank line). */
function createZmReader(day: string, merId: string | undefined) {
  const settle = dayParts(day);
  if (!settle) throw new BillError('bad_header', `${JSON.stringify(day)} is not a clearing day such as 2026-11-26`);
  const gbk = new TextDecoder('gbk', { fatal: true });
  let lineNo = 0;
  const summary = { rows: 0, paymentTotal: 0, refundTotal: 0 };

  const push = (bytes: Uint8Array): BillLine | undefined => {
    lineNo += 1;
    const line = lineNo;
    if (bytes.length === 0) return undefined;
    if (bytes.length !== ZM_LINE_BYTES) {
      throw new BillError('field_count', `the line is ${bytes.length} bytes; a ZM line is ${ZM_LINE_BYTES} (42 fixed-width fields)`, line);
    }
    for (let index = 1; index < OFFSETS.length; index += 1) {
      if (bytes[(OFFSETS[index] as number) - 1] !== 0x20) {
        throw new BillError('bad_row', `no space separator before field ${index + 1}: the fields are misaligned`, line);
      }
    }
    const raw = (name: ZmField): Uint8Array => {
      const index = ZM_FIELDS[name] - 1;
      const start = OFFSETS[index] as number;
      return bytes.subarray(start, start + (ZM_FIELD_WIDTHS[index] as number));
    };
    const text = (name: ZmField): string => {
      try {
        return gbk.decode(raw(name)).trimEnd();
      } catch {
        throw new BillError('bad_encoding', `${name} is not valid GBK (a character cut by the field's edge?)`, line, name);
      }
    };

    const txnType = text('txnType');
    const kind = KINDS[txnType];
    if (kind === undefined) {
      // Never skip a line silently: a void (31) or anything else we do not send still moves money.
      throw new BillError('unknown_row_type', `txnType ${JSON.stringify(txnType)} is neither 01 (consume) nor 04 (refund)`, line, 'txnType');
    }
    const tradeCode = text('tradeCode');
    if (!/^[0-9A-Z]{3}$/.test(tradeCode)) throw new BillError('bad_row', `交易代码 ${JSON.stringify(tradeCode)} is not three letters or digits`, line, 'tradeCode');
    const amountText = text('txnAmt');
    if (!FEN.test(amountText)) throw new BillError('bad_amount', `txnAmt ${JSON.stringify(amountText)} is not 12 digits of fen`, line, 'txnAmt');
    const feeMatch = SIGNED_FEN.exec(LATIN1.decode(raw('merCharge')));
    if (!feeMatch) throw new BillError('bad_fee', 'merCharge is not C/D + 12 digits of fen', line, 'merCharge');
    if (!SIGNED_FEN.test(LATIN1.decode(raw('settleAmt')))) {
      throw new BillError('bad_amount', 'settleAmt is not C/D + 12 digits of fen', line, 'settleAmt');
    }
    const at = atOf(text('txnTime'), settle);
    if (!at) throw new BillError('bad_time', `txnTime ${JSON.stringify(text('txnTime'))} is not a MMDDhhmmss time`, line, 'txnTime');
    const orderId = text('orderId');
    if (!/^\S+$/.test(orderId)) throw new BillError('bad_row', 'orderId (商户订单号) is empty', line, 'orderId');
    const queryId = text('queryId');
    if (!/^\S+$/.test(queryId)) throw new BillError('bad_row', 'queryId (查询流水号) is empty', line, 'queryId');
    const lineMerId = text('merId');
    if (merId !== undefined && lineMerId !== merId) throw new BillError('bad_row', `the line is for merId ${JSON.stringify(lineMerId)}, not ours`, line, 'merId');
    const attach = text('reqReserved');
    const amount = Number(amountText);
    const fee = Number(feeMatch[2]);

    summary.rows += 1;
    if (kind === 'payment') {
      summary.paymentTotal += amount;
      return { kind, channelOrderNo: orderId, channelTradeNo: queryId, amount, fee, status: tradeCode, at, ...(attach === '' ? {} : { attach }), line };
    }
    // A refund is its own transaction at UnionPay: its orderId is our refund number and its queryId its own; the
    // payment is named by origQryId, and (where the file fills field 41) by its orderId.
    const origQryId = text('origQryId');
    if (!/^\S+$/.test(origQryId)) throw new BillError('bad_row', 'a refund line without origQryId (原交易查询流水号)', line, 'origQryId');
    const origOrderId = text('origOrderId');
    summary.refundTotal += amount;
    return {
      kind,
      channelOrderNo: /^\S+$/.test(origOrderId) ? origOrderId : orderId,
      channelTradeNo: origQryId,
      refundNo: orderId,
      channelRefundNo: queryId,
      amount,
      fee,
      status: tradeCode,
      at,
      ...(attach === '' ? {} : { attach }),
      line,
    };
  };

  const finish = (): UnionpayBillSummary => ({ channel: 'unionpay', ...summary });
  return { push, finish };
}

/** txnTime (MMDDhhmmss, Beijing) with the settle day's year, or the year before when its month-day is later. */
function atOf(txnTime: string, settle: { year: number; monthDay: string }): Date | undefined {
  if (!/^\d{10}$/.test(txnTime)) return undefined;
  const year = txnTime.slice(0, 4) > settle.monthDay ? settle.year - 1 : settle.year;
  return parseBeijingStamp(`${year}${txnTime}`);
}

/**
 * Parses an already-unzipped ZM file (GBK bytes, any chunking). Lines: txnType 01 → payment (channelOrderNo =
 * orderId, channelTradeNo = queryId); 04 → refund (refundNo = the refund's own orderId, channelRefundNo = its
 * queryId, channelTradeNo = origQryId, channelOrderNo = field 41's original orderId when filled, else the refund's
 * orderId). amount = txnAmt; fee = |merCharge| (charged on payments, returned on refunds); status = 交易代码 (the
 * file lists successful transactions only, so there is no status column); at = txnTime in the year of `day`;
 * attach = 商户自定义域 (reqReserved). The file has no summary lines: the summary counts what was read.
 */
export function parseUnionpayZm(chunks: AsyncIterable<Uint8Array>, options: UnionpayBillOptions & { readonly day: string }): ParsedBill<UnionpayBillSummary> {
  return toParsedBill(async function* () {
    const reader = createZmReader(options.day, options.merId);
    const splitter = createByteLineSplitter();
    for await (const chunk of chunks) {
      for (const bytes of splitter.push(chunk)) {
        const line = reader.push(bytes);
        if (line !== undefined) yield line;
      }
    }
    for (const bytes of splitter.end()) {
      const line = reader.push(bytes);
      if (line !== undefined) yield line;
    }
    return reader.finish();
  });
}

/** The entry's base name; the ZM file is the one whose name has "ZM_" (official demo), never the ZME file. */
function isZmEntry(file: UnzipFile): boolean {
  const base = file.name.slice(file.name.lastIndexOf('/') + 1);
  return base.includes('ZM_');
}

/**
 * Parses the bill ZIP as UnionPay's file transfer delivers it (after base64 and zlib, see the adapter). The ZM
 * entry is read as it inflates; every other entry is discarded. Its clearing day comes from its name (yyMMdd) and
 * must match `options.day` when both are known. Memory is bounded by one input chunk's inflated size.
 */
export function parseUnionpayBillZip(chunks: AsyncIterable<Uint8Array>, options: UnionpayBillOptions = {}): ParsedBill<UnionpayBillSummary> {
  return toParsedBill(async function* () {
    let zm: { name: string; reader: ReturnType<typeof createZmReader> } | undefined;
    let done = false;
    yield* unzipEntries<BillLine>(chunks, (file, out) => {
      if (!isZmEntry(file)) return undefined; // read through, dropped
      if (zm) throw new BillError('no_detail_entry', `two ZM files in the ZIP: ${zm.name} and ${file.name}`);
      const named = dayOfZmName(file.name);
      if (named !== undefined && options.day !== undefined && named !== options.day) {
        throw new BillError('bad_header', `the ZM file ${file.name} is for ${named}, not ${options.day}`);
      }
      const day = named ?? options.day;
      if (day === undefined) throw new BillError('bad_header', `the ZM file name ${file.name} carries no INN{yyMMdd} date and no day was given`);
      const reader = createZmReader(day, options.merId);
      zm = { name: file.name, reader };
      const splitter = createByteLineSplitter();
      const feed = (lines: Uint8Array[]) => {
        for (const bytes of lines) {
          const line = reader.push(bytes);
          if (line !== undefined) out.push(line);
        }
      };
      return (data, final) => {
        feed(splitter.push(data));
        if (final) {
          feed(splitter.end());
          done = true;
        }
      };
    });
    if (!zm) throw new BillError('no_detail_entry', 'the ZIP has no ZM file (INN…ZM_{merId})');
    if (!done) throw new BillError('bad_zip', `the ZIP ends inside ${zm.name}`);
    return zm.reader.finish();
  });
}
