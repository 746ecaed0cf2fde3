// Synthetic channel bills of any size, streamed in chunks, for the parser tests and `npm run bench`
// (reconcile-1m-lines). Row values are a pure function of the row index, so callers can predict every total
// (see `syntheticRow`) without holding the rows.

import { Zip, ZipDeflate } from 'fflate';
import { formatYuan } from '../../shared/money/index.ts';
import { WECHAT_BILL_COLUMNS } from './wechatpay.ts';

const LINES_PER_CHUNK = 2000;

/** Row i of a synthetic bill: every 10th row is a refund of the row before it. Amounts and fee in fen. */
export function syntheticRow(i: number): { kind: 'payment' | 'refund'; amount: number; fee: number; orderNo: string; refundNo: string } {
  const refund = i % 10 === 9;
  const amount = refund ? (i % 500) + 1 : (i % 100_000) + 1;
  return {
    kind: refund ? 'refund' : 'payment',
    amount,
    fee: Math.floor(amount / 167), // whole fen, as bills state fees (≈0.6 %)
    orderNo: `ORD${String(refund ? i - 1 : i).padStart(10, '0')}`,
    refundNo: `RF${String(i).padStart(10, '0')}`,
  };
}

const fee5 = (fen: number): string => `${formatYuan(fen)}000`;
const pad = (n: number): string => String(n).padStart(2, '0');
/** Beijing wall clock of second `s` of 2019-02-19 (wrapping at midnight). */
const clock = (s: number): string => `2019-02-19 ${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;

/** A WeChat ALL trade bill (§1.9 layout, as W7) with `rows` data rows, as UTF-8 chunks. */
export async function* generateWechatBill(rows: number): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let settlement = 0;
  let refunds = 0;
  let fees = 0;
  let lines: string[] = [`\uFEFF${WECHAT_BILL_COLUMNS.join(',')}`];
  for (let i = 0; i < rows; i += 1) {
    const row = syntheticRow(i);
    const trade = `42000002632019021${String(i).padStart(11, '0')}`;
    const fields =
      row.kind === 'payment'
        ? [clock(i), 'wxab8acd895ab1638a', '1921000401', '0', '', trade, row.orderNo, 'oHkLxtx0vUqe', 'NATIVE', 'SUCCESS',
            'OTHERS', 'CNY', formatYuan(row.amount), '0.00', '0', '0', '0.00', '0.00', '', '', '商品', i % 3 === 0 ? 'a=1' : '',
            fee5(row.fee), '0.60%', formatYuan(row.amount), '0.00', '']
        : [clock(i), 'wxab8acd895ab1638a', '1921000401', '0', '', trade, row.orderNo, 'oHkLxtx0vUqe', 'NATIVE', 'REFUND',
            'OTHERS', 'CNY', '0.00', '0.00', `5000070967${String(i).padStart(19, '0')}`, row.refundNo, formatYuan(row.amount),
            '0.00', 'ORIGINAL', 'SUCCESS', '商品', '', `-${fee5(row.fee)}`, '0.60%', '0.00', formatYuan(row.amount), ''];
    if (row.kind === 'payment') {
      settlement += row.amount;
      fees += row.fee;
    } else {
      refunds += row.amount;
      fees -= row.fee;
    }
    lines.push(`\`${fields.join(',`')}`);
    if (lines.length >= LINES_PER_CHUNK) {
      yield encoder.encode(`${lines.join('\r\n')}\r\n`);
      lines = [];
    }
  }
  lines.push('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');
  const feeText = fees < 0 ? `-${formatYuan(-fees)}` : formatYuan(fees);
  lines.push(`\`${rows}.0,\`${formatYuan(settlement)},\`${formatYuan(refunds)},\`0.00,\`${feeText},\`${formatYuan(settlement)},\`${formatYuan(refunds)}`);
  yield encoder.encode(`${lines.join('\r\n')}\r\n`);
}

// --- GBK --------------------------------------------------------------------------------------------

let gbkTable: Map<string, number> | undefined;

