// Status that converges under the channels' bad days, against the real BFF and the sandbox over HTTP: duplicated
// and reordered notifications change things once; forged, stale, wrong-amount and wrong-merchant ones change
// nothing; dropped ones are made up for by queries; two BFF processes on one PostgreSQL never run a job twice at once.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signNotify } from '../../bff/channels/alipay/crypto.ts';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { formatBeijingTime } from '../../shared/channels/beijing-time.ts';

const KEY = 'sk_test_convergence_0123456789';
const PC = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

interface Shop {
  readonly sandbox: TestSandbox;
  readonly bff: RunningBff;
  close(): Promise<void>;
}

async function shop(options: {
  worker: boolean;
  databaseUrl?: string | undefined;
  schema?: string;
  sandbox?: TestSandbox;
  onRun?: Parameters<typeof startBff>[0]['workerOptions'];
}): Promise<Shop> {
  const sandbox = options.sandbox ?? (await startTestSandbox());
  const dataDir = join(sandbox.credentialsDir, '..');
  writeFileSync(
    join(dataDir, 'merchants.json'),
    JSON.stringify([{ id: 'mch_conv', name: 'Convergence Tea', apiKey: KEY, settings: { channels: [{ id: 'wechatpay' }, { id: 'alipay', products: ['precreate'] }, { id: 'unionpay' }] } }]),
  );
  const bff = await startBff({
    dataDir,
    port: 0,
    hostname: '127.0.0.1',
    log: () => undefined,
    worker: options.worker,
    timeScale: 0.002,
    workerOptions: { pollMs: 20, ...options.onRun },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl, databaseSchema: options.schema } : {}),
    http: { timeoutMs: 3000, readRetries: 0 },
  });
  return {
    sandbox,
    bff,
    close: async () => {
      await bff.close();
      if (!options.sandbox) await sandbox.close();
    },
  };
}

