// Streaming parser of Alipay's trade bill (业务账单, channel-protocols.md §2.9): a ZIP whose detail entry
// (…_业务明细.csv, GBK, `#` preamble, column header, rows, `#…业务明细列表结束`, `#交易合计`/`#退款合计` footer)
// becomes BillLines in fen; the footer becomes the summary. The ZIP is read with fflate's streaming Unzip.

import type { UnzipFile } from 'fflate';
import { parseYuan } from '../../shared/money/index.ts';
import { isMoneyError } from '../../shared/errors/index.ts';
import { parseBeijingTime } from '../../shared/channels/beijing-time.ts';
import {
  BillError,
  createLineSplitter,
  decodeLines,
  toParsedBill,
  type AlipayBillSummary,
  type BillLine,
  type ParsedBill,
} from './types.ts';
import { unzipEntries } from './zip.ts';

// Exactly "#---业务明细列表---": the 汇总 file's own list marker and the 结束 line must not match.
const LIST_START = /^#-+业务明细列表-+$/;
const LIST_END = /^#-+业务明细列表结束-+$/;
// Footer (§2.9); full-width punctuation as Alipay writes it, half-width accepted too.
const PAYMENT_TOTAL = /^#交易合计[：:](\d+)笔[，,]商家实收共(-?[0-9.]+)元[，,]商家优惠共(-?[0-9.]+)元/;
const REFUND_TOTAL = /^#退款合计[：:](\d+)笔[，,]商家实收退款共(-?[0-9.]+)元[，,]商家优惠退款共(-?[0-9.]+)元/;

const REQUIRED = ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）', '退款批次号/请求号', '服务费（元）', '备注'] as const;
type Required = (typeof REQUIRED)[number];

/** A yuan amount with an optional sign, exactly, in fen (via shared/money parseYuan), naming the line on failure. */
function signedYuan(text: string, field: string, line: number): { negative: boolean; fen: number } {
  const negative = text.startsWith('-');
  try {
    const fen = parseYuan(negative ? text.slice(1) : text, field);
    return { negative: negative && fen !== 0, fen };
  } catch (error) {
    if (isMoneyError(error)) throw new BillError('bad_amount', error.message, line, field);
    throw error;
  }
}

/** Splits a CSV line; values are trimmed (the bill pads them with tabs, §2.9). Quotes are honoured if present. */
function splitCsv(text: string): string[] {
  if (!text.includes('"')) return text.split(',').map((v) => v.trim());
  const out: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (value += '"'), (i += 1);
      else if (ch === '"') quoted = false;
      else value += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(value.trim()), (value = '');
    else value += ch;
  }
  out.push(value.trim());
  return out;
}

