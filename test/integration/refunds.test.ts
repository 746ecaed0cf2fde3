// Merchant refunds through the BFF and the sandbox over HTTP: idempotent by the merchant's refund number, checked
// against the channel's rules, their fee return computed, and — a hundred at once — never more than was paid,
// because the database decides.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';

const KEY = 'sk_test_refunds_0123456789';
const NO_REFUNDS_KEY = 'sk_test_norefunds_0123456789';

let sandbox: TestSandbox;
let bff: RunningBff;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const dataDir = join(sandbox.credentialsDir, '..');
  const channels = [{ id: 'wechatpay' }, { id: 'alipay', products: ['precreate'] }, { id: 'unionpay' }];
  writeFileSync(
    join(dataDir, 'merchants.json'),
    JSON.stringify([
      { id: 'mch_refunds', name: 'Refund Tea', apiKey: KEY, settings: { channels, fees: { wechatpay: { rate: '0.006' }, unionpay: { rate: '0.006' } } } },
      { id: 'mch_norefunds', name: 'No Refunds', apiKey: NO_REFUNDS_KEY, settings: { channels, refundsActivated: false } },
    ]),
  );
  const url = process.env.TEST_DATABASE_URL;
  bff = await startBff({
    dataDir,
    port: 0,
    hostname: '127.0.0.1',
    log: (line) => { if (line.level === 'error') console.error(JSON.stringify(line)); },
    timeScale: 0.002,
    workerOptions: { pollMs: 20 },
    // Real concurrency when a PostgreSQL server is there (CI): the pool runs the hundred requests side by side.
    ...(url ? { databaseUrl: url, databaseSchema: `rf_${randomBytes(5).toString('hex')}` } : {}),
  });
}, 60_000);

afterAll(async () => {
  await bff?.close();
  await sandbox?.close();
});

