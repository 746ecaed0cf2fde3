// WeChat trade-bill parser against vector W7 (the published bill.ALL.csv) fed in 1-, 7- and 4096-byte chunks,
// malformed bills, and a generated 100,000-row bill (channel-protocols.md §1.9).

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBillError, type BillLine } from './types.ts';
import { parseWechatTradeBill, readWechatBillRecords } from './wechatpay.ts';
import { generateWechatBill, syntheticRow } from './generate.ts';

const dir = new URL('../../test/fixtures/vectors/', import.meta.url);
const vector = JSON.parse(readFileSync(new URL('wechatpay-w7-tradebill.json', dir), 'utf8')) as {
  file_sha256: string;
  expected: {
    row_count: number;
    summary: Record<string, string>;
    first_row: Record<string, string>;
    first_success_row: Record<string, string>;
    rows_by_trade_state: Record<string, number>;
    rows_by_trade_type: Record<string, number>;
    column_sums: Record<string, string>;
  };
};
const bytes = new Uint8Array(readFileSync(new URL('wechatpay-w7-bill-all.csv', dir)));

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

/** Sums "0.01"/"0.01000" strings exactly in cents, the way the vector's column_sums are stated. */
function cents(values: string[]): string {
  let total = 0n;
  for (const v of values) {
    const [whole, frac = ''] = v.split('.');
    total += BigInt(whole as string) * 100000n + BigInt(frac.padEnd(5, '0').slice(0, 5));
  }
  const c = (total + 500n) / 1000n; // "fee sum rounded to cents" (README, W7)
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;
}

describe('W7 trade bill', () => {
  it('is the published file', () => {
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(vector.file_sha256);
  });

  for (const size of [1, 7, 4096]) {
    it(`reproduces every expected value with ${size}-byte chunks`, async () => {
      const bill = readWechatBillRecords(chunked(bytes, size));
      const rows = (await collect(bill.lines)).map((r) => r.fields);
      const { expected } = vector;
      expect(rows).toHaveLength(expected.row_count);
      expect(await bill.summary).toEqual(expected.summary);
      expect(rows[0]).toEqual(expected.first_row);
      expect(rows.find((r) => r['交易状态'] === 'SUCCESS')).toEqual(expected.first_success_row);
      const count = (key: string) => rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r[key] as string]: (acc[r[key] as string] ?? 0) + 1 }), {});
      expect(count('交易状态')).toEqual(expected.rows_by_trade_state);
      expect(count('交易类型')).toEqual(expected.rows_by_trade_type);
      const sums = Object.fromEntries(Object.keys(expected.column_sums).map((k) => [k, cents(rows.map((r) => r[k] as string))]));
      expect(sums).toEqual(expected.column_sums);
    });

    it(`maps W7 into BillLines in fen with ${size}-byte chunks`, async () => {
      const bill = parseWechatTradeBill(chunked(bytes, size));
      const lines = await collect(bill.lines);
      expect(lines).toHaveLength(45);
      expect(await bill.summary).toEqual({
        channel: 'wechatpay',
        rows: 45,
        settlementTotal: 47,
        refundTotal: 14,
        couponRefundTotal: 0,
        feeTotal: 8,
        orderTotal: 47,
        requestedRefundTotal: 14,
      });
      expect(lines[0]).toEqual({
        kind: 'refund',
        channelOrderNo: 'autotest_20190216081946_82335',
        channelTradeNo: '4200000263201902167700134212',
        refundNo: 'REF4200000263201902167700963919',
        channelRefundNo: '50000709672019011908420787722',
        amount: 1,
        fee: 0,
        status: 'SUCCESS',
        at: new Date('2019-02-18T21:01:46Z'), // 05:01:46 Beijing
        line: 2,
      } satisfies BillLine);
      expect(lines[2]).toEqual({
        kind: 'payment',
        channelOrderNo: 'autotest_20190219015232_89201',
        channelTradeNo: '4200000263201902167700134902',
        amount: 3,
        fee: 1,
        status: 'SUCCESS',
        at: new Date('2019-02-18T17:52:32Z'),
        line: 4,
      } satisfies BillLine);
      const payments = lines.filter((l) => l.kind === 'payment');
      const refunds = lines.filter((l) => l.kind === 'refund');
      expect([payments.length, refunds.length]).toEqual([31, 14]);
      expect(payments.reduce((s, l) => s + l.amount, 0)).toBe(47);
      expect(refunds.reduce((s, l) => s + l.amount, 0)).toBe(14);
      expect(lines.reduce((s, l) => s + (l.fee ?? 0), 0)).toBe(8);
      expect(lines.at(-1)?.line).toBe(46);
    });
  }
});

const HEADER = '\uFEFF交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const row = (over: Partial<Record<'time' | 'state' | 'amount' | 'fee' | 'refund' | 'attach', string>> = {}): string =>
  ['`' + (over.time ?? '2019-02-19 01:52:32'), 'wx1', '1921000401', '0', '', '4200000001', 'ORDER1', 'o1', 'NATIVE', over.state ?? 'SUCCESS',
    'OTHERS', 'CNY', over.amount ?? '12.34', '0.00', over.state === 'REFUND' ? 'W-REF-1' : '0', over.state === 'REFUND' ? 'R1' : '0',
    over.refund ?? '0.00', '0.00', '', '', '商品', over.attach ?? '', over.fee ?? '0.07000', '0.60%', over.amount ?? '12.34', '0.00', ''].join(',`');
const SUMMARY = (n: number, fee = '0.07') => `总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n\`${n}.0,\`12.34,\`0.00,\`0.00,\`${fee},\`12.34,\`0.00\n`;

