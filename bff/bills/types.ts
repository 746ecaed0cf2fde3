// The shape every channel-bill parser yields: one BillLine per payment or refund row, in integer fen, plus the
// file's own summary (so reconciliation can check the rows against it) and one error class for malformed bills.
// Parsers stream: they never hold the whole file or all rows (1,000,000-line bills, §1.9 / §2.9).

import { CashierError, isCashierError } from '../../shared/errors/index.ts';

export type BillLineKind = 'payment' | 'refund';

export interface BillLine {
  readonly kind: BillLineKind;
  /** Our order number (out_trade_no; WeChat 商户订单号, Alipay 商户订单号). */
  readonly channelOrderNo: string;
  /** The channel's trade id (WeChat 微信订单号, Alipay 支付宝交易号); on refunds, the original payment's. */
  readonly channelTradeNo?: string;
  /** Our refund number (out_refund_no; WeChat 商户退款单号, Alipay 退款批次号/请求号); refunds only. */
  readonly refundNo?: string;
  /** The channel's refund id (WeChat 微信退款单号); Alipay's bill has none. */
  readonly channelRefundNo?: string;
  /** Integer fen, never negative: the payment's amount or the refund's amount, whatever sign the file used. */
  readonly amount: number;
  /** Integer fen, never negative: the fee charged (payment) or returned (refund); undefined when the bill has no fee column. */
  readonly fee?: number;
  /** The channel's own status text (see each parser for which column). */
  readonly status: string;
  /** The instant of the row, read as Beijing wall-clock time. */
  readonly at: Date;
  readonly attach?: string;
  /** 1-based physical line number in the (decoded) bill file, for error reports and audits. */
  readonly line: number;
}

/** WeChat's summary block (§1.9 step 3–4), amounts in fen. */
export interface WechatBillSummary {
  readonly channel: 'wechatpay';
  /** 总交易单数: every data row, payments and refunds alike (W7: 45). */
  readonly rows: number;
  /** 应结订单总金额 */
  readonly settlementTotal: number;
  /** 退款总金额 */
  readonly refundTotal: number;
  /** 充值券退款总金额 */
  readonly couponRefundTotal: number;
  /** 手续费总金额 (net, as the file states it; fen) */
  readonly feeTotal: number;
  /** 订单总金额 */
  readonly orderTotal: number;
  /** 申请退款总金额 */
  readonly requestedRefundTotal: number;
}

/** Alipay's footer lines (§2.9), amounts in fen; refund totals are positive although the file writes them negative. */
export interface AlipayBillSummary {
  readonly channel: 'alipay';
  /** #交易合计：N笔 */
  readonly paymentCount: number;
  /** 商家实收共X元 */
  readonly paymentReceived: number;
  /** 商家优惠共Y元 */
  readonly paymentMerchantDiscount: number;
  /** #退款合计：M笔 */
  readonly refundCount: number;
  /** 商家实收退款共-Z元, as +Z */
  readonly refundReceived: number;
  /** 商家优惠退款共-W元, as +W */
  readonly refundMerchantDiscount: number;
}

/**
 * UnionPay's ZM file has no summary lines (《全渠道平台接入接口规范 第3部分 文件接口》 §6.1, as the official SDK's
 * parseZMFile reads it): the parser counts what it read, so callers see the same shape for every channel.
 */
export interface UnionpayBillSummary {
  readonly channel: 'unionpay';
  /** Data rows read. */
  readonly rows: number;
  /** Sum of the payment rows' txnAmt, fen. */
  readonly paymentTotal: number;
  /** Sum of the refund rows' txnAmt, fen. */
  readonly refundTotal: number;
}

export type BillSummary = WechatBillSummary | AlipayBillSummary | UnionpayBillSummary;

/**
 * What a parser returns. Iterate `lines` once; `summary` settles only when `lines` has been read to the end
 * (it is in the file's last lines), and rejects with the same BillError that `lines` threw. A summary promise
 * that is never awaited never raises an unhandled rejection.
 */
export interface ParsedBill<S extends BillSummary> {
  readonly lines: AsyncIterable<BillLine>;
  readonly summary: Promise<S>;
}

export const BILL_ERROR_CODES = [
  'bad_encoding',
  'missing_header',
  'bad_header',
  'bad_row',
  'field_count',
  'bad_amount',
  'bad_fee',
  'bad_time',
  'unknown_row_type',
  'missing_summary',
  'bad_summary',
  'summary_mismatch',
  'unexpected_content',
  'bad_zip',
  'no_detail_entry',
] as const;

export type BillErrorCode = (typeof BILL_ERROR_CODES)[number];

/** A bill that cannot be read exactly. `line` is the 1-based line of the decoded file (undefined: not line-bound). */
export class BillError extends CashierError {
  override readonly name = 'BillError';
  override readonly code: BillErrorCode;
  readonly line: number | undefined;

  constructor(code: BillErrorCode, message: string, line?: number, field?: string) {
    super(code, line === undefined ? message : `line ${line}: ${message}`, field);
    this.code = code;
    this.line = line;
  }
}

