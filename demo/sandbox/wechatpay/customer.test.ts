// The customer's side of the WeChat Pay sandbox: the scan page behind code_url, the H5 page behind h5_url (and back
// to redirect_url), and the WeChat client stand-ins that check the merchant's invoke signature before paying.

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPayParameters, jsapiPayParameters } from '../../../bff/channels/wechatpay/crypto.ts';
import { startWechatpaySandbox, type WechatpayTestSandbox } from './testing.ts';

let t: WechatpayTestSandbox;
let sequence = 0;

beforeAll(async () => {
  t = await startWechatpaySandbox();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function order(endpoint: 'native' | 'h5' | 'jsapi' | 'app', extra: Record<string, unknown> = {}) {
  sequence += 1;
  const outTradeNo = `WXC${Date.now()}${sequence}`;
  const answer = await t.call(`/v3/pay/transactions/${endpoint}`, {
    body: JSON.stringify({
      appid: endpoint === 'app' ? t.credentials.appAppid : t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon <tea> set',
      out_trade_no: outTradeNo,
      notify_url: 'https://shop.example/notify/wechatpay',
      amount: { total: 12_800 },
      ...extra,
    }),
  });
  expect(answer.status, answer.text).toBe(200);
  return { outTradeNo, json: answer.json as Record<string, string> };
}

const stateOf = (no: string) => t.context.orders.get('wechatpay', no)?.status;
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
  redirect: 'manual' as const,
});
const postJson = (path: string, body: unknown) =>
  fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

describe('the scan page behind a Native code_url', () => {
  it('shows the amount, merchant and description (escaped) and pays on the customer’s tap', async () => {
    const { outTradeNo, json } = await order('native');
    const page = await fetch(json.code_url ?? '');
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain('¥128.00');
    expect(text).toContain(t.credentials.mchid);
    expect(text).toContain('Celadon &lt;tea&gt; set');
    expect(text).toContain('value="pay"');

    const paid = await fetch(json.code_url ?? '', form({ outcome: 'pay' }));
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('支付成功');
    expect(stateOf(outTradeNo)).toBe('paid');
    // Paid: the page no longer offers to pay.
    expect(await (await fetch(json.code_url ?? '')).text()).not.toContain('value="pay"');
  });

  it('fails or abandons as the customer chooses, and knows no other QR', async () => {
    const failed = await order('native');
    await fetch(failed.json.code_url ?? '', form({ outcome: 'fail' }));
    expect(stateOf(failed.outTradeNo)).toBe('failed');
    const abandoned = await order('native');
    await fetch(abandoned.json.code_url ?? '', form({ outcome: 'abandon' }));
    expect(stateOf(abandoned.outTradeNo)).toBe('pending');
    expect((await fetch(`${t.url}/pay/wechatpay/bizpayurl?pr=nope`)).status).toBe(404);
  });
});

describe('the H5 page behind h5_url', () => {
  const h5 = { scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'iOS' } } };

  it('takes the appended redirect_url and sends the customer back to it after paying', async () => {
    const { outTradeNo, json } = await order('h5', h5);
    const back = 'https://shop.example/return?order=42&x=a b';
    const page = await fetch(`${json.h5_url}&redirect_url=${encodeURIComponent(back)}`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('¥128.00');
    const prepayId = /name="prepay_id" value="([^"]+)"/.exec(text)?.[1] ?? '';
    const redirect = /name="redirect_url" value="([^"]+)"/.exec(text)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(redirect).toBe(back);

    const paid = await fetch(`${t.url}/pay/wechatpay/h5`, form({ prepay_id: prepayId, redirect_url: redirect, outcome: 'pay' }));
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(back);
    expect(stateOf(outTradeNo)).toBe('paid');
  });

  it('shows the result in place without a redirect_url, and refuses an h5_url older than 5 minutes', async () => {
    const { outTradeNo, json } = await order('h5', h5);
    const prepayId = new URL(json.h5_url ?? '').searchParams.get('prepay_id') ?? '';
    const cancelled = await fetch(`${t.url}/pay/wechatpay/h5`, form({ prepay_id: prepayId, outcome: 'abandon' }));
    expect(cancelled.status).toBe(200);
    expect(stateOf(outTradeNo)).toBe('pending');

    t.context.clock.advance(301_000);
    try {
      expect((await fetch(json.h5_url ?? '')).status).toBe(410);
    } finally {
      t.context.clock.advance(-301_000);
    }
  });
});