async function failure(text: string): Promise<{ code: string; line: number | undefined; message: string }> {
  const bill = parseWechatTradeBill(chunked(utf8(text), 5));
  try {
    await collect(bill.lines);
  } catch (error) {
    if (!isBillError(error)) throw error;
    await expect(bill.summary).rejects.toBe(error);
    return { code: error.code, line: error.line, message: error.message };
  }
  throw new Error('the bill parsed');
}

describe('malformed WeChat bills', () => {
  it('parses a minimal LF bill (control for the cases below)', async () => {
    const bill = parseWechatTradeBill(chunked(utf8(`${HEADER}\n${row({ attach: 'x=1' })}\n${SUMMARY(1)}`), 3));
    const lines = await collect(bill.lines);
    expect(lines.map((l) => [l.amount, l.fee, l.attach, l.line])).toEqual([[1234, 7, 'x=1', 2]]);
    expect((await bill.summary).feeTotal).toBe(7);
  });

  it('refuses a bill without its header row', async () => {
    expect(await failure(`${row()}\n${SUMMARY(1)}`)).toMatchObject({ code: 'missing_header', line: 1 });
  });

  it('refuses a row with the wrong number of fields, naming its line', async () => {
    const short = row().split(',`').slice(0, 26).join(',`');
    expect(await failure(`${HEADER}\n${row()}\n${short}\n${SUMMARY(2)}`)).toMatchObject({
      code: 'field_count',
      line: 3,
      message: 'line 3: the row has 26 fields, the header 27',
    });
  });

  it('refuses a bad amount, naming the line and column', async () => {
    expect(await failure(`${HEADER}\n${row()}\n${row({ amount: '12.3x' })}\n${SUMMARY(2)}`)).toMatchObject({ code: 'bad_amount', line: 3 });
    expect(await failure(`${HEADER}\n${row({ amount: '-1.00' })}\n${SUMMARY(1)}`)).toMatchObject({ code: 'bad_amount', line: 2 });
  });

  it('refuses a fee with non-zero digits past the cent, and a negative payment fee', async () => {
    expect(await failure(`${HEADER}\n${row({ fee: '0.00600' })}\n${SUMMARY(1)}`)).toMatchObject({ code: 'bad_fee', line: 2 });
    expect(await failure(`${HEADER}\n${row({ fee: '-0.01000' })}\n${SUMMARY(1)}`)).toMatchObject({ code: 'bad_fee', line: 2 });
  });

  it('reports a refund fee written negative as a positive returned fee', async () => {
    const bill = parseWechatTradeBill(chunked(utf8(`${HEADER}\n${row({ state: 'REFUND', refund: '5.00', fee: '-0.03000' })}\n${SUMMARY(1, '-0.03')}`), 64));
    expect((await collect(bill.lines)).map((l) => [l.kind, l.amount, l.fee, l.refundNo, l.channelRefundNo])).toEqual([['refund', 500, 3, 'R1', 'W-REF-1']]);
    expect((await bill.summary).feeTotal).toBe(-3);
  });

  it('refuses a bad time, a non-backtick row, a truncated bill and a count mismatch', async () => {
    expect(await failure(`${HEADER}\n${row({ time: '2019-02-30 01:00:00' })}\n${SUMMARY(1)}`)).toMatchObject({ code: 'bad_time', line: 2 });
    expect(await failure(`${HEADER}\n${row().slice(1)}\n${SUMMARY(1)}`)).toMatchObject({ code: 'bad_row', line: 2 });
    expect(await failure(`${HEADER}\n${row()}\n`)).toMatchObject({ code: 'missing_summary' });
    expect(await failure(`${HEADER}\n${row()}\n${SUMMARY(2)}`)).toMatchObject({ code: 'summary_mismatch', line: 4 });
    expect(await failure(`${HEADER}\n${row()}\n${SUMMARY(1)}trailing\n`)).toMatchObject({ code: 'unexpected_content', line: 5 });
    expect(await failure('')).toMatchObject({ code: 'missing_header' });
  });

  it('refuses bytes that are not UTF-8 (e.g. a GBK file)', async () => {
    const bad = new Uint8Array([...utf8(`${HEADER}\n`), 0xd6, 0xd0, 0x0a]);
    const bill = parseWechatTradeBill(chunked(bad, 4096));
    await expect(collect(bill.lines)).rejects.toMatchObject({ name: 'BillError', code: 'bad_encoding', line: 2 });
  });

  it('rejects the summary when the reader stops early', async () => {
    const bill = parseWechatTradeBill(chunked(bytes, 4096));
    for await (const _ of bill.lines) break;
    await expect(bill.summary).rejects.toMatchObject({ code: 'missing_summary' });
  });
});

describe('generated bill', () => {
  it('parses 100,000 rows with the right sums and the file summary', async () => {
    const rows = 100_000;
    let paid = 0;
    let refunded = 0;
    let fees = 0;
    for (let i = 0; i < rows; i += 1) {
      const r = syntheticRow(i);
      if (r.kind === 'payment') paid += r.amount;
      else refunded += r.amount;
      fees += r.fee;
    }
    const bill = parseWechatTradeBill(generateWechatBill(rows));
    let count = 0;
    let refunds = 0;
    const seen = { paid: 0, refunded: 0, fees: 0 };
    for await (const line of bill.lines) {
      count += 1;
      if (line.kind === 'refund') {
        refunds += 1;
        seen.refunded += line.amount;
      } else seen.paid += line.amount;
      seen.fees += line.fee ?? 0;
    }
    expect([count, refunds]).toEqual([100_000, 10_000]);
    expect(seen).toEqual({ paid, refunded, fees });
    const summary = await bill.summary;
    expect([summary.rows, summary.orderTotal, summary.refundTotal]).toEqual([100_000, paid, refunded]);
  });
});
