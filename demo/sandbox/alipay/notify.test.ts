// What the Alipay sandbox sends and does for the customer's side: the trade_status_sync notification to a real
// local merchant server (signed as Alipay signs it, retried until the body is exactly "success"), and the stand-ins
// for the Alipay client's tradePay and the App SDK.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { signContent, verifyNotify, verifyResponse } from '../../../bff/channels/alipay/crypto.ts';
import { rsaSha256Verify } from '../../../bff/channels/crypto-util.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';
import { startTestSandbox, type TestSandbox } from '../testing.ts';
import type { AlipaySandbox } from './index.ts';
import { call, signedCall } from './testing.ts';

interface Received {
  readonly contentType: string | undefined;
  readonly fields: Record<string, string>;
}

/** A merchant's notify endpoint: records every delivery and answers from a script (then "success"). */
function merchant() {
  const received: Received[] = [];
  let answers: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ contentType: request.headers['content-type'], fields: Object.fromEntries(new URLSearchParams(body)) });
      response.end(answers.shift() ?? 'success');
    });
  });
  return {
    received,
    answer: (next: string[]) => (answers = [...next]),
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
const shop = merchant();
let notifyUrl: string;
let counter = 0;
const orderNo = () => `N${Date.now()}_${(counter += 1)}`;

beforeAll(async () => {
  // 0.001: Alipay's 4-minute first retry comes after 0.24 s.
  sandbox = await startTestSandbox({ timeScale: 0.001 });
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  notifyUrl = await shop.listen();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await shop.close();
});

describe('the paid notification', () => {
  it('is POSTed as a signed form, retried with the same notify_id until the body is exactly "success"', async () => {
    shop.answer(['SUCCESS', 'success\n', '<html>success</html>']);
    const biz = { out_trade_no: orderNo(), total_amount: '128.00', subject: 'Celadon tea set', passback_params: encodeURIComponent('cart 42&x=1') };
    await call(credentials, 'alipay.trade.create', biz, { common: { notify_url: notifyUrl } });
    const before = shop.received.length;
    await alipay.pay(biz.out_trade_no);
    await vi.waitFor(() => expect(shop.received.length - before).toBe(4), { timeout: 10_000, interval: 50 });

    const deliveries = shop.received.slice(before);
    const order = alipay.trades.get(biz.out_trade_no)!;
    for (const { contentType, fields } of deliveries) {
      expect(contentType).toBe('application/x-www-form-urlencoded; charset=utf-8');
      expect(verifyNotify(fields, credentials.alipayPublicKey)).toBe(true);
      // A trade notification is signed without sign_type (§2.3, vector A1).
      const { sign = '' } = fields;
      expect(rsaSha256Verify(signContent(fields, { exclude: ['sign', 'sign_type'], dropEmpty: false }), sign, credentials.alipayPublicKey)).toBe(true);
      expect(rsaSha256Verify(signContent(fields, { exclude: ['sign'], dropEmpty: false }), sign, credentials.alipayPublicKey)).toBe(false);
      expect(verifyNotify({ ...fields, total_amount: '1.28' }, credentials.alipayPublicKey)).toBe(false);
    }
    const first = deliveries[0]!.fields;
    expect(Object.keys(first).sort()).toEqual(
      [
        'app_id', 'auth_app_id', 'buyer_id', 'buyer_logon_id', 'buyer_pay_amount', 'charset', 'fund_bill_list', 'gmt_create', 'gmt_payment',
        'invoice_amount', 'notify_id', 'notify_time', 'notify_type', 'out_trade_no', 'passback_params', 'point_amount', 'receipt_amount',
        'seller_id', 'sign', 'sign_type', 'subject', 'total_amount', 'trade_no', 'trade_status', 'version',
      ].sort(),
    );
    expect(first).toMatchObject({
      notify_type: 'trade_status_sync',
      app_id: credentials.appId,
      auth_app_id: credentials.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: order.tradeNo,
      out_trade_no: biz.out_trade_no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '128.00',
      receipt_amount: '128.00',
      buyer_pay_amount: '128.00',
      subject: 'Celadon tea set',
      // Still URL-encoded after the one form decode: Alipay echoes it as the merchant sent it.
      passback_params: 'cart%2042%26x%3D1',
      gmt_create: formatBeijingTime(new Date(order.createdAt)),
      gmt_payment: formatBeijingTime(new Date(order.paidAt!)),
      fund_bill_list: '[{"amount":"128.00","fundChannel":"ALIPAYACCOUNT"}]',
    });
    expect(new Set(deliveries.map(({ fields }) => fields.notify_id)).size).toBe(1);
    expect(first.notify_id).toMatch(/^\d{34}$/);

    const log = sandbox.sandbox.context.notifier.log.filter((delivery) => delivery.orderKey === biz.out_trade_no);
    expect(log.map((delivery) => delivery.acknowledged)).toEqual([false, false, false, true]);
    // Acknowledged: the 1-hour retry (3.6 s here) never comes.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(shop.received.length - before).toBe(4);
  });

  it('goes to the notify_url of a page-pay request, paying through the cashier, with the Huabei plan paid by Huabei', async () => {
    const biz = { out_trade_no: orderNo(), total_amount: '300.00', subject: 'Tea table', product_code: 'FAST_INSTANT_TRADE_PAY', extend_params: { hb_fq_num: '12', hb_fq_seller_percent: '0' } };
    const params = signedCall(credentials, 'alipay.trade.page.pay', biz, { common: { notify_url: notifyUrl } });
    const url = new URL(credentials.gateway);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    expect(await (await fetch(url)).text()).toContain('花呗分期 <strong>12 期</strong>，分期手续费由买家承担');
    const before = shop.received.length;
    const tradeNo = alipay.trades.get(biz.out_trade_no)!.tradeNo;
    const paid = await fetch(`${sandbox.url}/pay/alipay/cashier/${tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }) });
    expect(await paid.text()).toContain('支付成功');
    await vi.waitFor(() => expect(shop.received.length - before).toBe(1), { timeout: 5_000, interval: 20 });
    expect(shop.received.at(-1)!.fields).toMatchObject({ out_trade_no: biz.out_trade_no, total_amount: '300.00', fund_bill_list: '[{"amount":"300.00","fundChannel":"PCREDIT"}]' });
  });
});

describe('the Alipay client on the phone', () => {
  const tradePay = async (body: unknown) => (await fetch(`${sandbox.url}/pay/alipay/tradepay`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json();

  it('tradePay: 6001 when the customer cancels (the trade waits), 9000 when they pay, 4000 for anything else', async () => {
    const biz = { out_trade_no: orderNo(), total_amount: '12.80', subject: 'Tea', product_code: 'JSAPI_PAY' };
    const created = await call(credentials, 'alipay.trade.create', biz);
    const tradeNO = String(created.response.trade_no);
    expect(await tradePay({ tradeNO, cancel: true })).toEqual({ resultCode: '6001' });
    expect((await call(credentials, 'alipay.trade.query', { trade_no: tradeNO })).response.trade_status).toBe('WAIT_BUYER_PAY');
    expect(await tradePay({ tradeNO })).toEqual({ resultCode: '9000' });
    expect((await call(credentials, 'alipay.trade.query', { trade_no: tradeNO })).response.trade_status).toBe('TRADE_SUCCESS');
    expect(await tradePay({ tradeNO })).toEqual({ resultCode: '4000' });
    expect(await tradePay({ tradeNO: biz.out_trade_no })).toEqual({ resultCode: '4000' });
    expect(await tradePay({})).toEqual({ resultCode: '4000' });
  });

  it('lets the merchant’s page (another origin) call the stand-ins', async () => {
    for (const path of ['/pay/alipay/tradepay', '/pay/alipay/app']) {
      const preflight = await fetch(`${sandbox.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  const orderString = (params: Readonly<Record<string, string>>) =>
    Object.entries(params)
      .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
      .join('&');
  const appPay = async (body: unknown) =>
    (await (await fetch(`${sandbox.url}/pay/alipay/app`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json()) as {
      resultStatus: string;
      memo: string;
      result: string;
    };

  it('App SDK: checks the order string\u2019s signature, creates the trade, and pays it (9000) with a signed result', async () => {
    const biz = { out_trade_no: orderNo(), total_amount: '0.01', subject: 'Tea sample', product_code: 'QUICK_MSECURITY_PAY' };
    const params = signedCall(credentials, 'alipay.trade.app.pay', biz);

    const tampered = await appPay({ orderString: orderString({ ...params, biz_content: JSON.stringify({ ...biz, total_amount: '0.02' }) }) });
    expect(tampered).toMatchObject({ resultStatus: '4000', result: '' });
    expect(tampered.memo).toContain('invalid-signature');
    expect(alipay.trades.get(biz.out_trade_no)).toBeUndefined();

    expect(await appPay({ orderString: orderString(params), cancel: true })).toMatchObject({ resultStatus: '6001' });
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('WAIT_BUYER_PAY');

    const paid = await appPay({ orderString: orderString(params) });
    expect(paid).toMatchObject({ resultStatus: '9000', memo: '' });
    expect(verifyResponse(paid.result, 'alipay_trade_app_pay_response', credentials.alipayPublicKey)).toBe(true);
    const result = JSON.parse(paid.result) as { alipay_trade_app_pay_response: Record<string, string>; sign_type: string };
    expect(result.sign_type).toBe('RSA2');
    expect(result.alipay_trade_app_pay_response).toMatchObject({ code: '10000', out_trade_no: biz.out_trade_no, total_amount: '0.01', app_id: credentials.appId });
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('TRADE_SUCCESS');
  });

  it('App SDK: refuses an order string of another method or app', async () => {
    const biz = { out_trade_no: orderNo(), total_amount: '0.01', subject: 'Tea sample' };
    expect((await appPay({ orderString: orderString(signedCall(credentials, 'alipay.trade.precreate', biz)) })).resultStatus).toBe('4000');
    expect((await appPay({ orderString: orderString(signedCall(credentials, 'alipay.trade.app.pay', biz, { common: { app_id: '2021000000000000' } })) })).memo).toContain('isv.invalid-app-id');
    expect((await appPay({})).resultStatus).toBe('4000');
  });
});
