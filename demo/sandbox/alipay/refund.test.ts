// Refunds at the Alipay sandbox over real HTTP, requests signed by hand (testing.ts): alipay.trade.refund's rules and
// codes in their order, out_request_no idempotency (fund_change), the trade states a refund leaves, the refund window
// on the sandbox clock, alipay.trade.fastpay.refund.query, and the refund notifications on the payment's notify_url
// (channel-protocols.md §2.3, §2.8).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { refundDeadline, UNKNOWN } from '../../../shared/channels/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { verifyNotify, verifyResponse } from '../../../bff/channels/alipay/crypto.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';
import { startTestSandbox, type TestSandbox } from '../testing.ts';
import type { AlipaySandbox } from './index.ts';
import { call as rawCall, type CallOptions } from './testing.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let server: Server;
let notifyUrl: string;
const received: Array<Record<string, string>> = [];
let counter = 0;
const orderNo = () => `R${Date.now()}_${(counter += 1)}`;
const clock = () => sandbox.sandbox.context.clock;
// Stamped on the sandbox clock, which some tests move months ahead.
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

/** A paid trade of 128.00 yuan whose notifications go to our server. */
async function paidTrade(amount = '128.00') {
  const outTradeNo = orderNo();
  const created = await call('alipay.trade.create', { out_trade_no: outTradeNo, total_amount: amount, subject: 'Celadon tea set' }, { common: { notify_url: notifyUrl } });
  expect(created.response.code).toBe('10000');
  await alipay.pay(outTradeNo);
  return { outTradeNo, tradeNo: String(created.response.trade_no) };
}

const refund = (biz: Record<string, unknown>) => call('alipay.trade.refund', biz);
const notificationsOf = async (outTradeNo: string, count: number) => {
  await vi.waitFor(() => expect(received.filter((fields) => fields.out_trade_no === outTradeNo).length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 20 });
  return received.filter((fields) => fields.out_trade_no === outTradeNo);
};

