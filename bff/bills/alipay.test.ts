// Alipay bill parser (channel-protocols.md §2.9): GBK CSVs built to the documented layout, zipped with fflate
// (ASCII names, and a hand-patched GBK-named entry without the UTF-8 flag), fed in odd chunk sizes.

import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { isBillError, type BillLine } from './types.ts';
import { parseAlipayBillCsv, parseAlipayBillZip } from './alipay.ts';
import { ALIPAY_BILL_COLUMNS, encodeGbk, generateAlipayZip, syntheticRow } from './generate.ts';

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const cols = (over: Record<string, string>): string =>
  ALIPAY_BILL_COLUMNS.map((name) => over[name] ?? (name.endsWith('（元）') ? '0.00' : '')).join(',');

const ROWS = [
  cols({ 支付宝交易号: '2019021922001400000001\t', 商户订单号: 'ORD-1\t', 业务类型: '交易', 商品名称: '语雀空间', 创建时间: '2019-02-19 10:00:00', 完成时间: '2019-02-19 10:00:05', '订单金额（元）': '100.00', '商家实收（元）': '100.00', '服务费（元）': '-0.60', 备注: '会员 ' }),
  cols({ 支付宝交易号: '2019021922001400000002\t', 商户订单号: 'ORD-2\t', 业务类型: '交易', 完成时间: '2019-02-19 23:59:59', '订单金额（元）': '0.10', '商家实收（元）': '0.10', '服务费（元）': '0.00' }),
  cols({ 支付宝交易号: '2019021922001400000001\t', 商户订单号: 'ORD-1\t', 业务类型: '退款', 完成时间: '2019-02-19 12:00:00', '订单金额（元）': '-30.00', '商家实收（元）': '-30.00', '退款批次号/请求号': 'RF-1\t', '服务费（元）': '0.18' }),
];

function bill(rows: string[] = ROWS, footer?: string[]): string {
  return [
    '#支付宝业务明细查询',
    '#账号：[20880000000000000156]',
    '#起始日期：[2019年02月19日 00:00:00]   终止日期：[2019年02月20日 00:00:00]',
    '#-----------------------------------------业务明细列表----------------------------------------',
    `${ALIPAY_BILL_COLUMNS.join(',')}`,
    ...rows,
    '#-----------------------------------------业务明细列表结束------------------------------------',
    ...(footer ?? ['#交易合计：2笔，商家实收共100.10元，商家优惠共0.00元', '#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元']),
    '#导出时间：[2019年02月20日 09:00:00]',
    '',
  ].join('\r\n');
}

const EXPECTED: BillLine[] = [
  { kind: 'payment', channelOrderNo: 'ORD-1', channelTradeNo: '2019021922001400000001', amount: 10000, fee: 60, status: '交易', at: new Date('2019-02-19T02:00:05Z'), attach: '会员', line: 6 },
  { kind: 'payment', channelOrderNo: 'ORD-2', channelTradeNo: '2019021922001400000002', amount: 10, fee: 0, status: '交易', at: new Date('2019-02-19T15:59:59Z'), line: 7 },
  { kind: 'refund', channelOrderNo: 'ORD-1', channelTradeNo: '2019021922001400000001', refundNo: 'RF-1', amount: 3000, fee: 18, status: '退款', at: new Date('2019-02-19T04:00:00Z'), line: 8 },
];
const SUMMARY = { channel: 'alipay', paymentCount: 2, paymentReceived: 10010, paymentMerchantDiscount: 0, refundCount: 1, refundReceived: 3000, refundMerchantDiscount: 0 };

const SUMMARY_CSV = encodeGbk('#支付宝业务汇总查询\r\n#-----------------------------------------业务汇总列表----------------------------------------\r\n门店编号,门店名称,交易订单总笔数\r\n');

describe('Alipay detail CSV', () => {
  for (const size of [1, 7, 4096]) {
    it(`parses payments, refunds, tab-padded values and the footer with ${size}-byte chunks`, async () => {
      const parsed = parseAlipayBillCsv(chunked(encodeGbk(bill()), size));
      expect(await collect(parsed.lines)).toEqual(EXPECTED);
      expect(await parsed.summary).toEqual(SUMMARY);
    });
  }
});

