// Streaming parser of WeChat Pay's trade bill (bill_type ALL; channel-protocols.md §1.9, vector W7): UTF-8 with
// BOM, a header row, backtick-prefixed data rows split on "`,", then the 总交易单数… summary. Yields BillLines in
// fen as it reads; the summary promise settles once the last line has been read.

import { isMoneyError } from '../../shared/errors/index.ts';
import { parseYuan } from '../../shared/money/index.ts';
import { parseBeijingTime } from '../../shared/channels/beijing-time.ts';
import {
  BillError,
  decodeLines,
  parseSignedYuan,
  toParsedBill,
  type BillLine,
  type ParsedBill,
  type WechatBillSummary,
} from './types.ts';

/** The 27 columns of an ALL bill (§1.9 step 1). Other bill types carry fewer; columns are found by name. */
export const WECHAT_BILL_COLUMNS = [
  '交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型',
  '交易状态', '付款银行', '货币种类', '应结订单金额', '代金券金额', '微信退款单号', '商户退款单号', '退款金额',
  '充值券退款金额', '退款类型', '退款状态', '商品名称', '商户数据包', '手续费', '费率', '订单金额', '申请退款金额',
  '费率备注',
] as const;

/** The columns a BillLine is built from; a header without one of them is refused. */
const REQUIRED = [
  '交易时间', '微信订单号', '商户订单号', '交易状态', '微信退款单号', '商户退款单号', '退款金额', '退款状态',
  '商户数据包', '手续费', '订单金额',
] as const;

export const WECHAT_SUMMARY_COLUMNS = [
  '总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额',
] as const;

const SUMMARY_MARK = '总交易单数';
const SEPARATOR = ',`';

type Required = (typeof REQUIRED)[number];

/** Splits a backtick-prefixed row ("`a,`b,`") into its values (§1.9 parsing trick), or undefined if it is not one. */
function splitTicked(text: string): string[] | undefined {
  return text.charCodeAt(0) === 96 /* ` */ ? text.slice(1).split(SEPARATOR) : undefined;
}

function indexHeader(text: string, line: number): { width: number; at: Record<Required, number> } {
  if (text.startsWith('`')) {
    throw new BillError('missing_header', 'expected the header row (交易时间,公众账号ID,…) but found a data row', line);
  }
  const names = text.split(',');
  const at = {} as Record<Required, number>;
  for (const name of REQUIRED) {
    const index = names.indexOf(name);
    if (index === -1) {
      throw new BillError('missing_header', `the header row has no ${name} column (is this a WeChat trade bill?)`, line, name);
    }
    at[name] = index;
  }
  return { width: names.length, at };
}

function yuan(text: string, field: string, line: number): number {
  try {
    return parseYuan(text, field);
  } catch (error) {
    if (isMoneyError(error)) throw new BillError('bad_amount', error.message, line, field);
    throw error;
  }
}

function summaryCount(text: string, line: number): number {
  // The bill writes the count as a decimal ("45.0", W7).
  const match = /^(0|[1-9][0-9]{0,14})(?:\.0+)?$/.exec(text);
  if (!match) throw new BillError('bad_summary', `总交易单数 ${JSON.stringify(text)} is not a whole number`, line, '总交易单数');
  return Number(match[1]);
}

