// The Alipay adapter's bill(day) against the Alipay sandbox over real HTTP: a day's payment and refund as BillLines
// with their fees, each discrepancy the sandbox can inject, not-ready before 09:00 on D+1, a day without business,
// and answers that must not be believed (a forged or altered signature, a link that no longer serves a ZIP). Only
// the network (fetch) is ever replaced; the refusal mapping is also checked on its own for answers the sandbox
// never gives.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import type { AlipaySandbox } from '../../../demo/sandbox/alipay/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { shiftDay } from '../../../shared/channels/index.ts';
import type { BillLine } from '../../bills/types.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { BillOutcome, ChannelAdapter } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { answerOf } from './answers.ts';
import { BILL_METHOD, BILL_NOT_EXIST_GRACE_MS, billRefusal } from './bill.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let adapter: ChannelAdapter;
let shop: Server;
let notifyUrl: string;
/** The Beijing day the tests started on: no trade is ever made on the day before it. */
let startDay: string;
let counter = 0;
const orderNo = () => `BL${Date.now()}${String((counter += 1)).padStart(4, '0')}`;
const clock = () => sandbox.sandbox.context.clock;
const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };
const adapterWith = (http: Partial<HttpOptions> = {}) => alipayAdapter(credentials, { ...HTTP, now: () => clock().now(), ...http });

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
/** Alipay writes times to the second. */
const toSecond = (iso: string | undefined) => new Date(Math.floor(Date.parse(iso ?? '') / 1000) * 1000);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  adapter = adapterWith();
  startDay = today();
  // The payment and refund notifications need somewhere to land; bills do not read them.
  shop = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end('success'));
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/notify/alipay`;
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => shop?.close(() => resolve()));
});

/** A paid in-client payment through the adapter, and the sandbox's record of it. */
async function paid(amount: number) {
  const channelOrderNo = orderNo();
  const outcome = await adapter.pay({
    product: 'inapp',
    channelOrderNo,
    amount,
    currency: 'CNY',
    description: 'Celadon tea set',
    expiresAt: new Date(clock().now().getTime() + 15 * 60_000),
    notifyUrl,
    creditCardsAllowed: true,
  });
  if (outcome.kind !== 'action') throw new Error(JSON.stringify(outcome));
  await alipay.pay(channelOrderNo);
  return alipay.trades.get(channelOrderNo)!;
}

async function refunded(order: { key: string; tradeNo: string; createdAt: string; amount: number }, amount: number): Promise<string> {
  const refundNo = `RF${orderNo()}`;
  const outcome = await adapter.refund({
    channelOrderNo: order.key,
    channelTradeNo: order.tradeNo,
    paymentCreatedAt: new Date(order.createdAt),
    refundNo,
    amount,
    total: order.amount,
    currency: 'CNY',
    notifyUrl,
  });
  expect(outcome.kind).toBe('accepted');
  return refundNo;
}

async function read(outcome: BillOutcome) {
  if (outcome.kind !== 'ready') throw new Error(`expected a bill, got ${JSON.stringify(outcome)}`);
  const lines: BillLine[] = [];
  for await (const line of outcome.bill.lines) lines.push(line);
  return { lines, summary: await outcome.bill.summary };
}

const discrepancy = async (day: string, body: Record<string, unknown>) =>
  fetch(`${sandbox.url}/control/bills/alipay/${day}/discrepancies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('bill(day)', () => {
  it('not-ready before 09:00 on D+1; then the payment and its refund as BillLines, fee charged and none returned', async () => {
    const day = nextDay();
    const order = await paid(12_800);
    const refundNo = await refunded(order, 5_000);
    const next = shiftDay(day, 1);

    moveTo(at(next, '08:59:59'));
    expect(await adapter.bill(day)).toEqual({ kind: 'not-ready', message: 'isp.bill_not_exist: 账单不存在' });

    moveTo(at(next, '09:00:00'));
    const { lines, summary } = await read(await adapter.bill(day));
    const refund = alipay.trades.refundsOf(alipay.trades.get(order.key)!)[0]!;
    expect(lines).toEqual([
      // 0.6 % of 128.00 = 0.768 → 0.77 (SANDBOX_FEE_TERMS); Alipay keeps the fee on a refund (DESIGN §5).
      { kind: 'payment', channelOrderNo: order.key, channelTradeNo: order.tradeNo, amount: 12_800, fee: 77, status: '交易', at: toSecond(order.paidAt), line: 6 },
      { kind: 'refund', channelOrderNo: order.key, channelTradeNo: order.tradeNo, refundNo, amount: 5_000, fee: 0, status: '退款', at: toSecond(refund.at), line: 7 },
    ]);
    expect(summary).toEqual({ channel: 'alipay', paymentCount: 1, paymentReceived: 12_800, paymentMerchantDiscount: 0, refundCount: 1, refundReceived: 5_000, refundMerchantDiscount: 0 });
  });

  it('shows every discrepancy the sandbox injects: a missing line, an extra line, another amount, another fee', async () => {
    const day = nextDay();
    const gone = await paid(10_000);
    const kept = await paid(20_000);
    const feeChanged = await paid(5_000);
    const refundNo = await refunded(kept, 2_000);
    moveTo(at(shiftDay(day, 1), '09:00:00'));

    const { lines: truthful } = await read(await adapter.bill(day));
    expect(truthful.map((line) => [line.kind, line.channelOrderNo, line.amount, line.fee])).toEqual([
      ['payment', gone.key, 10_000, 60],
      ['payment', kept.key, 20_000, 120],
      ['payment', feeChanged.key, 5_000, 30],
      ['refund', kept.key, 2_000, 0],
    ]);

    for (const body of [
      { kind: 'missing', key: gone.key },
      { kind: 'extra', key: 'GHOST0001', amount: 999 },
      { kind: 'amount', key: refundNo, delta: 100 },
      { kind: 'fee', key: feeChanged.key, delta: 3 },
    ]) {
      expect((await discrepancy(day, body)).status).toBe(200);
    }
    // Alipay's bill has no status column, so there is no status to change.
    const status = await discrepancy(day, { kind: 'status', key: kept.key, status: 'REFUND' });
    expect([status.status, await status.json()]).toEqual([400, { error: "alipay's bill has no status column", field: 'kind' }]);

    const { lines, summary } = await read(await adapter.bill(day));
    expect(lines.map((line) => [line.kind, line.channelOrderNo, line.refundNo, line.amount, line.fee])).toEqual([
      ['payment', kept.key, undefined, 20_000, 120],
      ['payment', feeChanged.key, undefined, 5_000, 33],
      ['refund', kept.key, refundNo, 2_100, 0],
      ['payment', 'GHOST0001', undefined, 999, 6],
    ]);
    expect(summary).toMatchObject({ paymentCount: 3, paymentReceived: 25_999, refundCount: 1, refundReceived: 2_100 });
  });

  it('a day without business is no-bill (EMPTY_DATA_WITH_BILL_FILE), and the day not over yet is not-ready', async () => {
    expect(await adapter.bill(shiftDay(startDay, -1))).toEqual({ kind: 'no-bill', message: 'EMPTY_DATA_WITH_BILL_FILE: 当天无账单业务数据' });
    // Alipay refuses today's date as invalid arguments: asked too early, not a broken request.
    expect(await adapter.bill(today())).toMatchObject({ kind: 'not-ready', message: expect.stringContaining('isv.invalid_arguments') });
    await expect(adapter.bill('2026-02-30')).rejects.toMatchObject({ name: 'RuleError', code: 'invalid_date' });
  });

  it('refuses an answer signed with another key, and one altered on the way; the next honest answer is read', async () => {
    const day = nextDay();
    await paid(1_000);
    moveTo(at(shiftDay(day, 1), '09:00:00'));

    alipay.faults.next(BILL_METHOD, 'forged-signature');
    expect(await adapter.bill(day)).toEqual({ kind: 'unknown', reason: 'the answer is not signed with the Alipay public key we hold' });

    // Someone on the way points the link elsewhere; the signature covers the link.
    const altering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (!url.includes('/gateway.do')) return response;
      const text = (await response.text()).replace('downloadBillFile.resource', 'downloadBillFile.resourcf');
      return new Response(text, { status: response.status, headers: response.headers });
    };
    expect(await adapterWith({ fetch: altering }).bill(day)).toEqual({ kind: 'unknown', reason: 'the answer is not signed with the Alipay public key we hold' });

    expect((await read(await adapter.bill(day))).lines).toHaveLength(1);
  });

  it('a link that no longer serves the ZIP is unknown (ask again), not a bill that fails', async () => {
    const day = nextDay();
    await paid(1_000);
    moveTo(at(shiftDay(day, 1), '09:00:00'));
    // The download starts only after the link's 30 s have passed.
    const slow: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.includes('/downloadBillFile.resource')) clock().advance(31_000);
      return fetch(input, init);
    };
    expect(await adapterWith({ fetch: slow }).bill(day)).toEqual({ kind: 'unknown', reason: 'bill download: HTTP 403' });

    const page: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      return url.includes('/downloadBillFile.resource') ? new Response('<html>链接已失效</html>', { status: 200 }) : fetch(input, init);
    };
    expect(await adapterWith({ fetch: page }).bill(day)).toEqual({
      kind: 'unknown',
      reason: 'the bill download is not a ZIP (it starts "<html>链接已失效</html>"); the link may have expired',
    });
  });

  it('a download that stops flowing ends the lines and the summary with download_stalled, within the timeout', async () => {
    const day = nextDay();
    await paid(1_000);
    moveTo(at(shiftDay(day, 1), '09:00:00'));
    // The real ZIP's first 40 bytes arrive, then nothing more.
    const stalling: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const response = await fetch(input, init);
      if (!url.includes('/downloadBillFile.resource')) return response;
      const head = new Uint8Array(await response.arrayBuffer()).subarray(0, 40);
      return new Response(new ReadableStream({ start: (controller) => controller.enqueue(head) }), { status: 200 });
    };
    const outcome = await adapterWith({ fetch: stalling, timeoutMs: 200 }).bill(day);
    if (outcome.kind !== 'ready') throw new Error(JSON.stringify(outcome));
    const started = Date.now();
    await expect(read(outcome)).rejects.toMatchObject({ name: 'BillDownloadError', code: 'download_stalled' });
    await expect(outcome.bill.summary).rejects.toMatchObject({ code: 'download_stalled' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('billRefusal: Alipay refusals the sandbox never gives', () => {
  const day = '2026-11-26';
  const availableAt = at('2026-11-27', '09:00:00');
  const refusal = (code: string, subCode: string, subMsg: string, now: Date) => billRefusal(answerOf({ code, msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg }), day, now);

  it('bill does not exist: not-ready until a day past the bill hour, then read as no business that day', () => {
    const justBefore = new Date(availableAt.getTime() + BILL_NOT_EXIST_GRACE_MS - 1);
    expect(refusal('40004', 'isp.bill_not_exist', '账单不存在', justBefore).kind).toBe('not-ready');
    expect(refusal('40004', 'BILL_NOT_EXIST', '账单不存在', justBefore).kind).toBe('not-ready');
    expect(refusal('40004', 'isp.bill_not_exist', '账单不存在', new Date(justBefore.getTime() + 1)).kind).toBe('no-bill');
  });

  it('maps no data, bad arguments for a past day, rate limits and 20000 as Alipay means them', () => {
    const later = at('2026-12-01', '12:00:00');
    expect(refusal('40004', 'NO_BILL_DATA', '商户在请求的账单时间内没有发生当前账单类型的业务', later)).toEqual({ kind: 'no-bill', message: 'NO_BILL_DATA: 商户在请求的账单时间内没有发生当前账单类型的业务' });
    expect(refusal('40004', 'isv.invalid_arguments', '入参不合法', later)).toEqual({ kind: 'failed', code: 'isv.invalid_arguments', message: '入参不合法' });
    expect(refusal('40004', 'INVAILID_ARGUMENTS', '入参不合法', later).kind).toBe('failed');
    expect(refusal('40004', 'SYSTEM_RATE_LIMIT', '系统当前负载较高，请求被限流，请稍后重试', later).kind).toBe('unknown');
    expect(refusal('40004', 'BILL_DATE_BEFORE_REGISTRATION', '请求的账单时间早于注册时间', later).kind).toBe('failed');
    expect(billRefusal(answerOf({ code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }), day, later).kind).toBe('unknown');
  });
});
