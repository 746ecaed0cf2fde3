// The channel crypto modules against the channels' official Node SDKs used as black boxes: what we sign, the
// SDKs accept; what the SDKs sign, we accept. wechatpay-axios-plugin 0.9.x (Formatter, Rsa, Aes, and its real
// axios client through an in-process adapter) and alipay-sdk 4.x (checkResponseSign, checkNotifySignV2,
// sdkExecute / pageExecute). Keys are generated per run, plus the public test keys from the vectors.

import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import * as alipay from '../../bff/channels/alipay/crypto.ts';
import * as wechatpay from '../../bff/channels/wechatpay/crypto.ts';
import { isWechatpayCryptoError } from '../../bff/channels/wechatpay/crypto.ts';
import a3 from '../fixtures/vectors/alipay-a3-test-keys.json' with { type: 'json' };
import w1 from '../fixtures/vectors/wechatpay-w1-request-signature.json' with { type: 'json' };

interface RsaPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privatePem: string;
  readonly publicPem: string;
}

function rsaPair(): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

// -------------------------------------------------------------------------------------------------------------
describe('wechatpay-axios-plugin', () => {
  const merchant = rsaPair();
  const platform = rsaPair();
  const body = '{"appid":"wxd678efh567hg6787","description":"Image形象店-深圳腾大-QQ公仔","amount":{"total":100}}';

  it("Rsa.verify(Formatter.request(…)) accepts authorization()'s signature; parseAuthorization reads theirs", () => {
    const header = wechatpay.authorization({
      mchid: '1900007291',
      serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      privateKey: merchant.privateKey,
      method: 'POST',
      url: '/v3/pay/transactions/jsapi?x=1',
      body,
    });
    const fields = wechatpay.parseAuthorization(header);
    if (fields === null) throw new Error('our own header did not parse');
    const message = Formatter.request('POST', '/v3/pay/transactions/jsapi?x=1', fields.timestamp, fields.nonce_str, body);
    expect(Rsa.verify(message, fields.signature, merchant.publicPem)).toBe(true);
    expect(Rsa.verify(message.replace('x=1', 'x=2'), fields.signature, merchant.publicPem)).toBe(false);

    // The SDK writes the pairs in another order; the order is free (§1.1).
    const { mchid, nonce_str: nonce, signature, timestamp, serial_no: serial } = fields;
    const theirs = Formatter.authorization(mchid, nonce, signature, timestamp, serial);
    expect(theirs).not.toBe(header);
    expect(wechatpay.parseAuthorization(theirs)).toEqual(fields);
  });

  it('Rsa.sign and Formatter give the same request signature as ours with the official test key (GET, empty body)', () => {
    const key = w1.key.private_key_pkcs8_pem;
    const ours = wechatpay.sign(wechatpay.requestMessage('GET', '/v3/certificates', 1554208460, 'NONCE', ''), key);
    const theirs = Rsa.sign(Formatter.request('GET', '/v3/certificates', 1554208460, 'NONCE', ''), key);
    expect(ours).toBe(theirs);
  });

  it('JSAPI paySign and APP sign equal Rsa.sign over Formatter.joinedByLineFeed', () => {
    const timeStamp = '1700000000';
    const nonceStr = Formatter.nonce();
    const prepayId = 'wx201410272009395522657a690389285100';
    const appId = 'wx2421b1c4370ec43b';
    const jsapi = wechatpay.jsapiPayParameters({ appId, prepayId, privateKey: merchant.privatePem, timeStamp, nonceStr });
    const jsapiMessage = Formatter.joinedByLineFeed(appId, timeStamp, nonceStr, `prepay_id=${prepayId}`);
    expect(jsapi.paySign).toBe(Rsa.sign(jsapiMessage, merchant.privatePem));
    const app = wechatpay.appPayParameters({
      appId: 'wx2421b1c4370ec43b',
      mchid: '1900007291',
      prepayId,
      privateKey: merchant.privateKey,
      timeStamp,
      nonceStr,
    });
    expect(app.sign).toBe(Rsa.sign(Formatter.joinedByLineFeed(appId, timeStamp, nonceStr, prepayId), merchant.privatePem));
    expect(app.sign).not.toBe(jsapi.paySign);
  });

  it('responses: Rsa.verify(Formatter.response) accepts signResponse, verifyResponse accepts Rsa.sign', () => {
    const ours = wechatpay.signResponse(platform.privateKey, body);
    expect(Rsa.verify(Formatter.response(ours.timestamp, ours.nonce, body), ours.signature, platform.publicPem)).toBe(true);

    const timestamp = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const signature = Rsa.sign(Formatter.response(timestamp, nonce, body), platform.privatePem);
    const serial = 'PUB_KEY_ID_0117000800002025045698789500001779';
    const keys = { [serial]: platform.publicPem };
    const signed = { timestamp: String(timestamp), nonce, signature, serial, body };
    expect(wechatpay.verifyResponse(signed, keys, timestamp)).toEqual({ ok: true });
    expect(wechatpay.verifyResponse({ ...signed, body: `${body} ` }, keys, timestamp)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('Aes.AesGcm decrypts aeadEncrypt output and vice versa (32-byte key, 12-byte nonce, the production shape)', () => {
    const key = randomBytes(16).toString('hex'); // 32 ASCII characters, like an APIv3 key
    const nonce = Formatter.nonce(12);
    const aad = 'transaction';
    const plaintext = '{"mchid":"1900007291","trade_state":"SUCCESS","attach":"自定义数据"}';

    const ours = wechatpay.aeadEncrypt({ key, nonce, associatedData: aad, plaintext });
    expect(Aes.AesGcm.decrypt(ours, key, nonce, aad)).toBe(plaintext);
    expect(Aes.AesGcm.encrypt(plaintext, key, nonce, aad)).toBe(ours);

    const theirs = Aes.AesGcm.encrypt(plaintext, key, nonce, aad);
    expect(wechatpay.aeadDecrypt({ key, nonce, associatedData: aad, ciphertext: theirs })).toBe(plaintext);

    // Both refuse a wrong AAD: the tag is checked on either side.
    expect(() => Aes.AesGcm.decrypt(ours, key, nonce, 'refund')).toThrow();
    let code = '';
    try {
      wechatpay.aeadDecrypt({ key, nonce, associatedData: 'refund', ciphertext: theirs });
    } catch (error) {
      if (isWechatpayCryptoError(error)) code = error.code;
    }
    expect(code).toBe('authentication-failed');
  });

  it('the real Wechatpay client: its request verifies with our primitives, our response passes its verifier', async () => {
    const serial = 'PUB_KEY_ID_0117000800002025045698789500001779';
    const seen: Array<{ header: string; message: string }> = [];
    const responseBody = '{"prepay_id":"wx201410272009395522657a690389285100"}';
    let sentBody = responseBody;
    const client = new Wechatpay({
      mchid: '1900007291',
      serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      privateKey: merchant.privatePem,
      certs: { [serial]: platform.publicPem },
      baseURL: 'https://api.mch.weixin.qq.com/',
      // An in-process adapter plays WeChat: no network.
      adapter: async (config) => {
        const header = String(config.headers.get('Authorization'));
        const fields = wechatpay.parseAuthorization(header);
        const url = new URL(config.url ?? '', config.baseURL);
        const requestBody = typeof config.data === 'string' ? config.data : '';
        const message = wechatpay.requestMessage(
          config.method ?? '',
          `${url.pathname}${url.search}`,
          fields?.timestamp ?? '',
          fields?.nonce_str ?? '',
          requestBody,
        );
        seen.push({ header, message });
        const ok = fields !== null && wechatpay.verify(message, fields.signature, merchant.publicKey);
        const signed = wechatpay.signResponse(platform.privateKey, responseBody);
        return {
          data: sentBody,
          status: ok ? 200 : 401,
          statusText: ok ? 'OK' : 'Unauthorized',
          headers: {
            'Content-Type': 'application/json',
            'Wechatpay-Timestamp': signed.timestamp,
            'Wechatpay-Nonce': signed.nonce,
            'Wechatpay-Signature': signed.signature,
            'Wechatpay-Serial': serial,
          },
          config,
          request: {},
        };
      },
    });

    // client.client.request is what `wxpay.v3.pay.transactions.jsapi.post(…)` calls; its typings are plain.
    const jsapi = (data: object) => client.client.request('v3/pay/transactions/jsapi', 'post', data);
    const { status, data } = await jsapi({
      appid: 'wxd678efh567hg6787',
      description: 'Image形象店-深圳腾大-QQ公仔',
      amount: { total: 100 },
    });
    expect(status).toBe(200);
    expect(data).toEqual({ prepay_id: 'wx201410272009395522657a690389285100' });
    expect(seen[0]?.message.startsWith('POST\n/v3/pay/transactions/jsapi\n')).toBe(true);

    // A body changed after signing must be rejected by the SDK's verifier.
    sentBody = `${responseBody} `;
    await expect(jsapi({ appid: 'x' })).rejects.toThrow(/Verify the response's data/);
  });
});

// -------------------------------------------------------------------------------------------------------------
describe('alipay-sdk', () => {
  const app = a3.key_pairs[0];
  if (app === undefined || app.private_key_pkcs1_pem === undefined) throw new Error('A3 sandbox app key missing');
  const appPrivatePem = app.private_key_pkcs1_pem;
  const appPublicPem = app.public_key_pem;
  // Alipay's own private key is not public (A3 notes): a sandbox playing Alipay uses its own pair.
  const gateway = rsaPair();

  const sdk = new AlipaySdk({
    appId: app.app_id,
    privateKey: appPrivatePem,
    alipayPublicKey: gateway.publicPem,
    gateway: 'https://sandbox.invalid/gateway.do',
  });

  describe('checkResponseSign accepts signResponse', () => {
    const responseKey = 'alipay_trade_query_response';
    const json =
      '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248",' +
      '"buyer_logon_id":"159****5620","trade_status":"TRADE_SUCCESS","total_amount":"88.88","subject":"语雀空间 500人规模",' +
      '"url":"https:\\/\\/example.com\\/a?b=1&c=2","note":"quote \\" and ,\\"sign\\" inside"}';

    it('a success response, signed over the raw text', () => {
      const raw = alipay.signResponse(responseKey, json, gateway.privatePem);
      const { sign } = JSON.parse(raw) as { sign: string };
      expect(() => sdk.checkResponseSign(raw, responseKey, sign, 'trace')).not.toThrow();
      expect(alipay.verifyResponse(raw, responseKey, gateway.publicKey)).toBe(true);
      const tampered = raw.replace('88.88', '88.89');
      expect(() => sdk.checkResponseSign(tampered, responseKey, sign, 'trace')).toThrow();
      expect(alipay.verifyResponse(tampered, responseKey, gateway.publicKey)).toBe(false);
    });

    it('an error_response (checked by the SDK under the key "error_response")', () => {
      const raw = alipay.signResponse(
        'error_response',
        '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}',
        gateway.privateKey,
      );
      const { sign } = JSON.parse(raw) as { sign: string };
      expect(() => sdk.checkResponseSign(raw, 'error_response', sign, 'trace')).not.toThrow();
      expect(alipay.verifyResponse(raw, responseKey, gateway.publicKey)).toBe(true);
    });
  });

  describe('checkNotifySignV2 accepts a notification signed with signNotify', () => {
    const fields = {
      notify_time: '2019-08-15 15:56:25',
      notify_type: 'trade_status_sync',
      notify_id: '2019081500222155624068450559358070',
      app_id: app.app_id,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: '2019081522001468450512505578',
      out_trade_no: '20190815155618536-564-57',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '0.10',
      subject: '语雀空间 500人规模',
      fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]',
      // Stays percent-encoded after the one form decode: the reason V1 (which decodes again) fails (§5.1).
      passback_params: 'merchant%3D1%26order%3D2',
      body: '',
    };

    it('trade shape (sign_type not signed) and servicemarket shape (sign_type signed)', () => {
      for (const keepSignType of [false, true]) {
        const posted = alipay.signNotify(fields, gateway.privatePem, { keepSignType });
        expect(sdk.checkNotifySignV2(posted)).toBe(true);
        expect(alipay.verifyNotify(posted, gateway.publicPem)).toBe(true);
        const tampered = { ...posted, total_amount: '0.11' };
        expect(sdk.checkNotifySignV2(tampered)).toBe(false);
        expect(alipay.verifyNotify(tampered, gateway.publicPem)).toBe(false);
      }
    });
  });

  describe('verifyParams accepts what the SDK signs (the gateway side)', () => {
    const bizContent = {
      outTradeNo: 'T20240501001',
      totalAmount: '0.01',
      subject: '语雀空间 500人规模',
      productCode: 'QUICK_MSECURITY_PAY',
    };

    it('sdkExecute (APP order string)', () => {
      const orderString = sdk.sdkExecute('alipay.trade.app.pay', { bizContent, notifyUrl: 'https://m.example.com/notify' });
      const params = Object.fromEntries(new URLSearchParams(orderString));
      expect(params.sign_type).toBe('RSA2');
      expect(alipay.verifyParams(params, appPublicPem)).toBe(true);
      expect(alipay.verifyParams({ ...params, notify_url: 'https://evil.example.com/notify' }, appPublicPem)).toBe(false);
    });

    it('pageExecute GET (query and form merged; alipay_sdk is signed too)', () => {
      const link = sdk.pageExecute('alipay.trade.page.pay', 'GET', { bizContent, returnUrl: 'https://m.example.com/return' });
      const params = Object.fromEntries(new URL(link).searchParams);
      expect(params.alipay_sdk).toBe('alipay-sdk-nodejs-4.0.0');
      expect(alipay.verifyParams(params, appPublicPem)).toBe(true);
      const { alipay_sdk: _dropped, ...withoutSdk } = params;
      expect(alipay.verifyParams(withoutSdk, appPublicPem)).toBe(false);
    });

    it('pageExecute POST (auto-submit form: action query plus hidden inputs)', () => {
      const html = sdk.pageExecute('alipay.trade.page.pay', 'POST', { bizContent });
      const action = /action="([^"]+)"/.exec(html)?.[1] ?? '';
      const inputs = [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(
        ([, name = '', value = '']) => [name, value.replaceAll('&quot;', '"')] as const,
      );
      const params = { ...Object.fromEntries(new URL(action).searchParams), ...Object.fromEntries(inputs) };
      expect(params.biz_content).toContain('"out_trade_no":"T20240501001"');
      expect(alipay.verifyParams(params, appPublicPem)).toBe(true);
    });

    it('a request signed with signParams carries the same sign as the SDK would compute over the same params', () => {
      const orderString = sdk.sdkExecute('alipay.trade.app.pay', { bizContent });
      const params = Object.fromEntries(new URLSearchParams(orderString));
      expect(alipay.signParams(params, appPrivatePem).sign).toBe(params.sign);
    });

    it("an empty parameter: the SDK signs `key=`, the gateway drops it, they disagree (don't send empties, §2.1)", () => {
      const orderString = sdk.sdkExecute('alipay.trade.app.pay', { bizContent, appAuthToken: '' });
      const params = Object.fromEntries(new URLSearchParams(orderString));
      expect(params.app_auth_token).toBe('');
      expect(alipay.verifyParams(params, appPublicPem)).toBe(false);
    });
  });
});
