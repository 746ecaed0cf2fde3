// The WeChat Pay sandbox's API as a merchant meets it over HTTP: request signatures checked strictly, bodies
// validated with WeChat's codes, every answer signed, and the order states (NOTPAY, SUCCESS, CLOSED, PAYERROR).

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import { startWechatpaySandbox, type RawAnswer, type WechatpayTestSandbox } from './testing.ts';

let t: WechatpayTestSandbox;
let sequence = 0;

beforeAll(async () => {
  t = await startWechatpaySandbox();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

function orderNo(): string {
  sequence += 1;
  return `WXT${Date.now()}${String(sequence).padStart(4, '0')}`;
}

const nowSeconds = () => Math.floor(t.context.clock.now().getTime() / 1000);

function verified(answer: RawAnswer): boolean {
  const verdict = verifyResponse(
    {
      timestamp: answer.headers.get('Wechatpay-Timestamp') ?? undefined,
      nonce: answer.headers.get('Wechatpay-Nonce') ?? undefined,
      signature: answer.headers.get('Wechatpay-Signature') ?? undefined,
      serial: answer.headers.get('Wechatpay-Serial') ?? undefined,
      body: answer.text,
    },
    t.credentials.platformPublicKeys,
    nowSeconds(),
  );
  return verdict.ok;
}

function nativeBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: t.credentials.appid,
    mchid: t.credentials.mchid,
    description: 'Celadon tea set',
    out_trade_no: orderNo(),
    notify_url: 'https://shop.example/notify/wechatpay',
    amount: { total: 12_800, currency: 'CNY' },
    ...overrides,
  };
}

const post = (path: string, body: Record<string, unknown>) => t.call(path, { body: JSON.stringify(body) });
const query = (no: string) => t.call(`/v3/pay/transactions/out-trade-no/${no}?mchid=${t.credentials.mchid}`);