export function isBillError(value: unknown): value is BillError {
  return isCashierError(value) && value.name === 'BillError';
}

// --- helpers shared by the channel parsers ------------------------------------------------------------
// They live here because the bill folder's file list is fixed; both parsers need exactly these.

/** A push-style decoder of bytes into complete lines (for sources that push, such as fflate's Unzip). */
export interface LineSplitter {
  /** The lines this chunk completes (CR of CRLF removed). */
  push(chunk: Uint8Array): string[];
  /** The last, unterminated line if any. */
  end(): string[];
}

/**
 * Decodes bytes into lines in streaming mode, carrying the unfinished tail, so a chunk may end anywhere, even
 * inside a multi-byte character. Decoding is `fatal`: bytes that are not valid `encoding` are a BillError naming
 * the line, never a silent U+FFFD. A leading BOM is dropped (ignoreBOM: false).
 */
export function createLineSplitter(encoding: 'utf-8' | 'gbk'): LineSplitter {
  const decoder = new TextDecoder(encoding, { fatal: true });
  let carry = '';
  let seen = 0; // lines emitted so far, only to name the line of an encoding error
  const decode = (chunk: Uint8Array | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      // Name the line: re-read this chunk leniently and count the line ends before the first bad sequence.
      const lenient = chunk === undefined ? '' : new TextDecoder(encoding).decode(chunk);
      const bad = lenient.indexOf('\uFFFD');
      const before = carry + (bad === -1 ? lenient : lenient.slice(0, bad));
      throw new BillError('bad_encoding', `the bytes are not valid ${encoding.toUpperCase()}`, seen + before.split('\n').length);
    }
  };
  const split = (text: string, end: boolean): string[] => {
    const all = carry + text;
    const batch: string[] = [];
    let start = 0;
    for (let nl = all.indexOf('\n'); nl !== -1; nl = all.indexOf('\n', start)) {
      batch.push(nl > start && all.charCodeAt(nl - 1) === 13 ? all.slice(start, nl - 1) : all.slice(start, nl));
      start = nl + 1;
    }
    carry = all.slice(start);
    if (end && carry !== '') {
      batch.push(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
      carry = '';
    }
    seen += batch.length;
    return batch;
  };
  return {
    push: (chunk) => split(decode(chunk), false),
    end: () => split(decode(undefined), true),
  };
}

/** createLineSplitter over an async byte stream: one batch of lines per input chunk that completes any. */
export async function* decodeLines(chunks: AsyncIterable<Uint8Array>, encoding: 'utf-8' | 'gbk'): AsyncGenerator<string[]> {
  const splitter = createLineSplitter(encoding);
  for await (const chunk of chunks) {
    const batch = splitter.push(chunk);
    if (batch.length > 0) yield batch;
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}

/** Wires a row generator to a summary promise per the ParsedBill contract (any row type, any summary type). */
export function toParsedBill<T, S>(run: () => AsyncGenerator<T, S>): { readonly lines: AsyncIterable<T>; readonly summary: Promise<S> } {
  let resolve!: (summary: S) => void;
  let reject!: (error: unknown) => void;
  const summary = new Promise<S>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  summary.catch(() => {}); // the error also reaches whoever iterates `lines`
  let started = false;
  const lines: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      if (started) throw new BillError('unexpected_content', 'a bill can be read only once');
      started = true;
      let settled = false;
      try {
        const inner = run();
        for (;;) {
          const step = await inner.next();
          if (step.done) {
            settled = true;
            resolve(step.value);
            return;
          }
          yield step.value;
        }
      } catch (error) {
        settled = true;
        reject(error);
        throw error;
      } finally {
        // The reader stopped early: the summary at the end of the file was never reached.
        if (!settled) reject(new BillError('missing_summary', 'the bill was not read to the end, so its summary is unknown'));
      }
    },
  };
  return { lines, summary };
}

// Yuan with an optional minus sign and up to `places` decimals. Only the first two decimals can be non-zero:
// an amount that is not a whole number of fen cannot be reconciled exactly, so it is refused, not rounded.
const SIGNED_DECIMAL = /^(-?)(0|[1-9][0-9]{0,12})(?:\.([0-9]{1,6}))?$/;

/** Parses a signed yuan amount into { negative, fen }, exactly; throws BillError('bad_amount' | code) naming the line. */
export function parseSignedYuan(
  text: string,
  field: string,
  line: number,
  code: 'bad_amount' | 'bad_fee' | 'bad_summary' = 'bad_amount',
): { readonly negative: boolean; readonly fen: number } {
  const match = SIGNED_DECIMAL.exec(text);
  const fraction = match?.[3] ?? '';
  if (!match || /[1-9]/.test(fraction.slice(2))) {
    throw new BillError(
      code,
      `${field} ${JSON.stringify(text)} is not an amount in yuan that is a whole number of fen`,
      line,
      field,
    );
  }
  const fen = Number(match[2]) * 100 + Number(fraction.slice(0, 2).padEnd(2, '0'));
  return { negative: match[1] === '-' && fen !== 0, fen };
}
