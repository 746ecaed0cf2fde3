// The Alipay sandbox's trade bill over real HTTP, calls signed by hand (testing.ts): alipay.data.dataservice.bill.
// downloadurl.query's answers on the sandbox clock (not before 09:00 on D+1, bad dates, a day without business), the
// 30-second link, and the ZIP it serves — GBK entry names without the UTF-8 flag, GBK CSVs in the §2.9 layout — read
// back byte by byte and through the BFF's parser.

import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { shiftDay } from '../../../shared/channels/index.ts';
import { verifyResponse } from '../../../bff/channels/alipay/crypto.ts';
import { parseAlipayBillZip } from '../../../bff/bills/alipay.ts';
import { ALIPAY_BILL_COLUMNS } from '../../../bff/bills/generate.ts';
import type { BillLine } from '../../../bff/bills/types.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';
import { startTestSandbox, type TestSandbox } from '../testing.ts';
import { BILL_METHOD } from './bills.ts';
import type { AlipaySandbox } from './index.ts';
import { call as rawCall } from './testing.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
/** The Beijing day the tests started on: no trade is ever made on the day before it. */
let startDay: string;
let counter = 0;
const orderNo = () => `B${Date.now()}_${(counter += 1)}`;
const clock = () => sandbox.sandbox.context.clock;
const call = (method: string, biz: Record<string, unknown>) => rawCall(credentials, method, biz, { now: clock().now() });
const billCall = (biz: Record<string, unknown>) => call(BILL_METHOD, biz);
const RESPONSE_KEY = 'alipay_data_dataservice_bill_downloadurl_query_response';

