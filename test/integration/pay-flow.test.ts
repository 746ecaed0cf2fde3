// A merchant server and a customer's browser against the real BFF and the channel sandbox, all over HTTP:
// create an order, open a cashier session, pay with each option a terminal is offered, pay at the sandbox,
// and see the order succeed with its events.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY = 'sk_test_integration_0123456789';
const UA = {
  pc: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  wap: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  wechat:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2f) NetType/WIFI Language/zh_CN',
  alipay:
    'Mozilla/5.0 (Linux; U; Android 10; zh-CN; SM-G9750) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 Mobile Safari/537.36 AlipayClient/10.2.51.7100 Language/zh-Hans',
};

let sandbox: TestSandbox;
let bff: RunningBff;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const dataDir = join(sandbox.credentialsDir, '..');
  writeFileSync(
    join(dataDir, 'merchants.json'),
    JSON.stringify([
      {
        id: 'mch_it',
        name: 'Integration Tea',
        apiKey: KEY,
        settings: {
          channels: [{ id: 'wechatpay' }, { id: 'alipay', products: ['page', 'precreate', 'wap', 'app', 'inapp'] }, { id: 'unionpay' }],
          installments: [{ provider: 'huabei', feeBearer: 'merchant', plans: [{ periods: 3, rate: '0.023' }] }],
        },
        allowedOrigins: ['https://shop.example'],
      },
    ]),
  );
  bff = await startBff({ dataDir, port: 0, hostname: '127.0.0.1', log: () => undefined, http: { timeoutMs: 5000, readRetries: 1 } });
}, 60_000);

afterAll(async () => {
  await bff?.close();
  await sandbox?.close();
});

async function merchant(path: string, body?: unknown) {
  const response = await fetch(`${bff.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function cashier(token: string, path: string, userAgent: string, body?: unknown) {
  const response = await fetch(`${bff.url}/cashier/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function newSession(amount = 12_800) {
  const created = await merchant('/v1/orders', { merchantOrderNo: `IT${Date.now()}${Math.random().toString(36).slice(2, 8)}`, amount, subject: 'Celadon tea set' });
  expect(created.status).toBe(201);
  const session = await merchant(`/v1/orders/${created.json.order.id}/cashier-sessions`, {});
  expect(session.status).toBe(201);
  return { orderId: created.json.order.id as string, token: session.json.token as string };
}

describe('paying through the BFF and the sandbox', () => {
  it.each([
    ['pc', 'wechatpay:native', 'qr'],
    ['pc', 'alipay:page', 'redirect'],
    ['pc', 'alipay:precreate', 'qr'],
    ['pc', 'alipay:page:huabei-3', 'redirect'],
    ['pc', 'unionpay:gateway', 'form'],
    ['wap', 'wechatpay:h5', 'redirect'],
    ['wap', 'alipay:wap', 'redirect'],
    ['wap', 'unionpay:wap', 'form'],
    ['alipay', 'alipay:inapp', 'jsapi'],
  ] as const)('on %s, %s gives a %s action', async (terminal, optionId, kind) => {
    const { token } = await newSession();
    const options = await cashier(token, '/session', UA[terminal]);
    expect(options.json.options.map((o: { id: string }) => o.id)).toContain(optionId);
    const paid = await cashier(token, '/pay', UA[terminal], { optionId, returnUrl: 'https://shop.example/thanks' });
    expect(paid.status, JSON.stringify(paid.json)).toBe(201);
    expect(paid.json.action.kind).toBe(kind);
  });

  it('inside WeChat gives getBrandWCPayRequest parameters signed with the merchant key', async () => {
    const { token } = await newSession();
    const paid = await cashier(token, '/pay', UA.wechat, { optionId: 'wechatpay:jsapi', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(paid.status, JSON.stringify(paid.json)).toBe(201);
    expect(paid.json.action).toMatchObject({ kind: 'jsapi', bridge: 'WeixinJSBridge', parameters: { signType: 'RSA' } });
    expect(paid.json.action.parameters.package).toMatch(/^prepay_id=/);
  });

  it('a QR paid at the sandbox turns the order succeeded, with its events in order', async () => {
    const { token, orderId } = await newSession();
    const paid = await cashier(token, '/pay', UA.pc, { optionId: 'wechatpay:native' });
    expect(paid.json.action.kind).toBe('qr');
    const [order] = sandbox.sandbox.context.orders.list().filter((o) => o.channel === 'wechatpay');
    expect(order?.amount).toBe(12_800);
    await sandbox.sandbox.channels.wechatpay.pay(order!.key);
    const status = await cashier(token, '/status/refresh', UA.pc, {});
    expect(status.json).toMatchObject({ status: 'succeeded', attempt: { status: 'succeeded', optionId: 'wechatpay:native' } });
    const events = await merchant(`/v1/orders/${orderId}/events`);
    expect(events.json.events.map((e: { type: string }) => e.type)).toEqual([
      'order.created',
      'payment_attempt.created',
      'order.paying',
      'payment_attempt.pending',
      'payment_attempt.succeeded',
      'order.succeeded',
    ]);
  });

  it('streams the status as server-sent events until the order is final', async () => {
    const { token } = await newSession();
    await cashier(token, '/pay', UA.pc, { optionId: 'alipay:precreate' });
    const response = await fetch(`${bff.url}/cashier/v1/status/stream`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    };
    await read('"status":"paying"');
    expect(text).toMatch(/^event: status\ndata: .*"status":"paying"/m);
    // The customer scans and pays; the widget reports they are back, and the stream carries the success.
    const [order] = sandbox.sandbox.context.orders.list().filter((o) => o.channel === 'alipay');
    await sandbox.sandbox.channels.alipay.pay(order!.key);
    await cashier(token, '/status/refresh', UA.pc, {});
    await read('"status":"succeeded"');
    expect(text).toContain('"status":"succeeded"');
    const { done } = await reader.read();
    expect(done).toBe(true);
  });

  it('a second tap on the same option reuses the channel order', async () => {
    const { token } = await newSession();
    const first = await cashier(token, '/pay', UA.pc, { optionId: 'alipay:precreate' });
    const second = await cashier(token, '/pay', UA.pc, { optionId: 'alipay:precreate' });
    expect(second.json.attemptId).toBe(first.json.attemptId);
    expect(second.json.action).toEqual(first.json.action);
  });

  it('closing an order closes its open attempts at their channels first', async () => {
    const { token, orderId } = await newSession();
    await cashier(token, '/pay', UA.pc, { optionId: 'wechatpay:native' });
    const closed = await merchant(`/v1/orders/${orderId}/close`, {});
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ closed: true, order: { status: 'closed' } });
    const [order] = sandbox.sandbox.context.orders.list().filter((o) => o.channel === 'wechatpay');
    expect(order?.status).toBe('closed');
  });
});