describe('Alipay bill ZIP', () => {
  it('finds the detail entry among ASCII-named entries (汇总 first) and parses it in odd chunks', async () => {
    const zip = zipSync({ '2088_20190219_summary.csv': SUMMARY_CSV, '2088_20190219_detail.csv': encodeGbk(bill()) });
    for (const size of [13, 4096]) {
      const parsed = parseAlipayBillZip(chunked(zip, size));
      expect(await collect(parsed.lines)).toEqual(EXPECTED);
      expect(await parsed.summary).toEqual(SUMMARY);
    }
  });

  it('finds a GBK-named entry written without the UTF-8 flag, and ignores the GBK-named 汇总 entry', async () => {
    // fflate writes non-ASCII names as UTF-8 only, so write same-length ASCII placeholders and patch the bytes in.
    const detailName = encodeGbk('20880000000000000156_20190219_业务明细.csv');
    const summaryName = encodeGbk('20880000000000000156_20190219_业务明细(汇总).csv');
    const placeholder = (n: Uint8Array, c: string) => c.repeat(n.length);
    // The 汇总 entry here even carries a detail list (with other rows): only its name can exclude it.
    const decoy = encodeGbk(bill([ROWS[1] as string], ['#交易合计：1笔，商家实收共0.10元，商家优惠共0.00元', '#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元']));
    const zip = zipSync({ [placeholder(summaryName, 's')]: decoy, [placeholder(detailName, 'd')]: encodeGbk(bill()) });
    const patch = (from: string, to: Uint8Array) => {
      const needle = new TextEncoder().encode(from);
      let hits = 0;
      for (let i = 0; i + needle.length <= zip.length; i += 1) {
        if (needle.every((b, j) => zip[i + j] === b)) (zip.set(to, i), (hits += 1));
      }
      expect(hits).toBe(2); // local header and central directory
    };
    patch(placeholder(detailName, 'd'), detailName);
    patch(placeholder(summaryName, 's'), summaryName);
    const flags = (offset: number) => (zip[offset + 6] as number) | ((zip[offset + 7] as number) << 8);
    expect(flags(0) & 0x800).toBe(0); // no UTF-8 flag
    const parsed = parseAlipayBillZip(chunked(zip, 64));
    expect(await collect(parsed.lines)).toEqual(EXPECTED);
    expect(await parsed.summary).toEqual(SUMMARY);
  });

  it('parses a generated 20,000-row bill ZIP with the right sums', async () => {
    let paid = 0;
    let refunded = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const r = syntheticRow(i);
      if (r.kind === 'payment') paid += r.amount;
      else refunded += r.amount;
    }
    const parsed = parseAlipayBillZip(generateAlipayZip(20_000));
    const seen = { payments: 0, refunds: 0, paid: 0, refunded: 0 };
    for await (const line of parsed.lines) {
      if (line.kind === 'payment') (seen.payments += 1), (seen.paid += line.amount);
      else (seen.refunds += 1), (seen.refunded += line.amount);
    }
    expect(seen).toEqual({ payments: 18_000, refunds: 2_000, paid, refunded });
    expect(await parsed.summary).toMatchObject({ paymentCount: 18_000, paymentReceived: paid, refundCount: 2_000, refundReceived: refunded });
  });

  it('refuses a ZIP without a detail list, and a truncated ZIP', async () => {
    const onlySummary = zipSync({ 'summary.csv': SUMMARY_CSV });
    await expect(collect(parseAlipayBillZip(chunked(onlySummary, 4096)).lines)).rejects.toMatchObject({ name: 'BillError', code: 'no_detail_entry' });
    const zip = zipSync({ 'detail.csv': encodeGbk(bill()) }, { level: 0 });
    await expect(collect(parseAlipayBillZip(chunked(zip.subarray(0, 400), 4096)).lines)).rejects.toMatchObject({ name: 'BillError' });
  });
});

async function failure(text: string): Promise<{ code: string; line: number | undefined }> {
  const parsed = parseAlipayBillCsv(chunked(encodeGbk(text), 9));
  try {
    await collect(parsed.lines);
  } catch (error) {
    if (!isBillError(error)) throw error;
    await expect(parsed.summary).rejects.toBe(error);
    return { code: error.code, line: error.line };
  }
  throw new Error('the bill parsed');
}

describe('malformed Alipay bills', () => {
  const [first, second, third] = ROWS as [string, string, string];
  it('names the line of a bad amount, a wrong field count, an unknown type and a wrong sign', async () => {
    expect(await failure(bill([first, second.replace('0.10,0.10', '0.1x,0.10'), third]))).toEqual({ code: 'bad_amount', line: 7 });
    expect(await failure(bill([first, `${second},extra`, third]))).toEqual({ code: 'field_count', line: 7 });
    expect(await failure(bill([first, second.replace('交易', '冻结'), third]))).toEqual({ code: 'unknown_row_type', line: 7 });
    expect(await failure(bill([first, second, third.replace('-30.00', '30.00')]))).toEqual({ code: 'bad_amount', line: 8 });
    expect(await failure(bill([first, second, third.replace('2019-02-19 12:00:00', '2019/02/19 12:00')]))).toEqual({ code: 'bad_time', line: 8 });
  });

  it('refuses a missing marker, a missing footer and a footer that disagrees with the rows', async () => {
    expect(await failure(bill().replace(/#-+业务明细列表-+\r\n/, ''))).toEqual({ code: 'missing_header', line: 4 });
    expect(await failure(bill(ROWS, []))).toMatchObject({ code: 'missing_summary' });
    expect(await failure(bill(ROWS, ['#交易合计：3笔，商家实收共100.10元，商家优惠共0.00元', '#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元']))).toMatchObject({ code: 'summary_mismatch' });
    expect(await failure(bill(ROWS, ['#交易合计：两笔', '#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元']))).toEqual({ code: 'bad_summary', line: 10 });
  });

  it('refuses bytes that are not GBK, naming the line', async () => {
    const good = encodeGbk(bill());
    const bad = new Uint8Array([...good.subarray(0, 20), 0x81, 0x20, ...good.subarray(20)]);
    await expect(collect(parseAlipayBillCsv(chunked(bad, 4096)).lines)).rejects.toMatchObject({ code: 'bad_encoding', line: 1 });
  });
});