const at = (day: string, time: string) => new Date(`${day}T${time}+08:00`);
const today = () => formatBeijingTime(clock().now()).slice(0, 10);
function moveTo(instant: Date): void {
  const ms = instant.getTime() - clock().now().getTime();
  if (ms < 0) throw new Error(`the sandbox clock is already past ${instant.toISOString()}`);
  clock().advance(ms);
}
/** 10:00 Beijing on the next day: a fresh clearing day, well clear of midnight. */
function nextDay(): string {
  const day = shiftDay(today(), 1);
  moveTo(at(day, '10:00:00'));
  return day;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  startDay = today();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

async function paidTrade(amount: string, subject = 'Celadon tea set'): Promise<{ outTradeNo: string; tradeNo: string }> {
  const outTradeNo = orderNo();
  const created = await call('alipay.trade.create', { out_trade_no: outTradeNo, total_amount: amount, subject });
  expect(created.response.code).toBe('10000');
  await alipay.pay(outTradeNo);
  return { outTradeNo, tradeNo: String(created.response.trade_no) };
}

/** The entries of a ZIP as its central directory lists them: raw name bytes and flags, with the local header's flags. */
function zipDirectory(zip: Uint8Array): Array<{ name: Uint8Array; flags: number; localFlags: number }> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  const entries = [];
  for (let i = 0; i < count; i += 1) {
    expect(view.getUint32(offset, true)).toBe(0x02014b50);
    const nameLength = view.getUint16(offset + 28, true);
    const local = view.getUint32(offset + 42, true);
    entries.push({ name: zip.subarray(offset + 46, offset + 46 + nameLength), flags: view.getUint16(offset + 8, true), localFlags: view.getUint16(local + 6, true) });
    offset += 46 + nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  return entries;
}

/** The text of each entry (fflate reads the archive; names come back as the Latin-1 of their GBK bytes). */
function zipTexts(zip: Uint8Array): Map<string, string> {
  const gbk = new TextDecoder('gbk', { fatal: true });
  const texts = new Map<string, string>();
  for (const [name, data] of Object.entries(unzipSync(zip))) texts.set(gbk.decode(Uint8Array.from(name, (c) => c.charCodeAt(0))), gbk.decode(data));
  return texts;
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function parsed(zip: Uint8Array) {
  const bill = parseAlipayBillZip(chunked(zip, 100));
  const lines: BillLine[] = [];
  for await (const line of bill.lines) lines.push(line);
  return { lines, summary: await bill.summary };
}

async function download(url: unknown): Promise<{ status: number; bytes: Uint8Array; type: string | null }> {
  const response = await fetch(String(url));
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type') };
}

const chineseDay = (day: string) => `${day.slice(0, 4)}年${day.slice(5, 7)}月${day.slice(8, 10)}日`;

describe('alipay.data.dataservice.bill.downloadurl.query', () => {
  it('a day of payments and a refund: isp.bill_not_exist until 09:00 on D+1, then a signed link to the GBK ZIP', async () => {
    const day = nextDay();
    const big = await paidTrade('128.00', '青瓷茶具, "六件套"');
    const refundAsk = { out_trade_no: big.outTradeNo, refund_amount: '50.00', out_request_no: `RF${orderNo()}` };
    expect((await call('alipay.trade.refund', refundAsk)).response).toMatchObject({ code: '10000', fund_change: 'Y' });
    const small = await paidTrade('0.10');
    // Never paid: no line.
    expect((await call('alipay.trade.create', { out_trade_no: orderNo(), total_amount: '9.00', subject: 'unpaid' })).response.code).toBe('10000');
    const next = shiftDay(day, 1);

    moveTo(at(next, '08:59:59'));
    const early = await billCall({ bill_type: 'trade', bill_date: day });
    expect(early.response).toEqual({ code: '40004', msg: 'Business Failed', sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' });
    expect(verifyResponse(early.raw, RESPONSE_KEY, credentials.alipayPublicKey)).toBe(true);

    moveTo(at(next, '09:00:00'));
    const answer = await billCall({ bill_type: 'trade', bill_date: day });
    expect(answer.response).toMatchObject({ code: '10000', msg: 'Success' });
    expect(answer.response).not.toHaveProperty('bill_file_code');
    expect(verifyResponse(answer.raw, RESPONSE_KEY, credentials.alipayPublicKey)).toBe(true);
    expect(answer.raw).toContain('"bill_download_url":"http:\\/\\/127.0.0.1:'); // "/" escaped, as Alipay writes JSON

    const account = `${alipay.trades.sellerId}0156`;
    const compact = day.replaceAll('-', '');
    const link = new URL(String(answer.response.bill_download_url));
    expect(link.pathname).toBe('/downloadBillFile.resource');
    expect(Object.fromEntries(link.searchParams)).toMatchObject({
      bizType: 'trade',
      userId: account,
      fileType: 'csv.zip',
      bizDates: compact,
      downloadFileName: `${account}_${compact}.csv.zip`,
      fileId: `/trade/${account}/${compact}.csv.zip`,
      timestamp: String(Math.floor(clock().now().getTime() / 1000)),
    });
    expect(link.searchParams.get('token')).toMatch(/^[0-9a-f]{32}$/);

    const { status, bytes } = await download(link);
    expect(status).toBe(200);
    const directory = zipDirectory(bytes);
    const gbk = new TextDecoder('gbk', { fatal: true });
    expect(directory.map((entry) => gbk.decode(entry.name))).toEqual([`${account}_${compact}_业务明细.csv`, `${account}_${compact}_业务明细(汇总).csv`]);
    // GBK bytes, not UTF-8: 业 is 0xD2 0xB5 in GBK; and bit 11 (UTF-8 names) is clear in both headers.
    expect([...directory[0]!.name.subarray(account.length + compact.length + 2, account.length + compact.length + 4)]).toEqual([0xd2, 0xb5]);
    for (const entry of directory) expect([entry.flags & 0x800, entry.localFlags & 0x800]).toEqual([0, 0]);

    const texts = zipTexts(bytes);
    const detail = texts.get(`${account}_${compact}_业务明细.csv`)!;
    expect(detail.endsWith('\r\n')).toBe(true);
    const lines = detail.split('\r\n').slice(0, -1);
    const bigOrder = alipay.trades.get(big.outTradeNo)!;
    const [refund] = alipay.trades.refundsOf(bigOrder);
    const time = (iso: string | undefined) => formatBeijingTime(new Date(iso!));
    expect(lines).toEqual([
      '#支付宝业务明细查询',
      `#账号：[${account}]`,
      `#起始日期：[${chineseDay(day)} 00:00:00]   终止日期：[${chineseDay(next)} 00:00:00]`,
      '#-----------------------------------------业务明细列表----------------------------------------',
      ALIPAY_BILL_COLUMNS.join(','),
      // 0.6 % of 128.00 is 0.768: 0.77 charged, written negative; Alipay returns no fee with a refund (DESIGN §5).
      `${big.tradeNo}\t,${big.outTradeNo}\t,交易,"青瓷茶具, ""六件套""",${time(bigOrder.createdAt)},${time(bigOrder.paidAt)},,,,,buy***@sandbox.example,128.00,128.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.77,0.00,`,
      `${big.tradeNo}\t,${big.outTradeNo}\t,退款,"青瓷茶具, ""六件套""",${time(bigOrder.createdAt)},${time(refund!.at)},,,,,buy***@sandbox.example,-50.00,-50.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,${refundAsk.out_request_no}\t,0.00,0.00,`,
      // 0.6 % of 0.10 rounds to nothing.
      expect.stringMatching(new RegExp(`^${small.tradeNo}\\t,${small.outTradeNo}\\t,交易,Celadon tea set,.*,0\\.10,0\\.10,.*,,0\\.00,0\\.00,$`)),
      '#-----------------------------------------业务明细列表结束------------------------------------',
      '#交易合计：2笔，商家实收共128.10元，商家优惠共0.00元',
      '#退款合计：1笔，商家实收退款共-50.00元，商家优惠退款共0.00元',
      expect.stringMatching(new RegExp(`^#导出时间：\\[${chineseDay(next)} 09:00:0\\d\\]$`)),
    ]);
    const summary = texts.get(`${account}_${compact}_业务明细(汇总).csv`)!.split('\r\n');
    expect(summary[3]).toBe('#-----------------------------------------业务汇总列表----------------------------------------');
    expect(summary[5]).toBe('合计,,2,1,78.10,78.10,0.00,0.00,0.00,-0.77,0.00,77.33');

    // The BFF's parser reads it as the bill it is.
    const bill = await parsed(bytes);
    expect(bill.lines.map(({ kind, channelOrderNo, refundNo, amount, fee, status }) => ({ kind, channelOrderNo, refundNo, amount, fee, status }))).toEqual([
      { kind: 'payment', channelOrderNo: big.outTradeNo, refundNo: undefined, amount: 12_800, fee: 77, status: '交易' },
      { kind: 'refund', channelOrderNo: big.outTradeNo, refundNo: refundAsk.out_request_no, amount: 5_000, fee: 0, status: '退款' },
      { kind: 'payment', channelOrderNo: small.outTradeNo, refundNo: undefined, amount: 10, fee: 0, status: '交易' },
    ]);
    expect(bill.summary).toEqual({ channel: 'alipay', paymentCount: 2, paymentReceived: 12_810, paymentMerchantDiscount: 0, refundCount: 1, refundReceived: 5_000, refundMerchantDiscount: 0 });
  });

  it('the link serves for 30 s on the sandbox clock, and only as it was given', async () => {
    const day = nextDay();
    await paidTrade('1.00');
    moveTo(at(shiftDay(day, 1), '09:30:00'));
    const link = new URL(String((await billCall({ bill_type: 'trade', bill_date: day })).response.bill_download_url));

    const altered = new URL(link);
    altered.searchParams.set('bizDates', shiftDay(day, -1).replaceAll('-', ''));
    expect((await download(altered)).status).toBe(403);

    clock().advance(30_000);
    const again = await download(link);
    expect([again.status, [...again.bytes.subarray(0, 2)]]).toEqual([200, [0x50, 0x4b]]);
    clock().advance(1_000);
    const late = await download(link);
    expect(late.status).toBe(403);
    expect(new TextDecoder().decode(late.bytes)).toBe('下载链接无效或已过期');
  });

  it('a day without business: 10000 with bill_file_code EMPTY_DATA_WITH_BILL_FILE, and an empty bill behind the link', async () => {
    const quiet = shiftDay(startDay, -1);
    const answer = await billCall({ bill_type: 'trade', bill_date: quiet });
    expect(answer.response).toMatchObject({ code: '10000', msg: 'Success', bill_file_code: 'EMPTY_DATA_WITH_BILL_FILE' });
    expect(verifyResponse(answer.raw, RESPONSE_KEY, credentials.alipayPublicKey)).toBe(true);
    const { bytes } = await download(answer.response.bill_download_url);
    const bill = await parsed(bytes);
    expect(bill.lines).toEqual([]);
    expect(bill.summary).toMatchObject({ paymentCount: 0, paymentReceived: 0, refundCount: 0, refundReceived: 0 });
    const detail = [...zipTexts(bytes).values()][0]!;
    expect(detail).toContain('#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\r\n');
  });

  it.each([
    ['a date that does not exist', { bill_type: 'trade', bill_date: '2025-02-30' }],
    ['a date without dashes', { bill_type: 'trade', bill_date: '20250201' }],
    ['no bill_date', { bill_type: 'trade' }],
    ['a monthly bill (not in the sandbox)', { bill_type: 'trade', bill_date: '2025-01' }],
    ['bill_type in upper case', { bill_type: 'TRADE', bill_date: '2025-02-01' }],
  ])('%s: 40004 isv.invalid_arguments 入参不合法', async (_, biz) => {
    const answer = await billCall(biz);
    expect(answer.response).toMatchObject({ code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid_arguments' });
    expect(String(answer.response.sub_msg).startsWith('入参不合法')).toBe(true);
    expect(verifyResponse(answer.raw, RESPONSE_KEY, credentials.alipayPublicKey)).toBe(true);
  });

  it('today and later days are refused as invalid arguments, not as a missing bill (T+1 only)', async () => {
    for (const day of [today(), shiftDay(today(), 1)]) {
      expect((await billCall({ bill_type: 'trade', bill_date: day })).response).toMatchObject({ code: '40004', sub_code: 'isv.invalid_arguments' });
    }
    expect((await billCall({ bill_type: 'trade', bill_date: shiftDay(today(), -1) })).response.code).toBe('10000');
  });

  it('signcustomer (the fund bill) is not offered by the sandbox: TYPE_NOT_SUPPORTED', async () => {
    const answer = await billCall({ bill_type: 'signcustomer', bill_date: shiftDay(today(), -1) });
    expect(answer.response).toMatchObject({ code: '40004', sub_code: 'TYPE_NOT_SUPPORTED' });
  });
});

describe('billEntries', () => {
  it('puts a payment at 23:59:59 in its day and one at 00:00:00 in the next; refunds by out_request_no at their time', async () => {
    const day = nextDay();
    moveTo(at(day, '23:59:59'));
    const late = await paidTrade('2.00');
    const next = shiftDay(day, 1);
    moveTo(at(next, '00:00:00'));
    const early = await paidTrade('3.00');
    moveTo(at(next, '00:00:05'));
    const outRequestNo = `RF${orderNo()}`;
    expect((await call('alipay.trade.refund', { trade_no: late.tradeNo, refund_amount: '2.00', out_request_no: outRequestNo })).response.fund_change).toBe('Y');

    const entries = alipay
      .billEntries()
      .filter((entry) => [late.outTradeNo, early.outTradeNo].includes(entry.order.key))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(entries.map(({ kind, order, refundNo, amount, at: when }) => ({ kind, key: order.key, refundNo, amount, day: formatBeijingTime(when).slice(0, 10) }))).toEqual([
      { kind: 'payment', key: late.outTradeNo, refundNo: undefined, amount: 200, day },
      { kind: 'payment', key: early.outTradeNo, refundNo: undefined, amount: 300, day: next },
      { kind: 'refund', key: late.outTradeNo, refundNo: outRequestNo, amount: 200, day: next },
    ]);
    // The trade was refunded in full (closed): its payment still counts.
    expect(alipay.trades.get(late.outTradeNo)!.status).toBe('closed');

    moveTo(at(shiftDay(next, 1), '09:00:00'));
    const rowsOf = async (d: string) => ((await (await fetch(`${sandbox.url}/control/bills/alipay/${d}`)).json()) as { rows: Array<{ orderKey: string; kind: string }> }).rows;
    expect((await rowsOf(day)).map((row) => [row.kind, row.orderKey])).toEqual([['payment', late.outTradeNo]]);
    expect((await rowsOf(next)).map((row) => [row.kind, row.orderKey])).toEqual([['payment', early.outTradeNo], ['refund', late.outTradeNo]]);
  });
});