function parseSummary(names: string[], values: string[], line: number): WechatBillSummary {
  if (values.length !== names.length) {
    throw new BillError('field_count', `the summary row has ${values.length} fields, its header ${names.length}`, line);
  }
  const value = (name: (typeof WECHAT_SUMMARY_COLUMNS)[number]): string => {
    const index = names.indexOf(name);
    if (index === -1) throw new BillError('bad_summary', `the summary header has no ${name} column`, line - 1, name);
    return values[index] as string;
  };
  // Summary amounts may have one decimal ("0.0", W7) or a fee's five; all must still be whole fen.
  const fen = (name: (typeof WECHAT_SUMMARY_COLUMNS)[number]): number => {
    const parsed = parseSignedYuan(value(name), name, line, 'bad_summary');
    if (parsed.negative && name !== '手续费总金额') {
      throw new BillError('bad_summary', `${name} ${JSON.stringify(value(name))} is negative`, line, name);
    }
    return parsed.fen;
  };
  return {
    channel: 'wechatpay',
    rows: summaryCount(value('总交易单数'), line),
    settlementTotal: fen('应结订单总金额'),
    refundTotal: fen('退款总金额'),
    couponRefundTotal: fen('充值券退款总金额'),
    // A net total: refund rows may return fee. Negative would mean more returned than charged; kept as a number.
    feeTotal: (() => {
      const parsed = parseSignedYuan(value('手续费总金额'), '手续费总金额', line, 'bad_summary');
      return parsed.negative ? -parsed.fen : parsed.fen;
    })(),
    orderTotal: fen('订单总金额'),
    requestedRefundTotal: fen('申请退款总金额'),
  };
}

interface ScannedRow {
  readonly values: string[];
  readonly line: number;
  readonly header: ReturnType<typeof indexHeader>;
  readonly names: string[];
}

interface Scanned {
  readonly header: ReturnType<typeof indexHeader>;
  readonly names: string[];
  readonly summaryNames: string[];
  readonly summaryValues: string[];
  readonly summaryLine: number;
  readonly rows: number;
}

/**
 * The layout walk shared by both readers (§1.9 steps 1–4): yields each data row's values (field count checked)
 * and returns the header and the summary block. Blank lines are ignored; anything after the summary is refused.
 */