async function call(s: Shop, path: string, options: { token?: string; body?: unknown; userAgent?: string } = {}) {
  const response = await fetch(`${s.bff.url}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? KEY}`,
      'content-type': 'application/json',
      'idempotency-key': crypto.randomUUID(),
      'user-agent': options.userAgent ?? PC,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** An order paid (at the sandbox) with `optionId`; returns our order id and the channel's order number. */
async function payAtSandbox(s: Shop, optionId: string, fault?: Record<string, unknown>): Promise<{ orderId: string; key: string; channel: 'wechatpay' | 'alipay' | 'unionpay'; token: string }> {
  const created = await call(s, '/v1/orders', { body: { merchantOrderNo: `CV${randomBytes(6).toString('hex')}`, amount: 12_800, subject: 'Tea set' } });
  const orderId = created.json.order.id as string;
  const session = await call(s, `/v1/orders/${orderId}/cashier-sessions`, { body: {} });
  // UnionPay's server-side product is the app hand-over (tn): the page says it runs in the merchant's app.
  const evidence = optionId.endsWith(':app') ? { evidence: { hasAppBridge: true } } : {};
  const paid = await call(s, '/cashier/v1/pay', { token: session.json.token, body: { optionId, ...evidence } });
  expect(paid.status, JSON.stringify(paid.json)).toBe(201);
  const [attempt] = await s.bff.deps.db.query<{ channel_order_no: string; channel: 'wechatpay' | 'alipay' | 'unionpay' }>(
    'SELECT channel_order_no, channel FROM payment_attempts WHERE id = $1',
    [paid.json.attemptId],
  );
  if (!attempt) throw new Error('no attempt');
  const { channel_order_no: key, channel } = attempt;
  if (fault) s.sandbox.sandbox.context.faults.set(channel, key, fault);
  return { orderId, key, channel, token: session.json.token as string };
}

async function orderStatus(s: Shop, orderId: string): Promise<string> {
  return (await call(s, `/v1/orders/${orderId}`)).json.order.status as string;
}

async function events(s: Shop, orderId: string): Promise<string[]> {
  return (await call(s, `/v1/orders/${orderId}/events`)).json.events.map((e: { type: string }) => e.type);
}

describe('duplicated and reordered notifications', () => {
  let s: Shop;
  beforeAll(async () => {
    s = await shop({ worker: true });
  }, 60_000);
  afterAll(async () => s?.close());

  it('every notification delivered 15 times in random order gives one state change and one merchant event per transition', async () => {
    const options = ['wechatpay:native', 'alipay:precreate', 'wechatpay:native', 'alipay:precreate'];
    const orders: Awaited<ReturnType<typeof payAtSandbox>>[] = [];
    for (const optionId of options) orders.push(await payAtSandbox(s, optionId, { duplicate: 15, reorderSeconds: 1 }));
    for (const order of orders) await s.sandbox.sandbox.channels[order.channel].pay(order.key);
    for (const order of orders) {
      await vi.waitFor(async () => expect(await orderStatus(s, order.orderId)).toBe('succeeded'), { timeout: 20_000, interval: 100 });
    }
    // Let every copy arrive.
    await vi.waitFor(
      () => {
        for (const order of orders) {
          expect(s.sandbox.sandbox.context.notifier.log.filter((d) => d.orderKey === order.key).length).toBeGreaterThanOrEqual(15);
        }
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const order of orders) {
      const types = await events(s, order.orderId);
      expect(types.filter((t) => t === 'order.succeeded')).toHaveLength(1);
      expect(types.filter((t) => t === 'payment_attempt.succeeded')).toHaveLength(1);
      const inbox = await s.bff.deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM notification_inbox WHERE order_id = $1 AND verified", [order.orderId]);
      expect(inbox[0]?.n).toBe(1);
    }
  });
});

describe('notifications that must change nothing', () => {
  let s: Shop;
  beforeAll(async () => {
    // No job runner: nothing but the notification could change the order.
    s = await shop({ worker: false });
  }, 60_000);
  afterAll(async () => s?.close());

  async function settle(key: string) {
    await vi.waitFor(() => expect(s.sandbox.sandbox.context.notifier.log.some((d) => d.orderKey === key)).toBe(true), { timeout: 10_000, interval: 50 });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  it.each(['wechatpay:native', 'alipay:precreate', 'unionpay:app'])('a forged %s notification is refused and kept for review', async (optionId) => {
    const order = await payAtSandbox(s, optionId, { forgeSignature: true });
    await s.sandbox.sandbox.channels[order.channel].pay(order.key);
    await settle(order.key);
    expect(await orderStatus(s, order.orderId)).toBe('paying');
    const review = await call(s, '/v1/notifications');
    expect(review.json.notifications.some((n: { channel: string; status: string }) => n.channel === order.channel && n.status === 'rejected')).toBe(true);
  });

  it.each(['wechatpay:native', 'alipay:precreate', 'unionpay:app'])('an authentic %s notification with the wrong amount changes nothing', async (optionId) => {
    const order = await payAtSandbox(s, optionId, { changeAmount: 1 });
    await s.sandbox.sandbox.channels[order.channel].pay(order.key);
    await settle(order.key);
    expect(await orderStatus(s, order.orderId)).toBe('paying');
    const review = await call(s, '/v1/notifications');
    expect(review.json.notifications.some((n: { orderId: string; status: string }) => n.orderId === order.orderId && n.status === 'mismatch')).toBe(true);
  });

  it('a stale WeChat notification (signed ten minutes ago) changes nothing', async () => {
    const order = await payAtSandbox(s, 'wechatpay:native');
    s.sandbox.sandbox.context.clock.advance(-10 * 60_000);
    try {
      await s.sandbox.sandbox.channels.wechatpay.pay(order.key);
      await settle(order.key);
    } finally {
      s.sandbox.sandbox.context.clock.advance(10 * 60_000);
    }
    expect(await orderStatus(s, order.orderId)).toBe('paying');
  });

  it('a notification signed by the channel but addressed to another merchant changes nothing', async () => {
    const order = await payAtSandbox(s, 'alipay:precreate');
    const fields = {
      notify_time: formatBeijingTime(new Date()),
      notify_type: 'trade_status_sync',
      notify_id: randomBytes(16).toString('hex'),
      app_id: '2021009999999999',
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: '2026112722001400000000000001',
      out_trade_no: order.key,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '128.00',
      gmt_payment: formatBeijingTime(new Date()),
    };
    const signed = signNotify(fields, s.sandbox.secrets.alipay.alipayPrivateKey);
    const response = await fetch(`${s.bff.url}/notify/alipay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signed as Record<string, string>).toString(),
    });
    expect(await response.text()).not.toBe('success');
    expect(await orderStatus(s, order.orderId)).toBe('paying');
  });
});

describe('dropped notifications', () => {
  let s: Shop;
  beforeAll(async () => {
    s = await shop({ worker: true });
  }, 60_000);
  afterAll(async () => s?.close());

  it('with every notification dropped, status still converges through queries', async () => {
    s.sandbox.sandbox.context.faults.setDefault({ drop: true });
    const orders = [await payAtSandbox(s, 'wechatpay:native'), await payAtSandbox(s, 'alipay:precreate'), await payAtSandbox(s, 'unionpay:app')];
    for (const order of orders) await s.sandbox.sandbox.channels[order.channel].pay(order.key);
    for (const order of orders) {
      await vi.waitFor(async () => expect(await orderStatus(s, order.orderId)).toBe('succeeded'), { timeout: 20_000, interval: 100 });
    }
    expect(s.sandbox.sandbox.context.notifier.log.filter((d) => orders.some((o) => o.key === d.orderKey)).every((d) => d.error?.includes('dropped'))).toBe(true);
    s.sandbox.sandbox.context.faults.setDefault(undefined);
  });

  it('when one attempt wins, the customer\u2019s other channel orders are closed at their channels', async () => {
    const created = await call(s, '/v1/orders', { body: { merchantOrderNo: `WIN${randomBytes(5).toString('hex')}`, amount: 12_800, subject: 'Tea set' } });
    const orderId = created.json.order.id as string;
    const session = await call(s, `/v1/orders/${orderId}/cashier-sessions`, { body: {} });
    const first = await call(s, '/cashier/v1/pay', { token: session.json.token, body: { optionId: 'wechatpay:native' } });
    const second = await call(s, '/cashier/v1/pay', { token: session.json.token, body: { optionId: 'alipay:precreate' } });
    const [winner] = await s.bff.deps.db.query<{ channel_order_no: string }>('SELECT channel_order_no FROM payment_attempts WHERE id = $1', [first.json.attemptId]);
    const [loser] = await s.bff.deps.db.query<{ channel_order_no: string }>('SELECT channel_order_no FROM payment_attempts WHERE id = $1', [second.json.attemptId]);
    await s.sandbox.sandbox.channels.wechatpay.pay(winner!.channel_order_no);
    await vi.waitFor(async () => expect(await orderStatus(s, orderId)).toBe('succeeded'), { timeout: 20_000, interval: 100 });
    await vi.waitFor(() => expect(s.sandbox.sandbox.context.orders.get('alipay', loser!.channel_order_no)?.status).toBe('closed'), { timeout: 20_000, interval: 100 });
    const [attempt] = await s.bff.deps.db.query<{ status: string }>('SELECT status FROM payment_attempts WHERE id = $1', [second.json.attemptId]);
    expect(attempt?.status).toBe('closed');
  });

  it('a second attempt that also succeeds is refunded automatically and reported', async () => {
    const created = await call(s, '/v1/orders', { body: { merchantOrderNo: `DUP${randomBytes(5).toString('hex')}`, amount: 12_800, subject: 'Tea set' } });
    const orderId = created.json.order.id as string;
    const session = await call(s, `/v1/orders/${orderId}/cashier-sessions`, { body: {} });
    const first = await call(s, '/cashier/v1/pay', { token: session.json.token, body: { optionId: 'wechatpay:native' } });
    const second = await call(s, '/cashier/v1/pay', { token: session.json.token, body: { optionId: 'alipay:precreate' } });
    const keys = await s.bff.deps.db.query<{ id: string; channel: 'wechatpay' | 'alipay'; channel_order_no: string }>(
      'SELECT id, channel, channel_order_no FROM payment_attempts WHERE id = ANY($1::text[])',
      [[first.json.attemptId, second.json.attemptId]],
    );
    for (const attempt of keys) await s.sandbox.sandbox.channels[attempt.channel].pay(attempt.channel_order_no);
    await vi.waitFor(
      async () => {
        const types = await events(s, orderId);
        expect(types).toContain('payment_attempt.duplicate');
        expect(types).toContain('refund.succeeded');
      },
      { timeout: 20_000, interval: 100 },
    );
    const types = await events(s, orderId);
    expect(types.filter((t) => t === 'order.succeeded')).toHaveLength(1);
    expect(await orderStatus(s, orderId)).toBe('succeeded');
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('two BFF processes on one PostgreSQL', () => {
  it('never run the same job at once, and settle every payment', async () => {
    const schema = `conv_${randomBytes(5).toString('hex')}`;
    const running = new Map<number, number>();
    let overlaps = 0;
    let runs = 0;
    const onRun = {
      onRun: (job: { id: number }, phase: 'start' | 'end') => {
        if (phase === 'start') {
          runs += 1;
          if ((running.get(job.id) ?? 0) > 0) overlaps += 1;
          running.set(job.id, (running.get(job.id) ?? 0) + 1);
        } else {
          running.set(job.id, (running.get(job.id) ?? 1) - 1);
        }
      },
    };
    const a = await shop({ worker: true, databaseUrl: process.env.TEST_DATABASE_URL, schema, onRun });
    const b = await shop({ worker: true, databaseUrl: process.env.TEST_DATABASE_URL, schema, sandbox: a.sandbox, onRun });
    try {
      a.sandbox.sandbox.context.faults.setDefault({ drop: true });
      const orders: Awaited<ReturnType<typeof payAtSandbox>>[] = [];
      for (let i = 0; i < 8; i++) orders.push(await payAtSandbox(i % 2 ? a : b, i % 3 === 0 ? 'alipay:precreate' : 'wechatpay:native'));
      for (const order of orders) await a.sandbox.sandbox.channels[order.channel].pay(order.key);
      for (const order of orders) {
        await vi.waitFor(async () => expect(await orderStatus(a, order.orderId)).toBe('succeeded'), { timeout: 30_000, interval: 100 });
      }
      expect(runs).toBeGreaterThan(8);
      expect(overlaps).toBe(0);
    } finally {
      a.sandbox.sandbox.context.faults.setDefault(undefined);
      await b.close();
      await a.close();
    }
  }, 60_000);
});


describe('a payment that reaches us after the order closed', () => {
  let s: Shop;
  beforeAll(async () => {
    s = await shop({ worker: true });
  }, 60_000);
  afterAll(async () => s?.close());

  /** An order whose UnionPay app payment timed out at the channel, closed by the expiry job, then paid anyway. */
  async function closedThenPaid(lateSuccess: 'accept' | 'refund') {
    await s.bff.deps.db.query("UPDATE merchants SET settings = jsonb_set(settings, '{lateSuccess}', to_jsonb($1::text)) WHERE id = 'mch_conv'", [lateSuccess]);
    const order = await payAtSandbox(s, 'unionpay:app');
    // Time passes: past the order's expiry for us, past payTimeout at the channel.
    const past = new Date(Date.now() - 5 * 60_000);
    await s.bff.deps.db.query('UPDATE orders SET expires_at = $2 WHERE id = $1', [order.orderId, past]);
    await s.bff.deps.db.query('UPDATE payment_attempts SET expires_at = $2 WHERE order_id = $1', [order.orderId, past]);
    s.sandbox.sandbox.context.clock.advance(31 * 60_000);
    try {
      await s.bff.deps.db.query("INSERT INTO jobs (kind, ref, run_at) VALUES ('expire-order', $1, now()) ON CONFLICT (kind, ref) DO UPDATE SET run_at = now()", [order.orderId]);
      await vi.waitFor(async () => expect(await orderStatus(s, order.orderId)).toBe('closed'), { timeout: 20_000, interval: 100 });
      // The channel lets the customer pay anyway, and tells us.
      s.sandbox.sandbox.context.faults.set('unionpay', order.key, { successAfterExpiry: true });
      await s.sandbox.sandbox.channels.unionpay.pay(order.key);
    } finally {
      s.sandbox.sandbox.context.clock.advance(-31 * 60_000);
    }
    return order;
  }

  it('is refunded automatically by default, and the order stays closed', async () => {
    const order = await closedThenPaid('refund');
    await vi.waitFor(async () => expect(await events(s, order.orderId)).toContain('refund.succeeded'), { timeout: 20_000, interval: 100 });
    expect(await orderStatus(s, order.orderId)).toBe('closed');
    const refunds = await s.bff.deps.db.query<{ origin: string; amount: number }>('SELECT origin, amount FROM refunds WHERE order_id = $1', [order.orderId]);
    expect(refunds).toEqual([{ origin: 'late-payment', amount: 12_800 }]);
  });

  it('succeeds the order when the merchant accepts late payments', async () => {
    const order = await closedThenPaid('accept');
    await vi.waitFor(async () => expect(await orderStatus(s, order.orderId)).toBe('succeeded'), { timeout: 20_000, interval: 100 });
    const types = await events(s, order.orderId);
    expect(types.indexOf('order.closed')).toBeLessThan(types.indexOf('order.succeeded'));
    expect(types).not.toContain('refund.created');
  });
});
