// TRANSACTION.SUCCESS notifications from the WeChat Pay sandbox to a real local merchant server: the signature
// verifies, the resource decrypts with the APIv3 key, retries follow WeChat's ladder until 200 or 204 (§1.4–1.5).

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aeadDecrypt, verifyResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import { RULEBOOK } from '../../../shared/channels/index.ts';
import { startWechatpaySandbox, type WechatpayTestSandbox } from './testing.ts';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let t: WechatpayTestSandbox;
let merchant: Server;
let merchantUrl: string;
let received: Received[] = [];
/** What the merchant answers, delivery by delivery; the last entry repeats. */
let script: Array<{ status: number; body?: string }> = [];
let sequence = 0;

beforeAll(async () => {
  // 15 s of WeChat's ladder becomes 0.3 ms; the whole 24 h 4 min ladder takes under 2 s of test time.
  t = await startWechatpaySandbox({ timeScale: 0.00002 });
  merchant = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const answer = script[Math.min(received.length - 1, script.length - 1)] ?? { status: 200 };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  merchantUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/wechatpay`;
}, 60_000);

afterEach(() => {
  t.context.notifier.stop();
  received = [];
});

afterAll(async () => {
  await t?.close();
  merchant?.closeAllConnections();
  await new Promise<void>((resolve) => merchant?.close(() => resolve()));
});

async function paidOrder(): Promise<string> {
  sequence += 1;
  const outTradeNo = `WXN${Date.now()}${sequence}`;
  const answer = await t.call('/v3/pay/transactions/jsapi', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: outTradeNo,
      attach: 'cart-42',
      notify_url: merchantUrl,
      amount: { total: 12_800, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    }),
  });
  expect(answer.status).toBe(200);
  await t.sandbox.pay(outTradeNo);
  return outTradeNo;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TRANSACTION.SUCCESS', () => {
  it('is signed with the platform key under the PUB_KEY_ID and carries the transaction, encrypted with the APIv3 key', async () => {
    script = [{ status: 204 }];
    const outTradeNo = await paidOrder();
    await until(() => received.length === 1);
    const [delivery] = received;
    if (!delivery) throw new Error('no delivery');

    expect(delivery.headers['wechatpay-serial']).toBe(t.secrets.platformPublicKeyId);
    const signed = {
      timestamp: String(delivery.headers['wechatpay-timestamp']),
      nonce: String(delivery.headers['wechatpay-nonce']),
      signature: String(delivery.headers['wechatpay-signature']),
      serial: String(delivery.headers['wechatpay-serial']),
    };
    const now = Math.floor(t.context.clock.now().getTime() / 1000);
    expect(verifyResponse({ ...signed, body: delivery.body }, t.credentials.platformPublicKeys, now)).toEqual({ ok: true });
    expect(verifyResponse({ ...signed, body: delivery.body.replace('支付成功', '支付失败') }, t.credentials.platformPublicKeys, now).ok).toBe(false);

    const body = JSON.parse(delivery.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } } & Record<string, unknown>;
    expect(body).toMatchObject({
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' },
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.create_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(body.resource.nonce).toMatch(/^[A-Za-z0-9]{12}$/);

    const transaction = JSON.parse(
      aeadDecrypt({ key: t.credentials.apiV3Key, nonce: body.resource.nonce, associatedData: body.resource.associated_data, ciphertext: body.resource.ciphertext }),
    ) as Record<string, unknown>;
    const order = t.context.orders.get('wechatpay', outTradeNo);
    expect(transaction).toEqual({
      amount: { currency: 'CNY', payer_currency: 'CNY', payer_total: 12_800, total: 12_800 },
      appid: t.credentials.appid,
      attach: 'cart-42',
      bank_type: 'OTHERS',
      mchid: t.credentials.mchid,
      out_trade_no: outTradeNo,
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      promotion_detail: [],
      success_time: transaction.success_time,
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      trade_type: 'JSAPI',
      transaction_id: order?.tradeNo,
    });
    expect(Date.parse(String(transaction.success_time))).toBe(Math.floor(Date.parse(order?.paidAt ?? '') / 1000) * 1000);
    // A wrong AAD does not decrypt: the tag is real.
    expect(() => aeadDecrypt({ key: t.credentials.apiV3Key, nonce: body.resource.nonce, associatedData: 'refund', ciphertext: body.resource.ciphertext })).toThrow();
  });

  it('is retried on a non-2xx answer with a fresh signature each time, the same event, until 200', async () => {
    script = [{ status: 500 }, { status: 503 }, { status: 200, body: '{"code":"SUCCESS","message":"成功"}' }];
    const outTradeNo = await paidOrder();
    await until(() => received.length === 3);
    await settle(200);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(new Set(received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(3);
    expect(new Set(received.map((r) => r.headers['wechatpay-signature'])).size).toBe(3);
    const log = t.context.notifier.log.filter((delivery) => delivery.orderKey === outTradeNo);
    expect(log.map((delivery) => [delivery.attempt, delivery.status, delivery.acknowledged])).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
  });

  it('counts the HTTP status only: 200 with {"code":"FAIL"} is received, 204 too; 4xx is not', async () => {
    script = [{ status: 200, body: '{"code":"FAIL","message":"失败"}' }];
    await paidOrder();
    await until(() => received.length === 1);
    await settle(100);
    expect(received).toHaveLength(1);

    received = [];
    script = [{ status: 400, body: '{"code":"FAIL","message":"失败"}' }, { status: 204 }];
    await paidOrder();
    await until(() => received.length === 2);
    await settle(100);
    expect(received).toHaveLength(2);
  });

  it('gives up after WeChat’s whole ladder: the first delivery and one retry per rung', async () => {
    script = [{ status: 500 }];
    const ladder = RULEBOOK.wechatpay.notification.retryLadderSeconds;
    if (ladder === 'unknown') throw new Error('the rulebook has no WeChat ladder');
    expect(ladder).toEqual([15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600]);
    await paidOrder();
    await until(() => received.length === ladder.length + 1, 15_000);
    await settle(300);
    expect(received).toHaveLength(16);
  }, 20_000);

  it('is not sent for a failed payment (API v3 notifies successes only)', async () => {
    script = [{ status: 200 }];
    sequence += 1;
    const outTradeNo = `WXF${Date.now()}${sequence}`;
    await t.call('/v3/pay/transactions/native', {
      body: JSON.stringify({
        appid: t.credentials.appid,
        mchid: t.credentials.mchid,
        description: 'Celadon tea set',
        out_trade_no: outTradeNo,
        notify_url: merchantUrl,
        amount: { total: 12_800 },
      }),
    });
    await t.sandbox.fail(outTradeNo);
    await settle(100);
    expect(received).toHaveLength(0);
  });
});