/** Encodes text as GBK by reverse lookup over the 2-byte range of Node's GBK decoder (tests and generators only). */
export function encodeGbk(text: string): Uint8Array {
  if (gbkTable === undefined) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gbk');
    for (let lead = 0x81; lead <= 0xfe; lead += 1) {
      for (let trail = 0x40; trail <= 0xfe; trail += 1) {
        if (trail === 0x7f) continue;
        const ch = decoder.decode(new Uint8Array([lead, trail]));
        if (ch.length === 1 && ch !== '\uFFFD' && !gbkTable.has(ch)) gbkTable.set(ch, (lead << 8) | trail);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const pair = gbkTable.get(ch);
    if (pair === undefined) throw new Error(`no GBK encoding for ${JSON.stringify(ch)}`);
    out.push(pair >> 8, pair & 0xff);
  }
  return Uint8Array.from(out);
}

export const ALIPAY_BILL_COLUMNS = [
  '支付宝交易号', '商户订单号', '业务类型', '商品名称', '创建时间', '完成时间', '门店编号', '门店名称', '操作员', '终端号',
  '对方账户', '订单金额（元）', '商家实收（元）', '支付宝红包（元）', '集分宝（元）', '支付宝优惠（元）', '商家优惠（元）',
  '券核销金额（元）', '券名称', '商家红包消费金额（元）', '卡消费金额（元）', '退款批次号/请求号', '服务费（元）', '分润（元）', '备注',
] as const;

/** The text lines (without line ends) of an Alipay 业务明细 CSV (§2.9) with `rows` synthetic rows. */
export function* alipayBillLines(rows: number): Generator<string> {
  yield '#支付宝业务明细查询';
  yield '#账号：[20880000000000000156]';
  yield '#起始日期：[2019年02月19日 00:00:00]   终止日期：[2019年02月20日 00:00:00]';
  yield '#-----------------------------------------业务明细列表----------------------------------------';
  yield ALIPAY_BILL_COLUMNS.join(',');
  let paid = 0;
  let paidCount = 0;
  let refunded = 0;
  let refundCount = 0;
  for (let i = 0; i < rows; i += 1) {
    const row = syntheticRow(i);
    const refund = row.kind === 'refund';
    const sign = refund ? '-' : '';
    const trade = `20190219220014${String(refund ? i - 1 : i).padStart(14, '0')}`;
    // The real bill pads values with tabs (§2.9); the fee is deducted on payments (negative) and returned on refunds.
    yield [
      `${trade}\t`, `${row.orderNo}\t`, refund ? '退款' : '交易', '商品', clock(Math.max(0, i - 1)), clock(i), '', '', '', '',
      'buyer@example.com', `${sign}${formatYuan(row.amount)}`, `${sign}${formatYuan(row.amount)}`, '0.00', '0.00', '0.00', '0.00', '0.00', '',
      '0.00', '0.00', refund ? `${row.refundNo}\t` : '', `${refund ? '' : '-'}${formatYuan(row.fee)}`, '0.00', i % 3 === 0 ? '备注' : '',
    ].join(',');
    if (refund) {
      refunded += row.amount;
      refundCount += 1;
    } else {
      paid += row.amount;
      paidCount += 1;
    }
  }
  yield '#-----------------------------------------业务明细列表结束------------------------------------';
  yield `#交易合计：${paidCount}笔，商家实收共${formatYuan(paid)}元，商家优惠共0.00元`;
  yield `#退款合计：${refundCount}笔，商家实收退款共-${formatYuan(refunded)}元，商家优惠退款共0.00元`;
  yield '#导出时间：[2019年02月20日 09:00:00]';
}

/** An Alipay detail CSV as GBK chunks. */
export async function* generateAlipayCsv(rows: number): AsyncGenerator<Uint8Array> {
  let batch: string[] = [];
  for (const line of alipayBillLines(rows)) {
    batch.push(line);
    if (batch.length >= LINES_PER_CHUNK) {
      yield encodeGbk(`${batch.join('\r\n')}\r\n`);
      batch = [];
    }
  }
  yield encodeGbk(`${batch.join('\r\n')}\r\n`);
}

/**
 * An Alipay bill ZIP (detail + 汇总 entries, ASCII entry names: fflate writes non-ASCII names as UTF-8 only),
 * produced with fflate's streaming Zip so a large bill is never held whole.
 */
export async function* generateAlipayZip(rows: number): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: unknown;
  const zip = new Zip((error, data) => {
    if (error) failure = error;
    else out.push(data);
  });
  const drain = function* (): Generator<Uint8Array> {
    if (failure !== undefined) throw failure;
    yield* out.splice(0);
  };
  const summary = new ZipDeflate('20880000000000000156_20190219_summary.csv');
  zip.add(summary);
  summary.push(encodeGbk('#支付宝业务汇总查询\r\n#-----------------------------------------业务汇总列表----------------------------------------\r\n门店编号,门店名称,交易订单总笔数\r\n'), true);
  yield* drain();
  const detail = new ZipDeflate('20880000000000000156_20190219_detail.csv');
  zip.add(detail);
  for await (const chunk of generateAlipayCsv(rows)) {
    detail.push(chunk);
    yield* drain();
  }
  detail.push(new Uint8Array(0), true);
  zip.end();
  yield* drain();
}