describe('the WeChat client stand-ins', () => {
  const openid = { payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } };

  it('getBrandWCPayRequest: pays with a valid paySign, fails a forged one, cancels on request', async () => {
    const forged = await order('jsapi', openid);
    const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const bad = jsapiPayParameters({ appId: t.credentials.appid, prepayId: forged.json.prepay_id ?? '', privateKey: foreignKey });
    expect(await postJson('/pay/wechatpay/jsapi', bad)).toEqual({ err_msg: 'get_brand_wcpay_request:fail' });
    expect(stateOf(forged.outTradeNo)).toBe('pending');

    const good = jsapiPayParameters({ appId: t.credentials.appid, prepayId: forged.json.prepay_id ?? '', privateKey: t.credentials.merchantPrivateKey });
    expect(await postJson('/pay/wechatpay/jsapi', { ...good, cancel: true })).toEqual({ err_msg: 'get_brand_wcpay_request:cancel' });
    expect(stateOf(forged.outTradeNo)).toBe('pending');
    // Signed for another appid than the prepay's: the client refuses.
    const otherApp = jsapiPayParameters({ appId: t.credentials.appAppid ?? '', prepayId: forged.json.prepay_id ?? '', privateKey: t.credentials.merchantPrivateKey });
    expect(await postJson('/pay/wechatpay/jsapi', otherApp)).toEqual({ err_msg: 'get_brand_wcpay_request:fail' });

    expect(await postJson('/pay/wechatpay/jsapi', good)).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    expect(stateOf(forged.outTradeNo)).toBe('paid');
    expect(await postJson('/pay/wechatpay/jsapi', good)).toEqual({ err_msg: 'get_brand_wcpay_request:fail' });
  });

  it('wx.requestPayment: signs with the prepay’s mini-program appid though the call carries none', async () => {
    const mini = await order('jsapi', { ...openid, appid: t.credentials.miniProgramAppid });
    const { appId: _appId, ...params } = jsapiPayParameters({
      appId: t.credentials.miniProgramAppid ?? '',
      prepayId: mini.json.prepay_id ?? '',
      privateKey: t.credentials.merchantPrivateKey,
    });
    // Signed with the official account's appid instead: not what the mini-program's client checks.
    const { appId: _other, ...wrong } = jsapiPayParameters({ appId: t.credentials.appid, prepayId: mini.json.prepay_id ?? '', privateKey: t.credentials.merchantPrivateKey });
    expect(await postJson('/pay/wechatpay/miniprogram', wrong)).toEqual({ errMsg: 'requestPayment:fail' });
    expect(await postJson('/pay/wechatpay/miniprogram', { ...params, cancel: true })).toEqual({ errMsg: 'requestPayment:fail cancel' });
    expect(await postJson('/pay/wechatpay/miniprogram', params)).toEqual({ errMsg: 'requestPayment:ok' });
    expect(stateOf(mini.outTradeNo)).toBe('paid');
  });

  it('OpenSDK PayReq: errCode 0 when paid, -1 for a wrong partnerid or sign, -2 when cancelled', async () => {
    const app = await order('app');
    const params = appPayParameters({
      appId: t.credentials.appAppid ?? '',
      mchid: t.credentials.mchid,
      prepayId: app.json.prepay_id ?? '',
      privateKey: t.credentials.merchantPrivateKey,
    });
    expect(await postJson('/pay/wechatpay/app', { ...params, partnerid: '1900000109' })).toEqual({ errCode: -1 });
    expect(await postJson('/pay/wechatpay/app', { ...params, sign: params.sign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).toEqual({ errCode: -1 });
    expect(await postJson('/pay/wechatpay/app', { ...params, cancel: true })).toEqual({ errCode: -2 });
    expect(stateOf(app.outTradeNo)).toBe('pending');
    expect(await postJson('/pay/wechatpay/app', params)).toEqual({ errCode: 0 });
    expect(stateOf(app.outTradeNo)).toBe('paid');
  });

  it('will not pay a JSAPI prepay through the APP client or the other way round', async () => {
    const jsapi = await order('jsapi', openid);
    const asApp = appPayParameters({ appId: t.credentials.appid, mchid: t.credentials.mchid, prepayId: jsapi.json.prepay_id ?? '', privateKey: t.credentials.merchantPrivateKey });
    expect(await postJson('/pay/wechatpay/app', asApp)).toEqual({ errCode: -1 });
    expect(stateOf(jsapi.outTradeNo)).toBe('pending');
  });
});
