// The Alipay adapter's refund, refund query and notification reading against the Alipay sandbox over real HTTP:
// what it sends (trade_no first, out_request_no = our refund number, yuan), how every answer lands (fund_change Y/N,
// 20000, ACQ.*), and what the sandbox's real refund notifications say. Faults are scripted at the sandbox; only the
// network (fetch) is ever replaced.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import type { AlipaySandbox } from '../../../demo/sandbox/alipay/index.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { ChannelAdapter, PayRequest, RefundRef, RefundRequest } from '../types.ts';
import { alipayAdapter } from './adapter.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let adapter: ChannelAdapter;
let shop: Server;
let notifyUrl: string;
const received: Array<{ headers: Record<string, string>; body: string }> = [];
let counter = 0;
const orderNo = () => `AR${Date.now()}${String((counter += 1)).padStart(4, '0')}`;
const clock = () => sandbox.sandbox.context.clock;
const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };
const adapterWith = (http: Partial<HttpOptions> = {}) => alipayAdapter(credentials, { ...HTTP, now: () => clock().now(), ...http });
/** Alipay writes times to the second. */
const toSecond = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  adapter = adapterWith();
  shop = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])), body });
      response.end('success');
    });
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/notify/alipay`;
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => shop?.close(() => resolve()));
});

/** A paid in-client (alipay.trade.create) payment of 128.00 yuan, and the refund request for part of it. */
async function paid(amount = 12_800) {
  const payRequest: PayRequest = {
    product: 'inapp',
    channelOrderNo: orderNo(),
    amount,
    currency: 'CNY',
    description: 'Celadon tea set',
    expiresAt: new Date(clock().now().getTime() + 15 * 60_000),
    notifyUrl,
    creditCardsAllowed: true,
  };
  const outcome = await adapter.pay(payRequest);
  if (outcome.kind !== 'action') throw new Error(JSON.stringify(outcome));
  await alipay.pay(payRequest.channelOrderNo);
  const order = alipay.trades.get(payRequest.channelOrderNo)!;
  const request: Ask = (overrides = {}) => ({
    channelOrderNo: payRequest.channelOrderNo,
    channelTradeNo: order.tradeNo,
    paymentCreatedAt: new Date(order.createdAt),
    refundNo: `RF${orderNo()}`,
    amount: 5000,
    total: amount,
    currency: 'CNY',
    reason: 'one cup broken',
    notifyUrl,
    ...overrides,
  });
  const ref = (refund: RefundRequest): RefundRef => ({
    channelOrderNo: refund.channelOrderNo,
    channelTradeNo: refund.channelTradeNo,
    refundNo: refund.refundNo,
    paymentCreatedAt: refund.paymentCreatedAt,
    requestedAt: clock().now(),
  });
  return { order, request, ref };
}

type Ask = (overrides?: Partial<RefundRequest>) => RefundRequest;
const refundsAt = (channelOrderNo: string) => alipay.trades.refundsOf(alipay.trades.get(channelOrderNo)!);

describe('refund: alipay.trade.refund', () => {
  it('fund_change=Y: accepted and succeeded, for the amount asked; out_request_no is our refund number, the reason sent', async () => {
    const { request } = await paid();
    const ask = request();
    const outcome = await adapter.refund(ask);
    const [stored] = refundsAt(ask.channelOrderNo);
    expect(stored).toMatchObject({ outRequestNo: ask.refundNo, amount: 5000, reason: 'one cup broken' });
    expect(outcome).toEqual({ kind: 'accepted', refund: { state: 'succeeded', channelState: 'fund_change=Y', amount: 5000, succeededAt: toSecond(stored!.at) } });
  });

  it('the same number again: fund_change=N, so the refund query decides — that refund, succeeded, moved once', async () => {
    const { request } = await paid();
    const ask = request();
    await adapter.refund(ask);
    const again = await adapter.refund(ask);
    const refunds = refundsAt(ask.channelOrderNo);
    expect(refunds).toHaveLength(1);
    expect(again).toEqual({ kind: 'accepted', refund: { state: 'succeeded', channelState: 'REFUND_SUCCESS', amount: 5000, succeededAt: toSecond(refunds[0]!.at) } });
  });

  it('fund_change=N with a refund query that fails is unknown, never failed', async () => {
    const { request } = await paid();
    const ask = request();
    await adapter.refund(ask);
    sandbox.sandbox.context.faults.set('alipay', ask.channelOrderNo, { queryFailure: '5xx', queryFailures: 2 });
    expect(await adapterWith({ readRetries: 0 }).refund(ask)).toEqual({ kind: 'unknown', reason: 'fund_change=N and the refund query did not answer' });
  });

  it('names the trade by trade_no when known (a wrong one fails although out_trade_no is right), else by out_trade_no', async () => {
    const { request } = await paid();
    expect(await adapter.refund(request({ channelTradeNo: '2026010122001000000000000000' }))).toEqual({ kind: 'failed', code: 'ACQ.TRADE_NOT_EXIST', message: '交易不存在' });
    expect(await adapter.refund(request({ channelTradeNo: undefined }))).toMatchObject({ kind: 'accepted', refund: { state: 'succeeded' } });
  });

  it('cuts a reason longer than refund_reason\u2019s 256 characters rather than failing the refund', async () => {
    const { request } = await paid();
    const ask = request({ reason: '碎'.repeat(300) });
    expect((await adapter.refund(ask)).kind).toBe('accepted');
    expect(refundsAt(ask.channelOrderNo)[0]!.reason).toBe('碎'.repeat(256));
  });

  it.each([
    ['more than is left', (r: Ask) => r({ amount: 12_801 }), { kind: 'failed', code: 'ACQ.REASON_TRADE_REFUND_FEE_ERR', message: '退款金额无效' }],
    ['a balance that cannot cover it', (r: Ask) => (alipay.faults.next('alipay.trade.refund', 'seller-balance-not-enough'), r()), { kind: 'failed', code: 'ACQ.SELLER_BALANCE_NOT_ENOUGH', message: '卖家余额不足' }],
  ] as const)('fails for good on %s', async (_what, ask, expected) => {
    const { request } = await paid();
    expect(await adapter.refund(ask(request))).toEqual(expected);
  });

  it('fails a refund of an unpaid trade (ACQ.TRADE_STATUS_ERROR) and one past the 3-month window (ACQ.TRADE_NOT_ALLOW_REFUND)', async () => {
    const unpaid: PayRequest = { product: 'inapp', channelOrderNo: orderNo(), amount: 100, currency: 'CNY', description: 'tea', expiresAt: new Date(clock().now().getTime() + 600_000), notifyUrl, creditCardsAllowed: true };
    await adapter.pay(unpaid);
    const { request } = await paid();
    expect(await adapter.refund({ ...request(), channelOrderNo: unpaid.channelOrderNo, channelTradeNo: undefined, amount: 100 })).toMatchObject({ kind: 'failed', code: 'ACQ.TRADE_STATUS_ERROR' });
    clock().advance(93 * 86_400_000);
    expect(await adapter.refund(request())).toEqual({ kind: 'failed', code: 'ACQ.TRADE_NOT_ALLOW_REFUND', message: '当前交易不允许退款' });
  });

  it('the same number with another amount is unknown, not failed: a refund under that number may have moved money', async () => {
    const { request } = await paid();
    const ask = request();
    await adapter.refund(ask);
    expect(await adapter.refund({ ...ask, amount: 4000 })).toEqual({ kind: 'unknown', reason: 'ACQ.DISCORDANT_REPEAT_REQUEST: 不一致的请求' });
    expect(await adapter.queryRefund({ channelOrderNo: ask.channelOrderNo, refundNo: ask.refundNo, paymentCreatedAt: ask.paymentCreatedAt, requestedAt: clock().now() })).toMatchObject({
      layer: 'trade',
      refund: { state: 'succeeded', amount: 5000 },
    });
  });

  it('a second refund within 3 s is refused as ACQ.SYSTEM_ERROR: unknown, and the same number goes through later', async () => {
    const { request } = await paid();
    await adapter.refund(request());
    const second = request({ amount: 1000 });
    expect(await adapter.refund(second)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^ACQ\.SYSTEM_ERROR: /) });
    clock().advance(3_000);
    expect(await adapter.refund(second)).toMatchObject({ kind: 'accepted', refund: { state: 'succeeded', channelState: 'fund_change=Y', amount: 1000 } });
  });

  it.each(['unknow-error', 'system-error', 'http-502', 'forged-signature', 'applied-then-unknown'] as const)(
    'a %s answer leaves the refund unknown; asking again with the same number settles it without refunding twice',
    async (fault) => {
      const { request } = await paid();
      const ask = request();
      alipay.faults.next('alipay.trade.refund', fault);
      expect(await adapter.refund(ask)).toMatchObject({ kind: 'unknown' });
      clock().advance(3_000);
      expect(await adapter.refund(ask)).toMatchObject({ kind: 'accepted', refund: { state: 'succeeded', amount: 5000 } });
      expect(refundsAt(ask.channelOrderNo)).toHaveLength(1);
    },
  );

  it('a write is never retried: one attempt, then unknown', async () => {
    const { request } = await paid();
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const ask = request();
    expect(await adapterWith({ fetch: flaky, readRetries: 3 }).refund(ask)).toMatchObject({ kind: 'unknown', reason: 'transport error (TypeError)' });
    expect(calls).toBe(1);
    expect(refundsAt(ask.channelOrderNo)).toEqual([]);
  });

  it('refuses to send what Alipay cannot take', async () => {
    const { request } = await paid();
    await expect(adapter.refund(request({ currency: 'USD' }))).rejects.toMatchObject({ code: 'unsupported_currency' });
    await expect(adapter.refund(request({ amount: 0 }))).rejects.toMatchObject({ code: 'invalid_amount' });
    await expect(adapter.refund(request({ amount: 12.5 }))).rejects.toMatchObject({ code: 'invalid_amount' });
  });
});

describe('queryRefund: alipay.trade.fastpay.refund.query', () => {
  it('REFUND_SUCCESS: succeeded, with this refund\u2019s own amount and gmt_refund_pay (asked for through query_options)', async () => {
    const { request, ref } = await paid();
    const first = request();
    await adapter.refund(first);
    clock().advance(3_000);
    const second = request({ amount: 1234 });
    await adapter.refund(second);
    const stored = refundsAt(second.channelOrderNo)[1]!;
    expect(await adapter.queryRefund(ref(second))).toEqual({
      layer: 'trade',
      ok: true,
      refund: { state: 'succeeded', channelState: 'REFUND_SUCCESS', amount: 1234, succeededAt: toSecond(stored.at) },
    });
    expect(await adapter.queryRefund({ ...ref(second), channelTradeNo: undefined })).toMatchObject({ layer: 'trade', refund: { amount: 1234 } });
  });

  it('no refund_status: not-found (not received, or refused), and a trade Alipay does not know: not-found', async () => {
    const { request, ref } = await paid();
    expect(await adapter.queryRefund(ref(request()))).toEqual({ layer: 'trade', ok: true, refund: { state: 'not-found', channelState: '' } });
    expect(await adapter.queryRefund({ ...ref(request()), channelOrderNo: orderNo(), channelTradeNo: undefined })).toEqual({
      layer: 'trade',
      ok: true,
      refund: { state: 'not-found', channelState: 'TRADE_NOT_EXIST' },
    });
  });

  it.each([
    ['unknow-error', { layer: 'business', ok: false, code: 'isp.unknow-error', unknown: true }],
    ['system-error', { layer: 'business', ok: false, code: 'ACQ.SYSTEM_ERROR', unknown: true }],
    ['http-502', { layer: 'communication', ok: false, reason: 'HTTP 502' }],
    ['forged-signature', { layer: 'communication', ok: false, reason: 'the answer is not signed with the Alipay public key we hold' }],
  ] as const)('a %s answer stays off the trade layer', async (fault, expected) => {
    const { request, ref } = await paid();
    const ask = request();
    await adapter.refund(ask);
    alipay.faults.next('alipay.trade.fastpay.refund.query', fault);
    expect(await adapter.queryRefund(ref(ask))).toMatchObject(expected);
  });

  it('a query the sandbox holds (the timeout fault) is a communication failure within the adapter\u2019s timeout', async () => {
    const { request, ref } = await paid();
    const ask = request();
    sandbox.sandbox.context.faults.set('alipay', ask.channelOrderNo, { queryFailure: 'timeout' });
    const started = Date.now();
    expect(await adapterWith({ timeoutMs: 300, readRetries: 0 }).queryRefund(ref(ask))).toEqual({ layer: 'communication', ok: false, reason: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a read after a network error, within readRetries', async () => {
    const { request, ref } = await paid();
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    expect(await adapterWith({ fetch: flaky, readRetries: 1 }).queryRefund(ref(request()))).toMatchObject({ layer: 'trade', refund: { state: 'not-found' } });
    expect(calls).toBe(2);
  });
});

describe('parseNotification on what the sandbox sends', () => {
  const noticesFor = async (channelOrderNo: string, count: number) => {
    await vi.waitFor(() => expect(received.filter((n) => n.body.includes(channelOrderNo)).length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 20 });
    return received.filter((n) => n.body.includes(channelOrderNo)).map((n) => adapter.parseNotification({ headers: n.headers, body: n.body, now: clock().now() }));
  };

  it('the payment, a partial refund, then the refund that closes the trade: refund_fee is read as the refunded total', async () => {
    const { order, request } = await paid();
    const first = request({ amount: 5000 });
    await adapter.refund(first);
    clock().advance(3_000);
    const rest = request({ amount: 7800 });
    await adapter.refund(rest);
    const [payment, partial, closing] = await noticesFor(first.channelOrderNo, 3);
    const [stored1, stored2] = refundsAt(first.channelOrderNo);
    expect(payment).toMatchObject({ ok: true, eventId: order.details.notify_id, subject: { kind: 'payment', trade: { state: 'succeeded', amount: 12_800 } } });
    expect(partial).toEqual({
      ok: true,
      eventId: stored1!.notifyId,
      subject: {
        kind: 'refund',
        channelOrderNo: first.channelOrderNo,
        refundNo: first.refundNo,
        refund: { state: 'succeeded', channelState: 'TRADE_SUCCESS', refundedTotal: 5000, succeededAt: new Date(stored1!.at) },
      },
      ack: { status: 200, body: 'success', contentType: 'text/plain' },
    });
    // The second notice says 128.00 — everything refunded so far — for a refund of 78.00 (see notification.ts).
    expect(closing).toMatchObject({
      ok: true,
      eventId: stored2!.notifyId,
      subject: { kind: 'refund', refundNo: rest.refundNo, refund: { state: 'succeeded', channelState: 'TRADE_CLOSED', refundedTotal: 12_800, succeededAt: new Date(stored2!.at) } },
    });
  });
});