async function call(path: string, options: { key?: string; token?: string; body?: unknown; idempotencyKey?: string } = {}) {
  const response = await fetch(`${bff.url}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? options.key ?? KEY}`,
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** A paid order: created, paid with `optionId` at the sandbox, succeeded. */
async function paidOrder(optionId: string, key = KEY, amount = 12_800): Promise<string> {
  const created = await call('/v1/orders', { key, body: { merchantOrderNo: `RF${randomBytes(6).toString('hex')}`, amount, subject: 'Tea set' } });
  const orderId = created.json.order.id as string;
  const session = await call(`/v1/orders/${orderId}/cashier-sessions`, { key, body: {} });
  const evidence = optionId.endsWith(':app') ? { evidence: { hasAppBridge: true } } : {};
  const paid = await call('/cashier/v1/pay', { token: session.json.token, body: { optionId, ...evidence } });
  const [attempt] = await bff.deps.db.query<{ channel: 'wechatpay' | 'alipay' | 'unionpay'; channel_order_no: string }>(
    'SELECT channel, channel_order_no FROM payment_attempts WHERE id = $1',
    [paid.json.attemptId],
  );
  await sandbox.sandbox.channels[attempt!.channel].pay(attempt!.channel_order_no);
  await vi.waitFor(async () => expect((await call(`/v1/orders/${orderId}`, { key })).json.order.status).toBe('succeeded'), { timeout: 20_000, interval: 50 });
  return orderId;
}

describe('merchant refunds', () => {
  it('refunds part of a WeChat Pay payment once per refund number, with the fee it returns, until it succeeds', async () => {
    const orderId = await paidOrder('wechatpay:native');
    const first = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'R1', amount: 5000, reason: 'one cup broken' } });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    // 12,800 × 0.6 % = 76.8 → 77 charged; 5,000 × 0.6 % = 30 returned (WeChat's rule, shared/fees).
    expect(first.json.refund).toMatchObject({ merchantRefundNo: 'R1', amount: 5000, status: 'pending', feeCharged: 77, feeReturned: 30, channel: 'wechatpay' });
    const again = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'R1', amount: 5000 } });
    expect(again.status).toBe(200);
    expect(again.json.refund.id).toBe(first.json.refund.id);
    const other = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'R1', amount: 4000 } });
    expect(other.json.error.code).toBe('refund_exists');
    await vi.waitFor(async () => expect((await call(`/v1/refunds/${first.json.refund.id}`)).json.refund.status).toBe('succeeded'), {
      timeout: 20_000,
      interval: 100,
    });
    // WeChat Pay wants a minute between refunds of one order.
    const soon = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'R2', amount: 1000 } });
    expect(soon.status).toBe(429);
    expect(soon.json.error.code).toBe('refund_too_soon');
    const list = await call(`/v1/orders/${orderId}/refunds`);
    expect(list.json.refunds.map((r: { merchantRefundNo: string }) => r.merchantRefundNo)).toEqual(['R1']);
    // Per order: the fee charged, what the settled refund gave back, and what the channel keeps.
    expect((await call(`/v1/orders/${orderId}`)).json.order.fees).toEqual({ charged: 77, returned: 30, kept: 47 });
    const events = await call(`/v1/orders/${orderId}/events`);
    expect(events.json.events.map((e: { type: string }) => e.type).filter((t: string) => t.startsWith('refund.'))).toEqual(['refund.created', 'refund.processing', 'refund.succeeded']);
  });

  it('refuses more than was paid, an unpaid order, and a merchant without refunds activated', async () => {
    const orderId = await paidOrder('unionpay:app');
    const tooMuch = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'X1', amount: 12_801 } });
    expect(tooMuch).toMatchObject({ status: 422, json: { error: { code: 'refund_exceeds_payment', field: 'amount' } } });
    const unpaid = await call('/v1/orders', { body: { merchantOrderNo: `UP${randomBytes(4).toString('hex')}`, amount: 100, subject: 'Tea' } });
    const refused = await call(`/v1/orders/${unpaid.json.order.id}/refunds`, { body: { merchantRefundNo: 'X2', amount: 100 } });
    expect(refused.json.error.code).toBe('order_not_refundable');
    const other = await paidOrder('unionpay:app', NO_REFUNDS_KEY);
    const blocked = await call(`/v1/orders/${other}/refunds`, { key: NO_REFUNDS_KEY, body: { merchantRefundNo: 'X3', amount: 100 } });
    expect(blocked).toMatchObject({ status: 403, json: { error: { code: 'refund_not_activated' } } });
  });

  it('refuses a refund past the channel\u2019s refund window', async () => {
    const orderId = await paidOrder('alipay:precreate');
    await bff.deps.db.query("UPDATE payment_attempts SET paid_at = now() - interval '4 months' WHERE order_id = $1 AND status = 'succeeded'", [orderId]);
    const late = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: 'W1', amount: 100 } });
    expect(late).toMatchObject({ status: 422, json: { error: { code: 'refund_window_closed' } } });
  });

  it('a hundred concurrent refund requests never refund more than was paid', async () => {
    // UnionPay publishes no per-order count or interval limit, so only the total binds.
    const orderId = await paidOrder('unionpay:app');
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: `C${i}`, amount: 200 } })),
    );
    const accepted = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 422);
    expect(accepted).toHaveLength(64);
    expect(refused.every((r) => r.json.error.code === 'refund_exceeds_payment')).toBe(true);
    expect(accepted.length + refused.length).toBe(100);
    const [order] = await bff.deps.db.query<{ amount_refunded: number }>('SELECT amount_refunded FROM orders WHERE id = $1', [orderId]);
    expect(order?.amount_refunded).toBe(12_800);
    await vi.waitFor(
      async () => {
        const list = await call(`/v1/orders/${orderId}/refunds`);
        expect(list.json.refunds.filter((r: { status: string }) => r.status === 'succeeded')).toHaveLength(64);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(sandbox.sandbox.context.orders.list().filter((o) => o.product === 'refund' && o.amount === 200).length).toBeGreaterThanOrEqual(64);
  }, 60_000);
});