describe('alipay.trade.refund', () => {
  it('refunds part, once per out_request_no, then the rest, which closes the trade; each refund is notified on the payment\u2019s notify_url', async () => {
    const { outTradeNo, tradeNo } = await paidTrade();
    const first = await refund({ out_trade_no: outTradeNo, refund_amount: '50.00', out_request_no: 'RF1', refund_reason: 'one cup broken' });
    expect(verifyResponse(first.raw, 'alipay_trade_refund_response', credentials.alipayPublicKey)).toBe(true);
    const firstAt = formatBeijingTime(new Date(alipay.trades.refundsOf(alipay.trades.get(outTradeNo)!)[0]!.at));
    expect(first.response).toEqual({
      code: '10000',
      msg: 'Success',
      trade_no: tradeNo,
      out_trade_no: outTradeNo,
      buyer_logon_id: 'buy***@sandbox.example',
      buyer_user_id: '2088000000000042',
      fund_change: 'Y',
      refund_fee: '50.00',
      gmt_refund_pay: firstAt,
    });
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '128.00' });

    // The same number again: that refund, nothing moves. The same number with another amount: refused.
    const again = await refund({ trade_no: tradeNo, refund_amount: '50.00', out_request_no: 'RF1' });
    expect(again.response).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '50.00', gmt_refund_pay: firstAt });
    expect((await refund({ trade_no: tradeNo, refund_amount: '40.00', out_request_no: 'RF1' })).response).toMatchObject({
      code: '40004',
      msg: 'Business Failed',
      sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST',
      sub_msg: '不一致的请求',
    });
    // More than the 78.00 left: the amount error comes before the 3-second rule.
    expect((await refund({ trade_no: tradeNo, refund_amount: '78.01', out_request_no: 'RF2' })).response).toMatchObject({
      code: '40004',
      sub_code: 'ACQ.REASON_TRADE_REFUND_FEE_ERR',
      sub_msg: '退款金额无效',
    });
    // The rest, too soon after the first: refused as a system error (call again with the same parameters) …
    expect((await refund({ trade_no: tradeNo, refund_amount: '78.00', out_request_no: 'RF2' })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.SYSTEM_ERROR' });
    // … which works 3 s later on the sandbox clock, and closes the trade.
    clock().advance(3_000);
    const rest = await refund({ trade_no: tradeNo, refund_amount: '78.00', out_request_no: 'RF2' });
    expect(rest.response).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '128.00' });
    const closed = await call('alipay.trade.query', { trade_no: tradeNo });
    expect(closed.response).toMatchObject({ trade_status: 'TRADE_CLOSED', total_amount: '128.00', buyer_pay_amount: '128.00' });
    expect(closed.response.send_pay_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // Nothing is left, but a repeat is still recognised on the closed trade.
    expect((await refund({ trade_no: tradeNo, refund_amount: '0.01', out_request_no: 'RF3' })).response.sub_code).toBe('ACQ.REASON_TRADE_REFUND_FEE_ERR');
    expect((await refund({ trade_no: tradeNo, refund_amount: '78.00', out_request_no: 'RF2' })).response).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '128.00' });

    const [payment, partial, whole] = await notificationsOf(outTradeNo, 3);
    expect(received.filter((fields) => fields.out_trade_no === outTradeNo)).toHaveLength(3);
    const order = alipay.trades.get(outTradeNo)!;
    const [refund1, refund2] = alipay.trades.refundsOf(order);
    expect(payment).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '128.00' });
    expect(payment!.refund_fee).toBeUndefined();
    for (const notice of [partial!, whole!]) {
      expect(verifyNotify(notice, credentials.alipayPublicKey)).toBe(true);
      expect(notice.notify_id).toMatch(/^\d{34}$/);
    }
    expect(new Set([payment!.notify_id, partial!.notify_id, whole!.notify_id]).size).toBe(3);
    const refundKeys = [
      'app_id', 'auth_app_id', 'buyer_id', 'buyer_logon_id', 'charset', 'gmt_create', 'gmt_payment', 'gmt_refund', 'notify_id', 'notify_time',
      'notify_type', 'out_biz_no', 'out_trade_no', 'refund_fee', 'seller_id', 'sign', 'sign_type', 'subject', 'total_amount', 'trade_no',
      'trade_status', 'version',
    ];
    expect(Object.keys(partial!).sort()).toEqual(refundKeys.sort());
    expect(Object.keys(whole!).sort()).toEqual([...refundKeys, 'gmt_close'].sort());
    const at1 = new Date(refund1!.at);
    const at2 = new Date(refund2!.at);
    expect(partial).toMatchObject({
      notify_type: 'trade_status_sync',
      app_id: credentials.appId,
      trade_no: tradeNo,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '128.00',
      refund_fee: '50.00',
      out_biz_no: 'RF1',
      gmt_refund: `${formatBeijingTime(at1)}.${at1.getUTCMilliseconds()}`,
      gmt_payment: formatBeijingTime(new Date(order.paidAt!)),
    });
    // refund_fee is the refunded total, not this refund's 78.00.
    expect(whole).toMatchObject({ trade_status: 'TRADE_CLOSED', refund_fee: '128.00', out_biz_no: 'RF2', gmt_close: formatBeijingTime(at2) });
    expect(whole!.gmt_refund).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{1,3}$/);
  });

  it('refunds the whole trade without out_request_no, under the trade_no; a part without one is refused', async () => {
    const { outTradeNo, tradeNo } = await paidTrade('9.90');
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '9.89' })).response).toMatchObject({
      code: '40004',
      sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
      sub_msg: '撤销或退款金额与订单金额不一致',
    });
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '9.90' })).response).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '9.90' });
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '9.90' })).response).toMatchObject({ code: '10000', fund_change: 'N' });
    const query = await call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: tradeNo });
    expect(query.response).toMatchObject({ code: '10000', out_request_no: tradeNo, refund_amount: '9.90', refund_status: 'REFUND_SUCCESS' });
    const [, notice] = await notificationsOf(outTradeNo, 2);
    expect(notice).toMatchObject({ trade_status: 'TRADE_CLOSED', out_biz_no: tradeNo, refund_fee: '9.90' });
  });

  it.each([
    ['an unknown trade', async () => ({ out_trade_no: orderNo(), out_request_no: 'X1', refund_amount: '1.00' }), 'ACQ.TRADE_NOT_EXIST'],
    [
      'an unpaid trade',
      async () => {
        const outTradeNo = orderNo();
        await call('alipay.trade.create', { out_trade_no: outTradeNo, total_amount: '1.00', subject: 'tea' });
        return { out_trade_no: outTradeNo, out_request_no: 'X1', refund_amount: '1.00' };
      },
      'ACQ.TRADE_STATUS_ERROR',
    ],
    [
      'a trade closed unpaid',
      async () => {
        const outTradeNo = orderNo();
        await call('alipay.trade.create', { out_trade_no: outTradeNo, total_amount: '1.00', subject: 'tea' });
        await call('alipay.trade.close', { out_trade_no: outTradeNo });
        return { out_trade_no: outTradeNo, out_request_no: 'X1', refund_amount: '1.00' };
      },
      'ACQ.TRADE_STATUS_ERROR',
    ],
    [
      'a QR nobody scanned',
      async () => {
        const outTradeNo = orderNo();
        await call('alipay.trade.precreate', { out_trade_no: outTradeNo, total_amount: '1.00', subject: 'tea' });
        return { out_trade_no: outTradeNo, out_request_no: 'X1', refund_amount: '1.00' };
      },
      'ACQ.TRADE_NOT_EXIST',
    ],
    ['an amount of 0', async () => ({ out_trade_no: (await paidTrade()).outTradeNo, out_request_no: 'X1', refund_amount: '0.00' }), 'ACQ.INVALID_PARAMETER'],
    ['three decimals', async () => ({ out_trade_no: (await paidTrade()).outTradeNo, out_request_no: 'X1', refund_amount: '1.001' }), 'ACQ.INVALID_PARAMETER'],
    ['a 65-character out_request_no', async () => ({ out_trade_no: (await paidTrade()).outTradeNo, out_request_no: 'X'.repeat(65), refund_amount: '1.00' }), 'ACQ.INVALID_PARAMETER'],
    ['no trade named', async () => ({ out_request_no: 'X1', refund_amount: '1.00' }), 'ACQ.INVALID_PARAMETER'],
  ])('refuses %s (%s)', async (_what, biz, subCode) => {
    const answer = await refund(await biz());
    expect(answer.response).toMatchObject({ code: '40004', sub_code: subCode });
    expect(verifyResponse(answer.raw, 'alipay_trade_refund_response', credentials.alipayPublicKey)).toBe(true);
  });

  it('answers ACQ.SELLER_BALANCE_NOT_ENOUGH when scripted, refunding nothing', async () => {
    const { outTradeNo } = await paidTrade();
    alipay.faults.next('alipay.trade.refund', 'seller-balance-not-enough');
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'B1' })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.SELLER_BALANCE_NOT_ENOUGH', sub_msg: '卖家余额不足' });
    expect(alipay.trades.refundsOf(alipay.trades.get(outTradeNo)!)).toEqual([]);
  });

  it('a refund applied whose answer is lost (20000) is found again by its number', async () => {
    const { outTradeNo } = await paidTrade();
    alipay.faults.next('alipay.trade.refund', 'applied-then-unknown');
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'L1' })).response).toMatchObject({ code: '20000', sub_code: 'isp.unknow-error' });
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'L1' })).response).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '1.00' });
  });
});

