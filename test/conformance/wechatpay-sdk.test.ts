// The WeChat Pay sandbox against the official wechatpay-axios-plugin (0.9.x), used as a black box and pointed at the
// sandbox with baseURL: its signed orders, queries, closes, refunds and refund queries are accepted, its response
// verifier accepts the sandbox's signatures keyed by the PUB_KEY_ID, and its Rsa/Formatter/AesGcm accept sandbox
// TRANSACTION.SUCCESS and REFUND.SUCCESS notifications.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { newChannelOrderNumber } from '../../shared/channels/index.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';

let test: TestSandbox;
let merchantKeyPem: string;
let platformPublicPem: string;
let merchant: Server;
let notifyUrl: string;
const notifications: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  test = await startTestSandbox();
  merchantKeyPem = readFileSync(join(test.credentialsDir, 'wechatpay-merchant-key.pem'), 'utf8');
  platformPublicPem = readFileSync(join(test.credentialsDir, 'wechatpay-platform-public-key.pem'), 'utf8');
  merchant = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      notifications.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/wechatpay`;
}, 60_000);

afterAll(async () => {
  await test?.close();
  merchant?.closeAllConnections();
  await new Promise<void>((resolve) => merchant?.close(() => resolve()));
});

const wechat = () => test.secrets.wechatpay;

function sdk(options: { privateKey?: string; certs?: Record<string, string> } = {}): Wechatpay {
  return new Wechatpay({
    mchid: wechat().mchid,
    serial: wechat().merchantSerialNo,
    privateKey: options.privateKey ?? merchantKeyPem,
    certs: options.certs ?? { [wechat().platformPublicKeyId]: platformPublicPem },
    baseURL: test.url,
  });
}

function order(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: wechat().appids[0],
    mchid: wechat().mchid,
    description: 'Image形象店-深圳腾大-QQ公仔',
    out_trade_no: newChannelOrderNumber(['wechatpay']),
    notify_url: notifyUrl,
    amount: { total: 1, currency: 'CNY' },
    ...extra,
  };
}

/** What the SDK throws for a refused or unverifiable answer: an AxiosError with the answer attached. */
async function rejection(promise: PromiseLike<unknown>): Promise<{ message: string; code?: string; response?: { status: number; data: unknown } }> {
  try {
    await promise;
  } catch (error) {
    return error as { message: string; code?: string; response?: { status: number; data: unknown } };
  }
  throw new Error('the SDK accepted what it should have refused');
}

describe('wechatpay-axios-plugin against the sandbox', () => {
  it('creates a Native order: the sandbox accepts its signature, its verifier accepts the answer', async () => {
    const body = order();
    const { status, data } = await sdk().chain('v3/pay/transactions/native').post(body);
    expect(status).toBe(200);
    expect((data as { code_url: string }).code_url).toMatch(new RegExp(`^${test.url}/pay/wechatpay/bizpayurl\\?pr=`));
    expect(test.sandbox.context.orders.get('wechatpay', String(body.out_trade_no))).toMatchObject({ amount: 1, product: 'native', status: 'pending' });
  });

  it('creates a JSAPI order, queries it by out_trade_no and closes it (204, verified over an empty body)', async () => {
    const body = order({ payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    const client = sdk();
    const created = await client.chain('v3/pay/transactions/jsapi').post(body);
    expect((created.data as { prepay_id: string }).prepay_id).toMatch(/^wx\d{14}[0-9a-f]{22}$/);

    const query = client.chain('v3/pay/transactions/out-trade-no/{out_trade_no}');
    const unpaid = await query.get({ params: { mchid: wechat().mchid }, out_trade_no: body.out_trade_no });
    expect(unpaid.data).toMatchObject({ out_trade_no: body.out_trade_no, trade_state: 'NOTPAY', amount: { total: 1 } });

    const closed = await client.chain('v3/pay/transactions/out-trade-no/{out_trade_no}/close').post({ mchid: wechat().mchid }, { out_trade_no: body.out_trade_no });
    expect(closed.status).toBe(204);
    const after = await query.get({ params: { mchid: wechat().mchid }, out_trade_no: body.out_trade_no });
    expect(after.data).toMatchObject({ trade_state: 'CLOSED' });
  });

  it('has its own paySign (Rsa.sign over Formatter.joinedByLineFeed) accepted by the sandbox’s WeChat client', async () => {
    const body = order({ payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    const { data } = await sdk().chain('v3/pay/transactions/jsapi').post(body);
    const appId = String(body.appid);
    const timeStamp = String(Formatter.timestamp());
    const nonceStr = Formatter.nonce();
    const pkg = `prepay_id=${(data as { prepay_id: string }).prepay_id}`;
    const paySign = Rsa.sign(Formatter.joinedByLineFeed(appId, timeStamp, nonceStr, pkg), merchantKeyPem);
    const answer = await fetch(`${test.url}/pay/wechatpay/jsapi`, {
      method: 'POST',
      body: JSON.stringify({ appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign }),
    });
    expect(await answer.json()).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
  });

  it('is refused with 401 SIGN_ERROR when it signs with a key that is not the merchant’s', async () => {
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const error = await rejection(sdk({ privateKey: foreign }).chain('v3/pay/transactions/native').post(order()));
    expect(error.response?.status).toBe(401);
    expect(error.response?.data).toMatchObject({ code: 'SIGN_ERROR' });
  });

  it('refuses the sandbox’s answers when configured with another key or another id: its verifier really checks', async () => {
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const wrongKey = await rejection(sdk({ certs: { [wechat().platformPublicKeyId]: otherKey } }).chain('v3/pay/transactions/native').post(order()));
    expect(wrongKey.code).toBe('EV3_RES_HEADER_SIGNATURE_DIGEST');
    const wrongId = await rejection(sdk({ certs: { PUB_KEY_ID_0117000800002025045698789500001779: platformPublicPem } }).chain('v3/pay/transactions/native').post(order()));
    expect(wrongId.code).toBe('EV3_RES_HEADER_PLATFORM_SERIAL');
  });

  it('verifies a sandbox notification with Rsa.verify(Formatter.response(…)) and decrypts it with Aes.AesGcm', async () => {
    const body = order({ attach: 'cart-42', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    await sdk().chain('v3/pay/transactions/jsapi').post(body);
    notifications.length = 0;
    await test.sandbox.channels.wechatpay.pay(String(body.out_trade_no));
    const deadline = Date.now() + 5000;
    while (notifications.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const [delivery] = notifications;
    if (!delivery) throw new Error('no notification arrived');

    const { headers } = delivery;
    expect(headers['wechatpay-serial']).toBe(wechat().platformPublicKeyId);
    const message = Formatter.response(String(headers['wechatpay-timestamp']), String(headers['wechatpay-nonce']), delivery.body);
    expect(Rsa.verify(message, String(headers['wechatpay-signature']), platformPublicPem)).toBe(true);
    expect(Rsa.verify(`${message} `, String(headers['wechatpay-signature']), platformPublicPem)).toBe(false);

    const { resource, event_type: eventType } = JSON.parse(delivery.body) as {
      event_type: string;
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    expect(eventType).toBe('TRANSACTION.SUCCESS');
    const transaction = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, wechat().apiV3Key, resource.nonce, resource.associated_data)) as Record<string, unknown>;
    expect(transaction).toMatchObject({
      appid: body.appid,
      mchid: wechat().mchid,
      out_trade_no: body.out_trade_no,
      attach: 'cart-42',
      trade_state: 'SUCCESS',
      trade_type: 'JSAPI',
      amount: { total: 1, payer_total: 1, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });
    expect(() => Aes.AesGcm.decrypt(resource.ciphertext, wechat().apiV3Key, resource.nonce, 'refund')).toThrow();
  });

  it('creates a refund and queries it: the sandbox accepts its signatures, its verifier accepts the answers', async () => {
    const body = order({ payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }, amount: { total: 12_800, currency: 'CNY' } });
    const client = sdk();
    await client.chain('v3/pay/transactions/jsapi').post(body);
    await test.sandbox.channels.wechatpay.pay(String(body.out_trade_no));
    const transactionId = test.sandbox.context.orders.get('wechatpay', String(body.out_trade_no))?.tradeNo;
    const outRefundNo = `RF${String(body.out_trade_no)}`;

    const created = await client.chain('v3/refund/domestic/refunds').post({
      transaction_id: transactionId,
      out_refund_no: outRefundNo,
      reason: '商品已售完',
      notify_url: notifyUrl,
      amount: { refund: 5000, total: 12_800, currency: 'CNY' },
    });
    expect(created.status).toBe(200);
    // The SDK types an answer like the request it sent; the sandbox's answer is a refund object.
    const answer: unknown = created.data;
    expect(answer).toMatchObject({
      out_refund_no: outRefundNo,
      out_trade_no: body.out_trade_no,
      transaction_id: transactionId,
      status: 'PROCESSING',
      amount: { refund: 5000, total: 12_800, currency: 'CNY' },
    });
    expect((answer as { refund_id: string }).refund_id).toMatch(/^503\d{26}$/);

    const queried = await client.chain('v3/refund/domestic/refunds/{out_refund_no}').get({ out_refund_no: outRefundNo });
    expect(queried.data).toEqual(answer);
    // WeChat's rule, through the SDK: the rest of the payment and not a fen more.
    const tooMuch = await rejection(
      client.chain('v3/refund/domestic/refunds').post({ out_trade_no: body.out_trade_no, out_refund_no: `${outRefundNo}B`, amount: { refund: 7801, total: 12_800, currency: 'CNY' } }),
    );
    expect(tooMuch.response).toMatchObject({ status: 400, data: { code: 'INVALID_REQUEST' } });
  });

  it('verifies a sandbox REFUND.SUCCESS with Rsa.verify(Formatter.response(…)) and decrypts it with Aes.AesGcm (AAD "refund")', async () => {
    const body = order({ payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }, amount: { total: 300, currency: 'CNY' } });
    const client = sdk();
    await client.chain('v3/pay/transactions/jsapi').post(body);
    await test.sandbox.channels.wechatpay.pay(String(body.out_trade_no));
    const outRefundNo = `RF${String(body.out_trade_no)}`;
    await client.chain('v3/refund/domestic/refunds').post({ out_trade_no: body.out_trade_no, out_refund_no: outRefundNo, notify_url: notifyUrl, amount: { refund: 300, total: 300, currency: 'CNY' } });

    // The sandbox settles a refund after a moment of PROCESSING, then notifies the refund's notify_url.
    const deadline = Date.now() + 8000;
    // Other tests' refunds notify the same URL: this one is told apart by what it says once decrypted.
    const isRefund = (delivery: { body: string }) => {
      const { event_type: eventType, resource } = JSON.parse(delivery.body) as { event_type: string; resource: { ciphertext: string; nonce: string; associated_data: string } };
      if (eventType !== 'REFUND.SUCCESS') return false;
      const plain = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, wechat().apiV3Key, resource.nonce, resource.associated_data)) as { out_refund_no: string };
      return plain.out_refund_no === outRefundNo;
    };
    while (!notifications.some(isRefund) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const delivery = notifications.find(isRefund);
    if (!delivery) throw new Error('no REFUND.SUCCESS arrived');

    const { headers } = delivery;
    expect(headers['wechatpay-serial']).toBe(wechat().platformPublicKeyId);
    const message = Formatter.response(String(headers['wechatpay-timestamp']), String(headers['wechatpay-nonce']), delivery.body);
    expect(Rsa.verify(message, String(headers['wechatpay-signature']), platformPublicPem)).toBe(true);
    expect(Rsa.verify(message.replace('REFUND.SUCCESS', 'REFUND.CLOSED'), String(headers['wechatpay-signature']), platformPublicPem)).toBe(false);

    const { resource, summary } = JSON.parse(delivery.body) as { summary: string; resource: { ciphertext: string; nonce: string; associated_data: string; original_type: string } };
    expect([summary, resource.original_type, resource.associated_data]).toEqual(['退款成功', 'refund', 'refund']);
    const refund = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, wechat().apiV3Key, resource.nonce, resource.associated_data)) as Record<string, unknown>;
    expect(refund).toMatchObject({
      mchid: wechat().mchid,
      out_trade_no: body.out_trade_no,
      out_refund_no: outRefundNo,
      refund_status: 'SUCCESS',
      user_received_account: '支付用户零钱',
      amount: { total: 300, refund: 300, payer_total: 300, payer_refund: 300 },
    });
    expect(refund.refund_id).toMatch(/^503\d{26}$/);
    expect(refund.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(() => Aes.AesGcm.decrypt(resource.ciphertext, wechat().apiV3Key, resource.nonce, 'transaction')).toThrow();

    // And the trade now reads REFUND (§1.7), through the SDK's verified query.
    const trade = await client.chain('v3/pay/transactions/out-trade-no/{out_trade_no}').get({ params: { mchid: wechat().mchid }, out_trade_no: body.out_trade_no });
    expect(trade.data).toMatchObject({ trade_state: 'REFUND', trade_state_desc: '转入退款' });
  });
});
