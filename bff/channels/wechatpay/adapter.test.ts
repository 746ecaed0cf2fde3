// The WeChat Pay adapter against the sandbox over real HTTP: what it sends (fields, time_expire, scene types, the
// signature over the bytes sent), what it makes of every answer, and how it maps failures onto the result layers.
// Faults the sandbox does not script (5xx, tampered or foreign answers) are played by WeChat's side of the wire.

import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newChannelOrderNumber } from '../../../shared/channels/index.ts';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import type { WechatpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { AttemptRef, ChannelAdapter, PayRequest } from '../types.ts';
import { h5Type, wechatpayAdapter } from './adapter.ts';
import { invokeMessage, parseAuthorization, requestMessage, signResponse, verify } from './crypto.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly authorization: string;
  readonly body: string;
}

let test: TestSandbox;
let credentials: WechatpayCredentials;
let blackHole: Server;
let blackHoleUrl: string;
let sent: Sent[] = [];
/** Plays WeChat misbehaving: given the n-th request (from 1) and the real answer, what the adapter receives. */
let fault: ((n: number, response: Response) => Response | Promise<Response>) | undefined;

const recordingFetch: typeof fetch = async (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  sent.push({ url: request.url, method: request.method, authorization: request.headers.get('authorization') ?? '', body: await request.clone().text() });
  const response = await fetch(request, init);
  return fault ? fault(sent.length, response) : response;
};

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 2, fetch: recordingFetch };

function adapterWith(overrides: Partial<WechatpayCredentials> = {}, http: Partial<HttpOptions> = {}): ChannelAdapter {
  return wechatpayAdapter({ ...credentials, ...overrides }, { ...HTTP, ...http });
}

beforeAll(async () => {
  test = await startTestSandbox();
  const wechat = test.credentials.wechatpay;
  if (!wechat) throw new Error('no WeChat Pay credentials');
  credentials = wechat;
  blackHole = createServer(() => undefined);
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await test?.close();
  blackHole?.closeAllConnections();
  await new Promise<void>((resolve) => blackHole?.close(() => resolve()));
});

beforeEach(() => {
  sent = [];
  fault = undefined;
});

const merchantPublicKey = () => createPublicKey(test.secrets.wechatpay.merchantPublicKey);
const sandboxOrder = (no: string) => test.sandbox.context.orders.get('wechatpay', no);

function request(product: string, overrides: Partial<PayRequest> = {}): PayRequest {
  return {
    product,
    channelOrderNo: newChannelOrderNumber(['wechatpay']),
    amount: 12_800,
    currency: 'CNY',
    description: 'Celadon tea set',
    attach: 'cart-42',
    expiresAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 15 * 60_000),
    notifyUrl: 'https://bff.example/notify/wechatpay',
    returnUrl: 'https://shop.example/return?order=42',
    payer: { ip: '203.0.113.7', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', os: 'ios' },
    creditCardsAllowed: true,
    ...overrides,
  };
}

const ref = (payRequest: PayRequest): AttemptRef => ({ channelOrderNo: payRequest.channelOrderNo, createdAt: new Date(), product: payRequest.product });

/** An answer as WeChat would sign it, for faults the sandbox does not produce. */
function wechatAnswer(status: number, body: object | '', options: { serial?: string } = {}): Response {
  const text = body === '' ? '' : JSON.stringify(body);
  const signed = signResponse(test.secrets.wechatpay.platformPrivateKey, text);
  return new Response(text === '' ? null : text, {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Request-ID': 'FAULT',
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
      'Wechatpay-Serial': options.serial ?? test.secrets.wechatpay.platformPublicKeyId,
    },
  });
}

/** The real answer with one byte of its body changed, headers (and so the signature) kept. */
async function tampered(response: Response): Promise<Response> {
  const text = await response.text();
  return new Response(`${text} `, { status: response.status, headers: response.headers });
}