describe('the refund window (3 months from payment, on the sandbox clock)', () => {
  it('refunds until the deadline; then the trade is TRADE_FINISHED and refunds are ACQ.TRADE_NOT_ALLOW_REFUND', async () => {
    const { outTradeNo } = await paidTrade();
    const paidAt = new Date(alipay.trades.get(outTradeNo)!.paidAt!);
    const deadline = refundDeadline('alipay', paidAt);
    if (deadline === UNKNOWN) throw new Error('the rulebook has no Alipay refund window');
    // 3 calendar months in Beijing time: 89 to 92 days.
    expect(deadline.getTime() - paidAt.getTime()).toBeGreaterThanOrEqual(89 * 86_400_000);
    expect(deadline.getTime() - paidAt.getTime()).toBeLessThanOrEqual(92 * 86_400_000);
    clock().advance(deadline.getTime() - clock().now().getTime() - 1_000);
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'W1' })).response).toMatchObject({ code: '10000', fund_change: 'Y' });
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response.trade_status).toBe('TRADE_SUCCESS');
    clock().advance(5_000);
    expect((await call('alipay.trade.query', { out_trade_no: outTradeNo })).response.trade_status).toBe('TRADE_FINISHED');
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'W2' })).response).toMatchObject({
      code: '40004',
      sub_code: 'ACQ.TRADE_NOT_ALLOW_REFUND',
      sub_msg: '当前交易不允许退款',
    });
    // A refund made in time is still that refund.
    expect((await refund({ out_trade_no: outTradeNo, refund_amount: '1.00', out_request_no: 'W1' })).response).toMatchObject({ code: '10000', fund_change: 'N' });
  });
});

describe('alipay.trade.fastpay.refund.query', () => {
  it('reports a refund by out_request_no with its own amount; gmt_refund_pay only when asked; an unknown number is just 10000', async () => {
    const { outTradeNo, tradeNo } = await paidTrade();
    await refund({ out_trade_no: outTradeNo, refund_amount: '12.34', out_request_no: 'Q1', refund_reason: 'late' });
    const at = formatBeijingTime(new Date(alipay.trades.refundsOf(alipay.trades.get(outTradeNo)!)[0]!.at));
    const asked = await call('alipay.trade.fastpay.refund.query', { trade_no: tradeNo, out_request_no: 'Q1', query_options: ['gmt_refund_pay'] });
    expect(verifyResponse(asked.raw, 'alipay_trade_fastpay_refund_query_response', credentials.alipayPublicKey)).toBe(true);
    expect(asked.response).toEqual({
      code: '10000',
      msg: 'Success',
      trade_no: tradeNo,
      out_trade_no: outTradeNo,
      out_request_no: 'Q1',
      total_amount: '128.00',
      refund_amount: '12.34',
      refund_status: 'REFUND_SUCCESS',
      refund_reason: 'late',
      gmt_refund_pay: at,
    });
    const plain = await call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: 'Q1' });
    expect(plain.response.gmt_refund_pay).toBeUndefined();
    expect(plain.response.refund_status).toBe('REFUND_SUCCESS');
    expect((await call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: 'Q2' })).response).toEqual({ code: '10000', msg: 'Success' });
    expect((await call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
    expect((await call('alipay.trade.fastpay.refund.query', { out_trade_no: orderNo(), out_request_no: 'Q1' })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });
});