/** The line-by-line state machine of one detail CSV; `push` returns the BillLine a data row makes. */
function createDetailReader() {
  let state: 'preamble' | 'header' | 'rows' | 'footer' = 'preamble';
  let width = 0;
  const col = {} as Record<Required, number>;
  let lineNo = 0;
  const counts = { payment: 0, refund: 0 };
  let payment: RegExpExecArray | undefined;
  let refund: RegExpExecArray | undefined;
  let paymentLine = 0;
  let refundLine = 0;

  const push = (raw: string): BillLine | undefined => {
    lineNo += 1;
    const text = raw.trim();
    if (text === '') return undefined;
    switch (state) {
      case 'preamble':
        if (LIST_START.test(text)) state = 'header';
        else if (!text.startsWith('#')) {
          throw new BillError('missing_header', 'expected the #-----业务明细列表----- line before any data', lineNo);
        }
        return undefined;
      case 'header': {
        // Accept half-width parentheses too: 订单金额(元) and 订单金额（元） name the same column.
        const names = splitCsv(text).map((n) => n.replace(/\(/g, '（').replace(/\)/g, '）'));
        for (const name of REQUIRED) {
          const index = names.indexOf(name);
          if (index === -1) throw new BillError('missing_header', `the column header has no ${name} column`, lineNo, name);
          col[name] = index;
        }
        width = names.length;
        state = 'rows';
        return undefined;
      }
      case 'rows':
        if (text.startsWith('#')) {
          if (!LIST_END.test(text)) throw new BillError('bad_row', `unexpected ${JSON.stringify(text.slice(0, 40))} inside the list`, lineNo);
          state = 'footer';
          return undefined;
        }
        return toLine(splitCsv(text));
      case 'footer':
        if (!text.startsWith('#')) throw new BillError('unexpected_content', 'a data row after the 业务明细列表结束 line', lineNo);
        if (text.startsWith('#交易合计')) {
          payment = PAYMENT_TOTAL.exec(text) ?? undefined;
          paymentLine = lineNo;
          if (!payment) throw new BillError('bad_summary', 'the #交易合计 line is not N笔，商家实收共X元，商家优惠共Y元', lineNo);
        } else if (text.startsWith('#退款合计')) {
          refund = REFUND_TOTAL.exec(text) ?? undefined;
          refundLine = lineNo;
          if (!refund) throw new BillError('bad_summary', 'the #退款合计 line is not M笔，商家实收退款共-Z元，商家优惠退款共W元', lineNo);
        }
        return undefined; // #导出时间 and other notes
    }
  };

  const toLine = (values: string[]): BillLine => {
    const line = lineNo;
    if (values.length !== width) throw new BillError('field_count', `the row has ${values.length} fields, the header ${width}`, line);
    const get = (name: Required): string => values[col[name]] as string;
    const type = get('业务类型');
    if (type !== '交易' && type !== '退款') {
      // Never skip a row silently: a type we do not know may move money.
      throw new BillError('unknown_row_type', `业务类型 ${JSON.stringify(type)} is neither 交易 nor 退款`, line, '业务类型');
    }
    const kind = type === '交易' ? 'payment' : 'refund';
    const amount = signedYuan(get('订单金额（元）'), '订单金额（元）', line);
    if (amount.negative !== (kind === 'refund') && amount.fen !== 0) {
      throw new BillError('bad_amount', `订单金额（元） ${get('订单金额（元）')} has the wrong sign for a ${type} row`, line, '订单金额（元）');
    }
    // 服务费 sign differs between sources (deducted vs returned, §2.9 is 3P): the magnitude is the fee.
    const feeText = get('服务费（元）');
    const fee = feeText === '' ? undefined : signedYuan(feeText, '服务费（元）', line).fen;
    const at = parseBeijingTime(get('完成时间'));
    if (at === undefined) {
      throw new BillError('bad_time', `完成时间 ${JSON.stringify(get('完成时间'))} is not a yyyy-MM-dd HH:mm:ss time`, line, '完成时间');
    }
    const channelOrderNo = get('商户订单号');
    if (channelOrderNo === '') throw new BillError('bad_row', '商户订单号 is empty', line, '商户订单号');
    const channelTradeNo = get('支付宝交易号');
    const attach = get('备注');
    const refundNo = get('退款批次号/请求号');
    if (kind === 'refund' && refundNo === '') throw new BillError('bad_row', 'a 退款 row without 退款批次号/请求号', line, '退款批次号/请求号');
    counts[kind] += 1;
    return {
      kind,
      channelOrderNo,
      ...(channelTradeNo === '' ? {} : { channelTradeNo }),
      ...(kind === 'refund' ? { refundNo } : {}),
      amount: amount.fen,
      ...(fee === undefined ? {} : { fee }),
      status: type,
      at,
      ...(attach === '' ? {} : { attach }),
      line,
    };
  };

  const finish = (): AlipayBillSummary => {
    if (state === 'preamble') throw new BillError('missing_header', 'no #-----业务明细列表----- line: not an Alipay detail bill', lineNo || 1);
    if (state !== 'footer') throw new BillError('missing_summary', 'the bill ends before 业务明细列表结束 (truncated?)', lineNo);
    if (!payment || !refund) throw new BillError('missing_summary', 'the #交易合计 / #退款合计 footer lines are missing', lineNo);
    const amount = (m: RegExpExecArray, i: number, field: string, at: number) => signedYuan(m[i] as string, field, at).fen;
    const summary: AlipayBillSummary = {
      channel: 'alipay',
      paymentCount: Number(payment[1]),
      paymentReceived: amount(payment, 2, '商家实收', paymentLine),
      paymentMerchantDiscount: amount(payment, 3, '商家优惠', paymentLine),
      refundCount: Number(refund[1]),
      refundReceived: amount(refund, 2, '商家实收退款', refundLine),
      refundMerchantDiscount: amount(refund, 3, '商家优惠退款', refundLine),
    };
    if (summary.paymentCount !== counts.payment || summary.refundCount !== counts.refund) {
      throw new BillError(
        'summary_mismatch',
        `the footer says ${summary.paymentCount} 交易 and ${summary.refundCount} 退款 rows, the list has ${counts.payment} and ${counts.refund}`,
        paymentLine,
      );
    }
    return summary;
  };

  return { push, finish, isDetail: () => state !== 'preamble' };
}

