// The order fault scripts (demo/sandbox/faults.ts) as the Alipay sandbox acts them out, over real HTTP: forged and
// re-priced notifications (payment and refund), queries that fail with a 502 or hang, and a payment after expiry.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { verifyNotify } from '../../../bff/channels/alipay/crypto.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';
import type { FaultScript } from '../faults.ts';
import { startTestSandbox, type TestSandbox } from '../testing.ts';
import type { AlipaySandbox } from './index.ts';
import { call as rawCall, signedCall, type CallOptions } from './testing.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let server: Server;
let notifyUrl: string;
const received: Array<Record<string, string>> = [];
let counter = 0;
const orderNo = () => `F${Date.now()}_${(counter += 1)}`;
const clock = () => sandbox.sandbox.context.clock;
const script = (key: string, faults: FaultScript) => sandbox.sandbox.context.faults.set('alipay', key, faults);
const call = (method: string, biz: Record<string, unknown>, options: CallOptions = {}) => rawCall(credentials, method, biz, { now: clock().now(), ...options });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push(Object.fromEntries(new URLSearchParams(body)));
      response.end('success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay`;
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function created(faults: FaultScript, biz: Record<string, unknown> = {}) {
  const outTradeNo = orderNo();
  script(outTradeNo, faults);
  const answer = await call('alipay.trade.create', { out_trade_no: outTradeNo, total_amount: '128.00', subject: 'Celadon tea set', ...biz }, { common: { notify_url: notifyUrl } });
  expect(answer.response.code).toBe('10000');
  return { outTradeNo, tradeNo: String(answer.response.trade_no) };
}

const notificationsOf = async (outTradeNo: string, count: number) => {
  await vi.waitFor(() => expect(received.filter((fields) => fields.out_trade_no === outTradeNo).length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 20 });
  return received.filter((fields) => fields.out_trade_no === outTradeNo);
};

describe('forgeSignature', () => {
  it('signs the payment and the refund notification with a key that is not Alipay\u2019s, the fields otherwise the same', async () => {
    const { outTradeNo } = await created({ forgeSignature: true });
    await alipay.pay(outTradeNo);
    await call('alipay.trade.refund', { out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'FG1' });
    const [payment, refund] = await notificationsOf(outTradeNo, 2);
    for (const forged of [payment!, refund!]) {
      expect(verifyNotify(forged, credentials.alipayPublicKey)).toBe(false);
      expect(forged.sign).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    const order = alipay.trades.get(outTradeNo)!;
    expect(payment).toMatchObject({ notify_id: order.details.notify_id, trade_status: 'TRADE_SUCCESS', total_amount: '128.00' });
    expect(refund).toMatchObject({ out_biz_no: 'FG1', refund_fee: '1.00' });
    expect(sandbox.sandbox.context.notifier.log.filter((delivery) => delivery.orderKey === outTradeNo).map((delivery) => delivery.forged)).toEqual([true, true]);
  });
});

describe('changeAmount', () => {
  it('reports the scripted amount in every amount field of the payment, and as refund_fee, correctly signed', async () => {
    const { outTradeNo } = await created({ changeAmount: 1 });
    await alipay.pay(outTradeNo);
    await call('alipay.trade.refund', { out_trade_no: outTradeNo, refund_amount: '50.00', out_request_no: 'CA1' });
    const [payment, refund] = await notificationsOf(outTradeNo, 2);
    expect(verifyNotify(payment!, credentials.alipayPublicKey)).toBe(true);
    expect(payment).toMatchObject({
      total_amount: '0.01',
      receipt_amount: '0.01',
      invoice_amount: '0.01',
      buyer_pay_amount: '0.01',
      fund_bill_list: '[{"amount":"0.01","fundChannel":"ALIPAYACCOUNT"}]',
    });
    expect(verifyNotify(refund!, credentials.alipayPublicKey)).toBe(true);
    expect(refund).toMatchObject({ out_biz_no: 'CA1', refund_fee: '0.01', total_amount: '128.00' });
    // Only the notifications lie: the trade and its answers keep the real amounts.
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response.total_amount).toBe('128.00');
  });
});

describe('queryFailure', () => {
  it('5xx: the next queries about the order (trade and refund) get a 502, by either number; writes are not touched', async () => {
    const { outTradeNo, tradeNo } = await created({ queryFailure: '5xx', queryFailures: 3 });
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).status).toBe(502);
    await alipay.pay(outTradeNo);
    expect((await call('alipay.trade.refund', { trade_no: tradeNo, refund_amount: '1.00', out_request_no: 'QF1' })).response.fund_change).toBe('Y');
    const refundQuery = await call('alipay.trade.fastpay.refund.query', { trade_no: tradeNo, out_request_no: 'QF1' });
    expect(refundQuery.status).toBe(502);
    expect(refundQuery.raw).toBe('Bad Gateway');
    expect((await call('alipay.trade.query', { trade_no: tradeNo })).status).toBe(502);
    const after = await call('alipay.trade.query', { trade_no: tradeNo });
    expect(after.status).toBe(200);
    expect(after.response).toMatchObject({ code: '10000', trade_status: 'TRADE_SUCCESS' });
  });

  it('timeout: holds the query without an answer until the caller gives up, then answers the next one', async () => {
    const { outTradeNo } = await created({ queryFailure: 'timeout' });
    const url = new URL(credentials.gateway);
    const params = signedCall(credentials, 'alipay.trade.query', { out_trade_no: outTradeNo }, { now: clock().now() });
    const started = Date.now();
    await expect(fetch(url, { method: 'POST', body: new URLSearchParams(params), signal: AbortSignal.timeout(500) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response).toMatchObject({ code: '10000', trade_status: 'WAIT_BUYER_PAY' });
  });

  it('applies to orders scripted by default too, and not to other orders', async () => {
    sandbox.sandbox.context.faults.setDefault({ queryFailure: '5xx' });
    try {
      const { outTradeNo } = await created({});
      expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).status).toBe(200);
      const defaulted = orderNo();
      await call('alipay.trade.create', { out_trade_no: defaulted, total_amount: '1.00', subject: 'tea' });
      expect((await call('alipay.trade.query', { out_trade_no: defaulted })).status).toBe(502);
      expect((await call('alipay.trade.query', { out_trade_no: defaulted })).status).toBe(200);
    } finally {
      sandbox.sandbox.context.faults.setDefault(undefined);
    }
  });
});