async function* scan(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ScannedRow, Scanned> {
  let lineNo = 0;
  let header: ReturnType<typeof indexHeader> | undefined;
  let names: string[] = [];
  let summaryNames: string[] | undefined;
  let summaryValues: string[] | undefined;
  let summaryLine = 0;
  let rows = 0;

  for await (const batch of decodeLines(chunks, 'utf-8')) {
    for (const text of batch) {
      lineNo += 1;
      if (text === '') continue; // blank lines carry nothing (the file ends with CRLF)
      if (summaryValues !== undefined) throw new BillError('unexpected_content', 'content after the summary row', lineNo);
      if (header === undefined) {
        header = indexHeader(text, lineNo);
        names = text.split(',');
        continue;
      }
      if (summaryNames !== undefined) {
        summaryValues = splitTicked(text);
        if (summaryValues === undefined) throw new BillError('bad_summary', 'the summary row must be backtick-prefixed', lineNo);
        if (summaryValues.length !== summaryNames.length) {
          throw new BillError('field_count', `the summary row has ${summaryValues.length} fields, its header ${summaryNames.length}`, lineNo);
        }
        summaryLine = lineNo;
        continue;
      }
      if (text.startsWith(SUMMARY_MARK)) {
        summaryNames = text.split(',');
        continue;
      }
      const values = splitTicked(text);
      if (values === undefined) throw new BillError('bad_row', 'a data row must start with a backtick (`)', lineNo);
      if (values.length !== header.width) {
        throw new BillError('field_count', `the row has ${values.length} fields, the header ${header.width}`, lineNo);
      }
      rows += 1;
      yield { values, line: lineNo, header, names };
    }
  }
  if (header === undefined) throw new BillError('missing_header', 'the bill is empty', 1);
  if (summaryNames === undefined || summaryValues === undefined) {
    throw new BillError('missing_summary', 'the bill ends without its 总交易单数 summary (truncated download?)', lineNo);
  }
  return { header, names, summaryNames, summaryValues, summaryLine, rows };
}

/** One data row with its values named by the header, exactly as written (backticks removed). */
export interface WechatBillRecord {
  readonly line: number;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * The bill as named text fields, the way vector W7 states it (its `expected` compares these strings): records
 * stream from `lines`; `summary` (summary header name → value) settles after the last record has been read.
 * For audits and tests; reconciliation uses parseWechatTradeBill.
 */
export function readWechatBillRecords(
  chunks: AsyncIterable<Uint8Array>,
): { readonly lines: AsyncIterable<WechatBillRecord>; readonly summary: Promise<Readonly<Record<string, string>>> } {
  return toParsedBill(async function* () {
    const rows = scan(chunks);
    for (;;) {
      const step = await rows.next();
      if (step.done) {
        const { summaryNames, summaryValues } = step.value;
        return Object.fromEntries(summaryNames.map((name, i) => [name, summaryValues[i] ?? '']));
      }
      const { names } = step.value;
      yield { line: step.value.line, fields: Object.fromEntries(names.map((name, i) => [name, step.value.values[i] ?? ''])) };
    }
  });
}

/**
 * Parses a WeChat trade bill streamed as bytes. Row semantics (§1.9, W7):
 * - 交易状态 REFUND → refund: amount 退款金额, refundNo 商户退款单号, channelRefundNo 微信退款单号, status 退款状态.
 * - any other 交易状态 (SUCCESS, REVOKED, …) → payment: amount 订单金额, status 交易状态.
 * - fee 手续费 (5 decimals in the file) → exact fen; non-zero digits past the cent are refused; a refund's fee is
 *   reported positive whichever sign the file writes.
 * - at 交易时间 (Beijing); channelTradeNo 微信订单号; attach 商户数据包 when not empty.
 * The row count must equal the summary's 总交易单数 (a truncated download is refused); the amount totals are
 * returned for reconciliation to compare.
 */
export function parseWechatTradeBill(chunks: AsyncIterable<Uint8Array>): ParsedBill<WechatBillSummary> {
  return toParsedBill(async function* () {
    const rows = scan(chunks);
    for (;;) {
      const step = await rows.next();
      if (step.done) {
        const { summaryNames, summaryValues, summaryLine, rows: count } = step.value;
        const summary = parseSummary(summaryNames, summaryValues, summaryLine);
        if (summary.rows !== count) {
          throw new BillError('summary_mismatch', `the summary says ${summary.rows} rows (总交易单数) but the bill has ${count}`, summaryLine);
        }
        return summary;
      }
      yield toLine(step.value.values, step.value.line, step.value.header);
    }
  });
}

function toLine(values: string[], line: number, header: ReturnType<typeof indexHeader>): BillLine {
  const { at: col } = header;
  const get = (name: Required): string => values[col[name]] as string;

  const time = parseBeijingTime(get('交易时间'));
  if (time === undefined) {
    throw new BillError('bad_time', `交易时间 ${JSON.stringify(get('交易时间'))} is not a yyyy-MM-dd HH:mm:ss time`, line, '交易时间');
  }
  const channelOrderNo = get('商户订单号');
  if (channelOrderNo === '') throw new BillError('bad_row', '商户订单号 is empty', line, '商户订单号');
  const state = get('交易状态');
  const fee = parseSignedYuan(get('手续费'), '手续费', line, 'bad_fee');
  const attach = get('商户数据包');
  const channelTradeNo = get('微信订单号');
  const common = {
    channelOrderNo,
    ...(channelTradeNo === '' ? {} : { channelTradeNo }),
    at: time,
    ...(attach === '' ? {} : { attach }),
    line,
  };

  if (state === 'REFUND') {
    const refundNo = get('商户退款单号');
    if (refundNo === '' || refundNo === '0') throw new BillError('bad_row', 'a REFUND row without 商户退款单号', line, '商户退款单号');
    const channelRefundNo = get('微信退款单号');
    return {
      kind: 'refund',
      ...common,
      refundNo,
      ...(channelRefundNo === '' || channelRefundNo === '0' ? {} : { channelRefundNo }),
      amount: yuan(get('退款金额'), '退款金额', line),
      fee: fee.fen, // returned fee: WeChat may write it negative; the magnitude is what was returned
      status: get('退款状态'),
    };
  }
  if (fee.negative) throw new BillError('bad_fee', `手续费 ${JSON.stringify(get('手续费'))} is negative on a payment`, line, '手续费');
  return {
    kind: 'payment',
    ...common,
    amount: yuan(get('订单金额'), '订单金额', line),
    fee: fee.fen,
    status: state,
  };
}