// ---------------------------------------------------------------------------------------------------------
describe('time_expire and h5_info.type', () => {
  it.each([
    ['2026-11-26T16:30:05.000Z', '2026-11-27T00:30:05+08:00'],
    ['2026-11-26T16:30:05.999Z', '2026-11-27T00:30:05+08:00'],
    ['2026-12-31T23:59:59.000Z', '2027-01-01T07:59:59+08:00'],
    ['2028-02-28T16:00:00.000Z', '2028-02-29T00:00:00+08:00'],
    ['2026-03-01T03:04:05.000+08:00', '2026-03-01T03:04:05+08:00'],
  ])('%s is %s in Beijing time', (instant, expected) => {
    expect(formatBeijingRfc3339(new Date(instant))).toBe(expected);
  });

  it.each([
    ['ios', 'iOS'],
    ['android', 'Android'],
    ['harmonyos', 'Wap'],
    ['windows', 'Wap'],
    [undefined, 'Wap'],
  ] as const)('payer.os %s is h5_info.type %s', (os, type) => {
    expect(h5Type(os)).toBe(type);
  });
});

describe('pay', () => {
  it('native: the documented body, signed byte for byte as sent, and the QR with the attempt’s expiry', async () => {
    const payRequest = request('native', { expiresAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000 + 250) });
    const outcome = await adapterWith().pay(payRequest);

    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call?.url).toBe(`${test.url}/v3/pay/transactions/native`);
    expect(JSON.parse(call?.body ?? '')).toEqual({
      appid: credentials.appid,
      mchid: credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: payRequest.channelOrderNo,
      time_expire: formatBeijingRfc3339(payRequest.expiresAt),
      attach: 'cart-42',
      notify_url: 'https://bff.example/notify/wechatpay',
      amount: { total: 12_800, currency: 'CNY' },
    });
    const fields = parseAuthorization(call?.authorization ?? '');
    expect(fields?.mchid).toBe(credentials.mchid);
    expect(fields?.serial_no).toBe(credentials.merchantSerialNo);
    const message = requestMessage('POST', '/v3/pay/transactions/native', fields?.timestamp ?? '', fields?.nonce_str ?? '', call?.body ?? '');
    expect(verify(message, fields?.signature ?? '', merchantPublicKey())).toBe(true);

    const order = sandboxOrder(payRequest.channelOrderNo);
    expect(outcome).toEqual({
      kind: 'action',
      action: { kind: 'qr', codeUrl: `${test.url}/pay/wechatpay/bizpayurl?pr=${order?.details.pr ?? ''}`, expiresAt: payRequest.expiresAt.toISOString() },
    });
    // The channel read the same instant from time_expire (milliseconds dropped, never later).
    expect(order?.expiresAt).toBe(new Date(Math.floor(payRequest.expiresAt.getTime() / 1000) * 1000).toISOString());
    expect(order?.amount).toBe(12_800);
  });

  it('leaves attach out when there is none', async () => {
    await adapterWith().pay(request('native', { attach: undefined }));
    expect(Object.keys(JSON.parse(sent[0]?.body ?? '{}') as object)).not.toContain('attach');
  });

  it.each([
    ['ios', 'iOS'],
    ['android', 'Android'],
    ['other', 'Wap'],
  ] as const)('h5 on %s: scene_info with type %s, and h5_url with the encoded return URL appended', async (os, type) => {
    const payRequest = request('h5', { payer: { ip: '203.0.113.7', os } });
    const outcome = await adapterWith().pay(payRequest);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({ appid: credentials.appid, scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type } } });
    expect(sent[0]?.url).toBe(`${test.url}/v3/pay/transactions/h5`);
    const prepayId = sandboxOrder(payRequest.channelOrderNo)?.details.prepayId ?? '';
    expect(outcome.kind).toBe('action');
    if (outcome.kind !== 'action' || outcome.action.kind !== 'redirect') throw new Error(JSON.stringify(outcome));
    expect(outcome.action.url).toMatch(
      new RegExp(`^${test.url}/pay/wechatpay/h5\\?prepay_id=${prepayId}&package=\\d+&redirect_url=https%3A%2F%2Fshop\\.example%2Freturn%3Forder%3D42$`),
    );
  });

  it('h5 without a return URL gives the bare h5_url', async () => {
    const outcome = await adapterWith().pay(request('h5', { returnUrl: undefined }));
    expect(outcome.kind === 'action' && outcome.action.kind === 'redirect' && outcome.action.url).not.toContain('redirect_url');
  });

  it('jsapi: payer.openid under the official account, and getBrandWCPayRequest parameters the WeChat client accepts', async () => {
    const payRequest = request('jsapi');
    const outcome = await adapterWith().pay(payRequest);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({ appid: credentials.appid, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    if (outcome.kind !== 'action' || outcome.action.kind !== 'jsapi') throw new Error(JSON.stringify(outcome));
    const prepayId = sandboxOrder(payRequest.channelOrderNo)?.details.prepayId ?? '';
    const { parameters } = outcome.action;
    expect(outcome.action.bridge).toBe('WeixinJSBridge');
    expect(Object.keys(parameters).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(parameters).toMatchObject({ appId: credentials.appid, package: `prepay_id=${prepayId}`, signType: 'RSA' });
    expect(Math.abs(Number(parameters.timeStamp) - Date.now() / 1000)).toBeLessThan(5);
    const signed = invokeMessage(credentials.appid, parameters.timeStamp ?? '', parameters.nonceStr ?? '', `prepay_id=${prepayId}`);
    expect(verify(signed, parameters.paySign ?? '', merchantPublicKey())).toBe(true);

    const client = await fetch(`${test.url}/pay/wechatpay/jsapi`, { method: 'POST', body: JSON.stringify(parameters) });
    expect(await client.json()).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    expect(await adapterWith().query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'succeeded', channelState: 'SUCCESS' } });
  });

  it('miniprogram: the JSAPI endpoint with the mini-program appid, and wx.requestPayment parameters without appId', async () => {
    const payRequest = request('miniprogram');
    const outcome = await adapterWith().pay(payRequest);
    expect(sent[0]?.url).toBe(`${test.url}/v3/pay/transactions/jsapi`);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({ appid: credentials.miniProgramAppid, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    if (outcome.kind !== 'action' || outcome.action.kind !== 'miniprogram') throw new Error(JSON.stringify(outcome));
    expect(outcome.action.path).toBe('/pages/cashier/pay');
    expect(Object.keys(outcome.action.parameters).sort()).toEqual(['nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    const client = await fetch(`${test.url}/pay/wechatpay/miniprogram`, { method: 'POST', body: JSON.stringify(outcome.action.parameters) });
    expect(await client.json()).toEqual({ errMsg: 'requestPayment:ok' });
    expect(sandboxOrder(payRequest.channelOrderNo)?.product).toBe('miniprogram');
  });

  it('app: the mobile app’s appid, and OpenSDK parameters with the mchid as partnerid', async () => {
    const payRequest = request('app');
    const outcome = await adapterWith().pay(payRequest);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({ appid: credentials.appAppid });
    if (outcome.kind !== 'action' || outcome.action.kind !== 'app' || typeof outcome.action.parameters === 'string') throw new Error(JSON.stringify(outcome));
    expect(outcome.action.channel).toBe('wechatpay');
    expect(outcome.action.parameters).toMatchObject({
      appid: credentials.appAppid,
      partnerid: credentials.mchid,
      prepayid: sandboxOrder(payRequest.channelOrderNo)?.details.prepayId,
      package: 'Sign=WXPay',
    });
    const client = await fetch(`${test.url}/pay/wechatpay/app`, { method: 'POST', body: JSON.stringify(outcome.action.parameters) });
    expect(await client.json()).toEqual({ errCode: 0 });
  });

  it.each([
    ['jsapi', { payer: { ip: '203.0.113.7' } }, {}, 'openid_required'],
    ['miniprogram', { payer: { ip: '203.0.113.7' } }, {}, 'openid_required'],
    ['miniprogram', {}, { miniProgramAppid: undefined }, 'appid_not_configured'],
    ['app', {}, { appAppid: undefined }, 'appid_not_configured'],
    ['h5', { payer: { openid: 'o1', os: 'ios' } }, {}, 'payer_ip_required'],
    ['native', { currency: 'USD' }, {}, 'unsupported_currency'],
    ['facepay', {}, {}, 'unsupported_product'],
  ] as const)('%s with %j fails with %4$s without calling WeChat', async (product, overrides, configured, code) => {
    const outcome = await adapterWith(configured).pay(request(product, overrides as Partial<PayRequest>));
    expect(outcome).toMatchObject({ kind: 'failed', code });
    expect(sent).toHaveLength(0);
  });

  it('fails with WeChat’s own code when WeChat refuses the order', async () => {
    expect(await adapterWith().pay(request('native', { description: '茶'.repeat(128) }))).toMatchObject({ kind: 'failed', code: 'PARAM_ERROR' });
    expect(await adapterWith().pay(request('native', { amount: 0 }))).toMatchObject({ kind: 'failed', code: 'PARAM_ERROR' });
    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await adapterWith({ merchantPrivateKey: wrongKey }).pay(request('native'))).toMatchObject({ kind: 'failed', code: 'SIGN_ERROR' });
    expect(await adapterWith({ appid: 'wx0000000000000000' }).pay(request('native'))).toMatchObject({ kind: 'failed', code: 'APPID_MCHID_NOT_MATCH' });
  });

  it('gets the same action for the same order again, and OUT_TRADE_NO_USED for the number with other terms', async () => {
    const payRequest = request('native');
    const first = await adapterWith().pay(payRequest);
    expect(await adapterWith().pay(payRequest)).toEqual(first);
    expect(await adapterWith().pay({ ...payRequest, amount: 12_801 })).toEqual({ kind: 'failed', code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' });
  });

  it.each([
    ['a 500 SYSTEM_ERROR', () => wechatAnswer(500, { code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' })],
    ['a 429 FREQUENCY_LIMITED', () => wechatAnswer(429, { code: 'FREQUENCY_LIMITED', message: '频率超限' })],
    ['a 502 without a WeChat body', () => wechatAnswer(502, '')],
    ['a 200 without prepay_id', () => wechatAnswer(200, { unexpected: true })],
    ['a 200 signed under an unknown serial', () => wechatAnswer(200, { prepay_id: 'wx201410272009395522657a690389285100' }, { serial: 'PUB_KEY_ID_0000' })],
    ['an unsigned 400', () => new Response('{"code":"PARAM_ERROR","message":"x"}', { status: 400 })],
  ] as const)('is unknown, sent once, on %s', async (_name, answer) => {
    fault = () => answer();
    const outcome = await adapterWith().pay(request('jsapi'));
    expect(outcome.kind).toBe('unknown');
    expect(sent).toHaveLength(1);
  });

  it('is unknown on a real answer whose body was changed in transit', async () => {
    fault = (_n, response) => tampered(response);
    expect(await adapterWith().pay(request('native'))).toEqual({ kind: 'unknown', reason: 'HTTP 200 answer not verifiable (bad-signature)' });
  });

  it('is unknown when the channel’s clock is more than 5 minutes off ours (its answer’s timestamp is stale)', async () => {
    test.sandbox.context.clock.advance(400_000);
    try {
      // The sandbox refuses our timestamp too, but its signed refusal is not to be trusted either.
      const outcome = await adapterWith().pay(request('native'));
      expect(outcome).toEqual({ kind: 'unknown', reason: 'HTTP 401 answer not verifiable (stale-timestamp)' });
      // With our clock following the channel's, the same call goes through.
      const synced = await adapterWith({}, { now: () => test.sandbox.context.clock.now() }).pay(request('native'));
      expect(synced.kind).toBe('action');
    } finally {
      test.sandbox.context.clock.advance(-400_000);
    }
  });

  it('is unknown after the timeout, and does not re-send the order', async () => {
    const outcome = await adapterWith({ gateway: blackHoleUrl }, { timeoutMs: 200, readRetries: 3 }).pay(request('native'));
    expect(outcome).toEqual({ kind: 'unknown', reason: 'no answer within 200 ms' });
    expect(sent).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('query', () => {
  async function placed(product = 'native', overrides: Partial<PayRequest> = {}): Promise<PayRequest> {
    const payRequest = request(product, overrides);
    expect((await adapterWith().pay(payRequest)).kind).toBe('action');
    sent = [];
    return payRequest;
  }

  it('asks by out_trade_no with mchid in the signed query, and reads NOTPAY as pending', async () => {
    const payRequest = await placed();
    const outcome = await adapterWith().query(ref(payRequest));
    const path = `/v3/pay/transactions/out-trade-no/${payRequest.channelOrderNo}?mchid=${credentials.mchid}`;
    expect(sent.map((call) => [call.method, call.url, call.body])).toEqual([['GET', `${test.url}${path}`, '']]);
    const fields = parseAuthorization(sent[0]?.authorization ?? '');
    expect(verify(requestMessage('GET', path, fields?.timestamp ?? '', fields?.nonce_str ?? '', ''), fields?.signature ?? '', merchantPublicKey())).toBe(true);
    expect(outcome).toEqual({
      layer: 'trade',
      ok: true,
      trade: { state: 'pending', channelState: 'NOTPAY', channelTradeNo: undefined, amount: 12_800, currency: 'CNY', paidAt: undefined },
    });
  });

  it('reads a payment: succeeded, with the transaction id, the amount and success_time', async () => {
    const payRequest = await placed();
    await test.sandbox.channels.wechatpay.pay(payRequest.channelOrderNo);
    const order = sandboxOrder(payRequest.channelOrderNo);
    expect(await adapterWith().query(ref(payRequest))).toEqual({
      layer: 'trade',
      ok: true,
      trade: {
        state: 'succeeded',
        channelState: 'SUCCESS',
        channelTradeNo: order?.tradeNo,
        amount: 12_800,
        currency: 'CNY',
        paidAt: new Date(Math.floor(Date.parse(order?.paidAt ?? '') / 1000) * 1000),
      },
    });
  });

  it('reads PAYERROR as failed, a closed order as closed, an expired one as closed, one never seen as not found', async () => {
    const failed = await placed();
    await test.sandbox.channels.wechatpay.fail(failed.channelOrderNo);
    expect(await adapterWith().query(ref(failed))).toMatchObject({ layer: 'trade', trade: { state: 'failed', channelState: 'PAYERROR' } });

    const closed = await placed();
    expect(await adapterWith().close(ref(closed))).toEqual({ kind: 'closed' });
    expect(await adapterWith().query(ref(closed))).toMatchObject({ layer: 'trade', trade: { state: 'closed', channelState: 'CLOSED' } });

    const expiring = await placed('native', { expiresAt: new Date(Date.now() + 61_000) });
    test.sandbox.context.clock.advance(62_000);
    try {
      expect(await adapterWith().query(ref(expiring))).toMatchObject({ layer: 'trade', trade: { state: 'closed', channelState: 'CLOSED' } });
    } finally {
      test.sandbox.context.clock.advance(-62_000);
    }

    expect(await adapterWith().query(ref(request('native')))).toEqual({ layer: 'trade', ok: true, trade: { state: 'not-found', channelState: 'ORDER_NOT_EXIST' } });
  });

  it.each([
    ['REFUND', 'succeeded'],
    ['USERPAYING', 'pending'],
    ['ACCEPT', 'pending'],
    ['REVOKED', 'closed'],
    ['SOMETHING_NEW', 'pending'],
  ] as const)('maps trade_state %s to %s by the rulebook', async (channelState, state) => {
    const payRequest = request('native');
    fault = () => wechatAnswer(200, { mchid: credentials.mchid, out_trade_no: payRequest.channelOrderNo, trade_state: channelState, amount: { total: 12_800 } });
    expect(await adapterWith().query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state, channelState, amount: 12_800 } });
  });

  it('retries a 5xx read with a fresh signature, and takes the answer that comes', async () => {
    const payRequest = await placed();
    fault = (n, response) => (n < 3 ? wechatAnswer(500, { code: 'SYSTEM_ERROR', message: '系统异常' }) : response);
    expect(await adapterWith().query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'pending' } });
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((call) => parseAuthorization(call.authorization)?.nonce_str)).size).toBe(3);
  });

  it('gives up after readRetries with a business-layer unknown on SYSTEM_ERROR', async () => {
    fault = () => wechatAnswer(500, { code: 'SYSTEM_ERROR', message: '系统异常' });
    expect(await adapterWith().query(ref(request('native')))).toEqual({ layer: 'business', ok: false, code: 'SYSTEM_ERROR', message: '系统异常', unknown: true });
    expect(sent).toHaveLength(3);
  });

  it('reports a 4xx other than ORDER_NOT_EXIST on the business layer, as final', async () => {
    fault = () => wechatAnswer(400, { code: 'PARAM_ERROR', message: '参数错误' });
    expect(await adapterWith().query(ref(request('native')))).toEqual({ layer: 'business', ok: false, code: 'PARAM_ERROR', message: '参数错误', unknown: false });
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['a body changed in transit', (response: Response) => tampered(response)],
    ['an answer about another order', () => wechatAnswer(200, { mchid: credentials.mchid, out_trade_no: 'SOMEONEELSE01', trade_state: 'SUCCESS', amount: { total: 1 } })],
    ['a success without amount', (_response: Response, no: string) => wechatAnswer(200, { mchid: credentials.mchid, out_trade_no: no, trade_state: 'SUCCESS' })],
    ['an unsigned 404', () => new Response('{"code":"ORDER_NOT_EXIST","message":"订单不存在"}', { status: 404 })],
  ] as const)('does not report a trade on %s', async (_name, answer) => {
    const payRequest = await placed();
    fault = (_n, response) => answer(response, payRequest.channelOrderNo);
    expect((await adapterWith().query(ref(payRequest))).layer).toBe('communication');
  });

  it('is a communication failure after the timeout, having retried the read', async () => {
    const outcome = await adapterWith({ gateway: blackHoleUrl }, { timeoutMs: 150, readRetries: 1 }).query(ref(request('native')));
    expect(outcome).toEqual({ layer: 'communication', ok: false, reason: 'no answer within 150 ms' });
    expect(sent).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('close', () => {
  it('POSTs {"mchid"} to the close path and takes 204 as closed', async () => {
    const payRequest = request('native');
    await adapterWith().pay(payRequest);
    sent = [];
    expect(await adapterWith().close(ref(payRequest))).toEqual({ kind: 'closed' });
    expect(sent.map((call) => [call.method, call.url, call.body])).toEqual([
      ['POST', `${test.url}/v3/pay/transactions/out-trade-no/${payRequest.channelOrderNo}/close`, JSON.stringify({ mchid: credentials.mchid })],
    ]);
    // Closing twice is fine at WeChat.
    expect(await adapterWith().close(ref(payRequest))).toEqual({ kind: 'closed' });
  });

  it('says paid when the customer paid first', async () => {
    const payRequest = request('jsapi');
    await adapterWith().pay(payRequest);
    await test.sandbox.channels.wechatpay.pay(payRequest.channelOrderNo);
    expect(await adapterWith().close(ref(payRequest))).toEqual({ kind: 'paid' });
  });

  it.each([
    ['an order WeChat never saw', undefined],
    ['a 500', () => wechatAnswer(500, { code: 'SYSTEM_ERROR', message: '系统异常' })],
    ['a 204 whose signature does not check', () => new Response(null, { status: 204, headers: { 'Wechatpay-Serial': 'PUB_KEY_ID_0000' } })],
  ] as const)('is unknown on %s, sent once', async (_name, answer) => {
    fault = answer;
    expect((await adapterWith().close(ref(request('native')))).kind).toBe('unknown');
    expect(sent).toHaveLength(1);
  });

  it('is unknown after the timeout', async () => {
    expect((await adapterWith({ gateway: blackHoleUrl }, { timeoutMs: 150 }).close(ref(request('native')))).kind).toBe('unknown');
    expect(sent).toHaveLength(1);
  });
});