describe('request signatures (§1.1)', () => {
  it('accepts a correctly signed prepay and signs its answer with the platform key under the PUB_KEY_ID', async () => {
    const answer = await post('/v3/pay/transactions/native', nativeBody());
    expect(answer.status).toBe(200);
    expect((answer.json as { code_url: string }).code_url).toMatch(new RegExp(`^${t.url}/pay/wechatpay/bizpayurl\\?pr=[A-Za-z0-9_-]{16}$`));
    expect(answer.headers.get('Wechatpay-Serial')).toBe(t.secrets.platformPublicKeyId);
    expect(answer.headers.get('Request-ID')).toMatch(/^[0-9A-F]{36}$/);
    expect(verified(answer)).toBe(true);
    expect(verified({ ...answer, text: answer.text.replace('bizpayurl', 'bizpayurX') })).toBe(false);
  });

  it.each([
    ['no Authorization header', { authorization: null }],
    ['another scheme', { authorization: 'WECHATPAY2-SHA256-RSA4096 mchid="1",nonce_str="a",signature="b",timestamp="1",serial_no="c"' }],
    ['a space after a comma', { authorization: 'WECHATPAY2-SHA256-RSA2048 mchid="1", nonce_str="a",signature="b",timestamp="1",serial_no="c"' }],
    ['the wrong merchant key', { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }],
    ['another certificate serial', { serialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' }],
    ['another mchid', { mchid: '1900000109' }],
    ['a timestamp 301 s old', { timestamp: 'STALE' }],
    ['a millisecond timestamp', { timestamp: 'MILLIS' }],
    ['a body other than the one signed', { signedBody: 'TAMPER' }],
    ['the path signed without its query', { signedPath: 'NOQUERY' }],
  ] as const)('refuses %s with 401 SIGN_ERROR, signed like any answer', async (_name, variant) => {
    const body = nativeBody();
    const json = JSON.stringify(body);
    const path = '/v3/pay/transactions/native';
    const call: Parameters<WechatpayTestSandbox['call']>[1] = { body: json };
    let answer: RawAnswer;
    if ('timestamp' in variant) {
      const timestamp = variant.timestamp === 'STALE' ? nowSeconds() - 301 : Date.now();
      answer = await t.call(path, { ...call, timestamp });
    } else if ('signedBody' in variant) {
      answer = await t.call(path, { body: JSON.stringify({ ...body, amount: { total: 1, currency: 'CNY' } }), signedBody: json });
    } else if ('signedPath' in variant) {
      answer = await t.call(`/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${t.credentials.mchid}`, {
        signedPath: `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}`,
      });
    } else {
      answer = await t.call(path, { ...call, ...variant });
    }
    expect(answer.status).toBe(401);
    expect((answer.json as { code: string }).code).toBe('SIGN_ERROR');
    expect(verified(answer)).toBe(true);
    // Refused before anything happened.
    expect(t.context.orders.get('wechatpay', String(body.out_trade_no))).toBeUndefined();
  });

  it('judges the timestamp by the channel’s clock: 299 s off passes, and a channel clock 10 min ahead refuses', async () => {
    expect((await t.call('/v3/pay/transactions/native', { body: JSON.stringify(nativeBody()), timestamp: nowSeconds() - 299 })).status).toBe(200);
    t.context.clock.advance(600_000);
    try {
      const answer = await t.call('/v3/pay/transactions/native', { body: JSON.stringify(nativeBody()), timestamp: Math.floor(Date.now() / 1000) });
      expect(answer.status).toBe(401);
    } finally {
      t.context.clock.advance(-600_000);
    }
  });

  it('tells what it signed over when the signature does not match', async () => {
    const answer = await t.call('/v3/pay/transactions/native', {
      body: JSON.stringify(nativeBody()),
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    });
    expect(answer.json).toMatchObject({
      code: 'SIGN_ERROR',
      detail: { field: 'signature', location: 'authorization', sign_information: { method: 'POST', url: '/v3/pay/transactions/native' } },
    });
  });
});

describe('prepay bodies (§1.6, §1.7)', () => {
  const long = (n: number) => '茶'.repeat(n);
  it.each([
    ['native', { appid: undefined }, 400, 'PARAM_ERROR'],
    ['native', { description: long(128) }, 400, 'PARAM_ERROR'],
    ['native', { out_trade_no: 'A1234' }, 400, 'PARAM_ERROR'],
    ['native', { out_trade_no: 'A'.repeat(33) }, 400, 'PARAM_ERROR'],
    ['native', { out_trade_no: 'A12345#' }, 400, 'PARAM_ERROR'],
    ['native', { amount: { total: 0, currency: 'CNY' } }, 400, 'PARAM_ERROR'],
    ['native', { amount: { total: 1.5, currency: 'CNY' } }, 400, 'PARAM_ERROR'],
    ['native', { amount: { total: '100', currency: 'CNY' } }, 400, 'PARAM_ERROR'],
    ['native', { amount: { total: 100, currency: 'USD' } }, 400, 'PARAM_ERROR'],
    ['native', { notify_url: undefined }, 400, 'PARAM_ERROR'],
    ['native', { notify_url: 'https://shop.example/notify?order=1' }, 400, 'PARAM_ERROR'],
    ['native', { time_expire: '2030-01-01 10:00:00' }, 400, 'PARAM_ERROR'],
    ['native', { time_expire: '2030-02-30T10:00:00+08:00' }, 400, 'PARAM_ERROR'],
    ['native', { attach: 'x'.repeat(129) }, 400, 'PARAM_ERROR'],
    ['native', { appid: 'wx0000000000000000' }, 400, 'APPID_MCHID_NOT_MATCH'],
    ['native', { mchid: '1900000109' }, 400, 'INVALID_REQUEST'],
    ['h5', {}, 400, 'PARAM_ERROR'],
    ['h5', { scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Harmony' } } }, 400, 'PARAM_ERROR'],
    ['h5', { scene_info: { h5_info: { type: 'iOS' } } }, 400, 'PARAM_ERROR'],
    ['jsapi', {}, 400, 'PARAM_ERROR'],
    ['jsapi', { payer: { openid: '' } }, 400, 'PARAM_ERROR'],
    ['app', {}, 400, 'PARAM_ERROR'],
  ] as const)('%s with %j → %i %s', async (endpoint, overrides, status, code) => {
    const answer = await post(`/v3/pay/transactions/${endpoint}`, nativeBody(overrides));
    expect(answer.status).toBe(status);
    expect((answer.json as { code: string }).code).toBe(code);
    expect(verified(answer)).toBe(true);
  });

  it.each([
    ['native', {}, 'code_url'],
    ['native', { description: long(127), out_trade_no: `A|*_-${'9'.repeat(27)}`, attach: 'x'.repeat(128) }, 'code_url'],
    ['h5', { scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } } }, 'h5_url'],
    ['jsapi', { payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } }, 'prepay_id'],
    ['app', { appid: 'APP' }, 'prepay_id'],
  ] as const)('%s with %j answers %s', async (endpoint, overrides, field) => {
    const body = nativeBody({ ...overrides, ...('appid' in overrides ? { appid: t.credentials.appAppid } : {}) });
    const answer = await post(`/v3/pay/transactions/${endpoint}`, body);
    expect(answer.status, answer.text).toBe(200);
    expect(Object.keys(answer.json as object)).toEqual([field]);
    if (field === 'prepay_id') expect((answer.json as { prepay_id: string }).prepay_id).toMatch(/^wx\d{14}[0-9a-f]{22}$/);
    if (field === 'h5_url') expect((answer.json as { h5_url: string }).h5_url).toMatch(new RegExp(`^${t.url}/pay/wechatpay/h5\\?prepay_id=wx\\w+&package=\\d+$`));
  });

  it('takes the mini-program appid on the JSAPI endpoint as mini-program pay', async () => {
    const body = nativeBody({ appid: t.credentials.miniProgramAppid, payer: { openid: 'oMini0000000000000000000000' } });
    expect((await post('/v3/pay/transactions/jsapi', body)).status).toBe(200);
    expect(t.context.orders.get('wechatpay', String(body.out_trade_no))?.product).toBe('miniprogram');
  });

  it('answers the same prepay for the same parameters and refuses a re-used out_trade_no with others', async () => {
    const body = nativeBody({ payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    const first = await post('/v3/pay/transactions/jsapi', body);
    // The payer's IP and time_expire may change between tries (§1.7); nothing else may.
    const again = await post('/v3/pay/transactions/jsapi', { ...body, time_expire: '2099-01-01T00:00:00+08:00' });
    expect(again.json).toEqual(first.json);
    const changed = await post('/v3/pay/transactions/jsapi', { ...body, amount: { total: 12_801, currency: 'CNY' } });
    expect(changed.status).toBe(403);
    expect(changed.json).toEqual({ code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' });
    const otherProduct = await post('/v3/pay/transactions/native', body);
    expect(otherProduct.status).toBe(403);
  });
});

describe('orders: query, pay, fail, expiry and close', () => {
  async function created(overrides: Record<string, unknown> = {}): Promise<string> {
    const body = nativeBody({ attach: 'cart-42', ...overrides });
    const answer = await post('/v3/pay/transactions/native', body);
    expect(answer.status).toBe(200);
    return String(body.out_trade_no);
  }

  it('reads an unpaid order as NOTPAY with WeChat’s fields, and a paid one as SUCCESS with the payment’s', async () => {
    const no = await created();
    const unpaid = await query(no);
    expect(unpaid.status).toBe(200);
    expect(verified(unpaid)).toBe(true);
    expect(unpaid.json).toEqual({
      amount: { currency: 'CNY', payer_currency: 'CNY', total: 12_800 },
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      out_trade_no: no,
      promotion_detail: [],
      trade_state: 'NOTPAY',
      trade_state_desc: '订单未支付',
    });

    await t.sandbox.pay(no);
    const paid = await query(no);
    const json = paid.json as Record<string, unknown>;
    expect(json).toMatchObject({
      amount: { currency: 'CNY', payer_currency: 'CNY', payer_total: 12_800, total: 12_800 },
      attach: 'cart-42',
      bank_type: 'OTHERS',
      out_trade_no: no,
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      trade_type: 'NATIVE',
    });
    expect(json.transaction_id).toMatch(/^42000\d{23}$/);
    expect(json.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(Math.abs(Date.parse(String(json.success_time)) - t.context.clock.now().getTime())).toBeLessThan(2000);
    expect((json.payer as { openid: string }).openid).toMatch(/^o[\w-]{27}$/);

    // By transaction id too, once paid; the answer is the same transaction.
    const byId = await t.call(`/v3/pay/transactions/id/${String(json.transaction_id)}?mchid=${t.credentials.mchid}`);
    expect(byId.json).toEqual(json);
  });

  it('finds an unpaid order by out_trade_no only, and says ORDER_NOT_EXIST for an order it never saw', async () => {
    const no = await created();
    const tradeNo = t.context.orders.get('wechatpay', no)?.tradeNo ?? '';
    const byId = await t.call(`/v3/pay/transactions/id/${tradeNo}?mchid=${t.credentials.mchid}`);
    expect([byId.status, byId.json]).toEqual([404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }]);
    const unknown = await query(orderNo());
    expect([unknown.status, (unknown.json as { code: string }).code]).toEqual([404, 'ORDER_NOT_EXIST']);
    expect(verified(unknown)).toBe(true);
  });

  it('wants the mchid query parameter, and ours', async () => {
    const no = await created();
    expect((await t.call(`/v3/pay/transactions/out-trade-no/${no}`)).status).toBe(400);
    expect(((await t.call(`/v3/pay/transactions/out-trade-no/${no}?mchid=1900000109`)).json as { code: string }).code).toBe('INVALID_REQUEST');
  });

  it('fails an order as PAYERROR and leaves an abandoned one NOTPAY', async () => {
    const failed = await created();
    await t.sandbox.fail(failed);
    expect(await query(failed)).toMatchObject({ json: { trade_state: 'PAYERROR', trade_type: 'NATIVE' } });
    const abandoned = await created();
    await t.sandbox.abandon(abandoned);
    expect(await query(abandoned)).toMatchObject({ json: { trade_state: 'NOTPAY' } });
    // A paid order stays paid: neither fail nor a second pay change it.
    const paid = await created();
    await t.sandbox.pay(paid);
    await t.sandbox.fail(paid);
    expect(await query(paid)).toMatchObject({ json: { trade_state: 'SUCCESS' } });
  });

  it('closes an unpaid order when its time_expire passes on the channel clock, moved up to a minute ahead', async () => {
    const at = new Date(t.context.clock.now().getTime() - 3_600_000);
    const no = await created({ time_expire: `${new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00` });
    expect(t.context.orders.get('wechatpay', no)?.expiresAt).toBe(
      new Date(Date.parse(t.context.orders.get('wechatpay', no)?.createdAt ?? '') + 60_000).toISOString(),
    );
    expect(await query(no)).toMatchObject({ json: { trade_state: 'NOTPAY' } });
    t.context.clock.advance(61_000);
    try {
      expect(await query(no)).toMatchObject({ json: { trade_state: 'CLOSED', trade_state_desc: '订单已关闭' } });
      await t.sandbox.pay(no);
      expect(await query(no)).toMatchObject({ json: { trade_state: 'CLOSED' } });
    } finally {
      t.context.clock.advance(-61_000);
    }
  });

  it('closes with 204 (signed over an empty body), again and again, but not once paid', async () => {
    const no = await created();
    const close = () => t.call(`/v3/pay/transactions/out-trade-no/${no}/close`, { body: JSON.stringify({ mchid: t.credentials.mchid }) });
    const first = await close();
    expect([first.status, first.text]).toEqual([204, '']);
    expect(verified(first)).toBe(true);
    expect(await query(no)).toMatchObject({ json: { trade_state: 'CLOSED' } });
    expect((await close()).status).toBe(204);
    // A closed order cannot be ordered or paid again.
    await t.sandbox.pay(no);
    expect(await query(no)).toMatchObject({ json: { trade_state: 'CLOSED' } });

    const paid = await created();
    await t.sandbox.pay(paid);
    const refused = await t.call(`/v3/pay/transactions/out-trade-no/${paid}/close`, { body: JSON.stringify({ mchid: t.credentials.mchid }) });
    expect([refused.status, refused.json]).toEqual([400, { code: 'ORDER_PAID', message: '订单已支付' }]);

    const never = await t.call(`/v3/pay/transactions/out-trade-no/${orderNo()}/close`, { body: JSON.stringify({ mchid: t.credentials.mchid }) });
    expect(never.status).toBe(404);
    const noMchid = await t.call(`/v3/pay/transactions/out-trade-no/${paid}/close`, { body: '{}' });
    expect((noMchid.json as { code: string }).code).toBe('PARAM_ERROR');
  });

  it('refuses to order a paid or closed out_trade_no again', async () => {
    const body = nativeBody();
    await post('/v3/pay/transactions/native', body);
    await t.sandbox.pay(String(body.out_trade_no));
    expect((await post('/v3/pay/transactions/native', body)).json).toEqual({ code: 'ORDER_PAID', message: '订单已支付' });
    const closed = nativeBody();
    await post('/v3/pay/transactions/native', closed);
    await t.call(`/v3/pay/transactions/out-trade-no/${String(closed.out_trade_no)}/close`, { body: JSON.stringify({ mchid: t.credentials.mchid }) });
    expect((await post('/v3/pay/transactions/native', closed)).json).toEqual({ code: 'ORDER_CLOSED', message: '订单已关闭' });
  });
});