describe('successAfterExpiry', () => {
  const expiresSoon = () => formatBeijingTime(new Date(clock().now().getTime() + 61_000));

  it('keeps the trade open past time_expire, so the buyer still pays it in the Alipay client, and it is notified', async () => {
    const { outTradeNo, tradeNo } = await created({ successAfterExpiry: true }, { time_expire: expiresSoon(), product_code: 'JSAPI_PAY' });
    clock().advance(5 * 60_000);
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response.trade_status).toBe('WAIT_BUYER_PAY');
    const paid = await fetch(`${sandbox.url}/pay/alipay/tradepay`, { method: 'POST', body: JSON.stringify({ tradeNO: tradeNo }) });
    expect(await paid.json()).toEqual({ resultCode: '9000' });
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response.trade_status).toBe('TRADE_SUCCESS');
    const [notice] = await notificationsOf(outTradeNo, 1);
    expect(notice).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '128.00' });

    // The same without the fault: closed at time_expire, and the client cannot pay it.
    const plain = await created({}, { time_expire: expiresSoon(), product_code: 'JSAPI_PAY' });
    clock().advance(5 * 60_000);
    expect((await call('alipay.trade.query', { out_trade_no: plain.outTradeNo })).response.trade_status).toBe('TRADE_CLOSED');
    const refused = await fetch(`${sandbox.url}/pay/alipay/tradepay`, { method: 'POST', body: JSON.stringify({ tradeNO: plain.tradeNo }) });
    expect(await refused.json()).toEqual({ resultCode: '4000' });
  });

  it('as a default, applies to trades made after it was set, not to those made before', async () => {
    // No script of its own.
    const before = { outTradeNo: orderNo() };
    await call('alipay.trade.create', { out_trade_no: before.outTradeNo, total_amount: '1.00', subject: 'tea', time_expire: expiresSoon() });
    const context = sandbox.sandbox.context;
    context.faults.setDefault({ successAfterExpiry: true });
    try {
      const afterOutTradeNo = orderNo();
      await call('alipay.trade.create', { out_trade_no: afterOutTradeNo, total_amount: '1.00', subject: 'tea', time_expire: expiresSoon() });
      clock().advance(5 * 60_000);
      expect((await call('alipay.trade.query', { out_trade_no: before.outTradeNo })).response.trade_status).toBe('TRADE_CLOSED');
      expect((await call('alipay.trade.query', { out_trade_no: afterOutTradeNo })).response.trade_status).toBe('WAIT_BUYER_PAY');
    } finally {
      context.faults.setDefault(undefined);
    }
  });

  it('lets the cashier open and pay a page request whose time_expire has passed, and the control pay it', async () => {
    const late = orderNo();
    script(late, { successAfterExpiry: true });
    const biz = { out_trade_no: late, total_amount: '9.90', subject: 'tea', product_code: 'FAST_INSTANT_TRADE_PAY', time_expire: expiresSoon() };
    const url = new URL(credentials.gateway);
    for (const [key, value] of Object.entries(signedCall(credentials, 'alipay.trade.page.pay', biz, { now: clock().now(), common: { notify_url: notifyUrl } }))) url.searchParams.set(key, value);
    clock().advance(5 * 60_000);
    expect(await (await fetch(url)).text()).toContain('¥9.90');
    await alipay.pay(late);
    expect(alipay.trades.get(late)?.status).toBe('paid');

    const onTime = { ...biz, out_trade_no: orderNo(), time_expire: expiresSoon() };
    const refusedUrl = new URL(credentials.gateway);
    for (const [key, value] of Object.entries(signedCall(credentials, 'alipay.trade.page.pay', onTime, { now: clock().now() }))) refusedUrl.searchParams.set(key, value);
    clock().advance(5 * 60_000);
    expect(await (await fetch(refusedUrl)).text()).toContain('ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR');
  });
});