/**
 * Parses an already-unzipped 业务明细 CSV (GBK bytes). Rows: 交易 → payment, 退款 → refund; amount = |订单金额（元）|
 * (refunds are negative in the file); fee = |服务费（元）|; refundNo = 退款批次号/请求号; at = 完成时间 (Beijing);
 * status = 业务类型 (the detail list has no status column: every row is a completed movement); attach = 备注.
 * The footer's counts must match the rows; its amounts (refunds as positive fen) are the summary.
 */
export function parseAlipayBillCsv(chunks: AsyncIterable<Uint8Array>): ParsedBill<AlipayBillSummary> {
  return toParsedBill(async function* () {
    const reader = createDetailReader();
    for await (const batch of decodeLines(chunks, 'gbk')) {
      for (const text of batch) {
        const line = reader.push(text);
        if (line !== undefined) yield line;
      }
    }
    return reader.finish();
  });
}

/** Entry names are GBK without the UTF-8 flag; fflate then hands them over as Latin-1, so recover the bytes. */
function entryName(file: UnzipFile): string {
  const name = file.name;
  for (let i = 0; i < name.length; i += 1) if (name.charCodeAt(i) > 0xff) return name; // flagged UTF-8, already decoded
  return new TextDecoder('gbk').decode(Uint8Array.from(name, (c) => c.charCodeAt(0)));
}

/**
 * Parses the bill ZIP as downloaded. The detail entry is chosen by content (its first non-`#` line must follow the
 * exact `#---业务明细列表---` marker) and its name must not contain 汇总; every other entry is read and discarded.
 * Memory is bounded by one input chunk's inflated size.
 */
export function parseAlipayBillZip(chunks: AsyncIterable<Uint8Array>): ParsedBill<AlipayBillSummary> {
  return toParsedBill(async function* () {
    let detail: { name: string; reader: ReturnType<typeof createDetailReader> } | undefined;
    let done = false;
    yield* unzipEntries<BillLine>(chunks, (file, out) => {
      const name = entryName(file);
      const candidate = !name.includes('汇总') && /\.csv$/i.test(name);
      const reader = createDetailReader();
      const splitter = createLineSplitter('gbk');
      let sniffing = candidate; // until the marker is seen, or the entry proves not to be the detail list
      const feed = (lines: string[]) => {
        for (const text of lines) {
          if (sniffing) {
            try {
              reader.push(text);
            } catch {
              sniffing = false; // data before any marker: not the detail list
              return;
            }
            if (reader.isDetail()) {
              sniffing = false;
              if (detail) throw new BillError('no_detail_entry', `two detail lists in the ZIP: ${detail.name} and ${name}`);
              detail = { name, reader };
            }
            continue;
          }
          if (detail?.reader !== reader) return;
          const line = reader.push(text);
          if (line !== undefined) out.push(line);
        }
      };
      return (data, final) => {
        if (!sniffing && detail?.reader !== reader) return; // another entry: drop its bytes
        feed(splitter.push(data));
        if (final) {
          feed(splitter.end());
          if (detail?.reader === reader) done = true;
        }
      };
    });
    if (!detail) throw new BillError('no_detail_entry', 'the ZIP has no …_业务明细.csv entry with a 业务明细列表');
    if (!done) throw new BillError('bad_zip', `the ZIP ends inside ${detail.name}`);
    return detail.reader.finish();
  });
}
