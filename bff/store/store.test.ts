import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../errors.ts';
import { migrate, type Db } from './db.ts';
import { listOrderEvents } from './events.ts';
import { withIdempotency } from './idempotency.ts';
import { newId } from './ids.ts';
import { createMerchant, getOrder, insertOrder, merchantByApiKey, transitionOrder, type NewOrder } from './orders.ts';
import { createSession, sessionOrderId } from './sessions.ts';
import { testEngines } from './testing.ts';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isApiError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe.each(testEngines())('store on $name', (engine) => {
  let db: Db;
  let merchantId: string;
  const newOrder = (overrides: Partial<NewOrder> = {}): NewOrder => ({
    merchantId,
    merchantOrderNo: newId('SO'),
    amount: 12_800,
    currency: 'CNY',
    subject: 'Tea set',
    expiresAt: new Date(Date.now() + 900_000),
    requestHash: 'h1',
    ...overrides,
  });

  beforeAll(async () => {
    db = await engine.open();
    const merchant = await createMerchant(db, { name: 'Tea shop', apiKey: 'sk_test_one', settings: { channels: [{ id: 'alipay' }] } });
    merchantId = merchant.id;
  }, 30_000);
  afterAll(async () => db?.close());

  it('migrates once: a second run applies nothing', async () => {
    expect(await migrate(db)).toEqual([]);
  });

  it('finds a merchant by its API key, and stores only the key\u2019s hash', async () => {
    expect((await merchantByApiKey(db, 'sk_test_one'))?.id).toBe(merchantId);
    expect(await merchantByApiKey(db, 'sk_test_two')).toBeUndefined();
    const rows = await db.query<{ api_key_hash: string }>('SELECT api_key_hash FROM merchants');
    expect(rows.map((r) => r.api_key_hash)).not.toContain('sk_test_one');
  });

  it('creates an order with its event, returns it again for the same request, refuses other details', async () => {
    const order = newOrder();
    const first = await db.transaction((tx) => insertOrder(tx, order));
    expect(first.created).toBe(true);
    expect(first.order).toMatchObject({ status: 'open', amount: 12_800, version: 1 });
    expect(typeof first.order.amount).toBe('number');
    const again = await db.transaction((tx) => insertOrder(tx, order));
    expect(again).toEqual({ order: first.order, created: false });
    expect(await codeOf(db.transaction((tx) => insertOrder(tx, { ...order, requestHash: 'h2' })))).toBe('order_exists');
    const events = await listOrderEvents(db, first.order.id);
    expect(events.map((e) => [e.type, e.object_version])).toEqual([['order.created', 1]]);
  });

  it('moves orders by compare-and-set, never out of a terminal state', async () => {
    const { order } = await db.transaction((tx) => insertOrder(tx, newOrder()));
    const stale = await db.transaction((tx) => transitionOrder(tx, order.id, 'paying', { version: 7, event: 'order.paying' }));
    expect(stale).toBeUndefined();
    const paying = await db.transaction((tx) => transitionOrder(tx, order.id, 'paying', { version: 1, event: 'order.paying' }));
    expect(paying).toMatchObject({ status: 'paying', version: 2 });
    const done = await db.transaction((tx) => transitionOrder(tx, order.id, 'succeeded', { event: 'order.succeeded' }));
    expect(done?.status).toBe('succeeded');
    for (const to of ['open', 'paying', 'closed', 'failed'] as const) {
      expect(await db.transaction((tx) => transitionOrder(tx, order.id, to, { event: `order.${to}` }))).toBeUndefined();
    }
    expect((await getOrder(db, merchantId, order.id))?.status).toBe('succeeded');
    const events = await listOrderEvents(db, order.id);
    expect(events.map((e) => [e.type, e.object_version])).toEqual([
      ['order.created', 1],
      ['order.paying', 2],
      ['order.succeeded', 3],
    ]);
  });

  it('lets exactly one of many concurrent transitions win', async () => {
    const { order } = await db.transaction((tx) => insertOrder(tx, newOrder()));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => db.transaction((tx) => transitionOrder(tx, order.id, 'closed', { version: 1, event: 'order.closed' }))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await listOrderEvents(db, order.id)).toHaveLength(2);
  });

  it('refuses a second successful attempt on one order', async () => {
    const { order } = await db.transaction((tx) => insertOrder(tx, newOrder()));
    const attempt = (status: string) =>
      db.query(
        `INSERT INTO payment_attempts (id, order_id, channel, product, option_id, channel_order_no, amount, status, expires_at)
         VALUES ($1, $2, 'alipay', 'page', 'alipay:page', $3, 12800, $4, now() + interval '15 minutes')`,
        [newId('att'), order.id, newId('N').slice(2, 22), status],
      );
    await attempt('succeeded');
    await attempt('pending');
    await expect(attempt('succeeded')).rejects.toThrow(/payment_attempts_one_success|duplicate key/);
  });

  it('keeps money in range: refunds never exceed the amount', async () => {
    const { order } = await db.transaction((tx) => insertOrder(tx, newOrder()));
    await expect(db.query('UPDATE orders SET amount_refunded = amount + 1 WHERE id = $1', [order.id])).rejects.toThrow();
  });

  describe('idempotency keys', () => {
    const ok = (body: unknown) => async () => ({ status: 201, body });

    it('replays the first response for the same key and request', async () => {
      const key = newId('idem');
      const first = await withIdempotency(db, merchantId, key, 'req-a', ok({ n: 1 }));
      const second = await withIdempotency(db, merchantId, key, 'req-a', ok({ n: 2 }));
      expect(first).toEqual({ status: 201, body: { n: 1 }, replayed: false });
      expect(second).toEqual({ status: 201, body: { n: 1 }, replayed: true });
    });

    it('refuses the same key with another request', async () => {
      const key = newId('idem');
      await withIdempotency(db, merchantId, key, 'req-a', ok({}));
      expect(await codeOf(withIdempotency(db, merchantId, key, 'req-b', ok({})))).toBe('idempotency_key_reused');
    });

    it('answers 409 while the first request is still running, and runs the work once', async () => {
      const key = newId('idem');
      let release: () => void = () => undefined;
      let runs = 0;
      const slow = withIdempotency(db, merchantId, key, 'req-a', async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        return { status: 201, body: { slow: true } };
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await codeOf(withIdempotency(db, merchantId, key, 'req-a', ok({})))).toBe('idempotency_key_in_flight');
      release();
      expect((await slow).body).toEqual({ slow: true });
      expect(runs).toBe(1);
    });

    it('keeps neither validation failures nor crashes, so a retry runs', async () => {
      const key = newId('idem');
      await withIdempotency(db, merchantId, key, 'req-a', async () => ({ status: 400, body: { error: {} } }));
      expect((await withIdempotency(db, merchantId, key, 'req-b', ok({ fixed: true }))).replayed).toBe(false);
      const other = newId('idem');
      await expect(withIdempotency(db, merchantId, other, 'req-a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect((await withIdempotency(db, merchantId, other, 'req-a', ok({ second: true }))).body).toEqual({ second: true });
    });

    it('takes over a key whose holder died, once its lock ran out', async () => {
      const key = newId('idem');
      await db.query(
        `INSERT INTO idempotency_keys (merchant_id, key, request_hash, state, locked_until, expires_at)
         VALUES ($1, $2, 'req-a', 'in-flight', now() - interval '1 second', now() + interval '1 day')`,
        [merchantId, key],
      );
      expect((await withIdempotency(db, merchantId, key, 'req-a', ok({ took: true }))).body).toEqual({ took: true });
    });
  });

  it('opens an order with a live cashier token, stored only as a hash', async () => {
    const { order } = await db.transaction((tx) => insertOrder(tx, newOrder()));
    const session = await createSession(db, order.id, new Date(Date.now() + 60_000));
    expect(session.token).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
    expect(await sessionOrderId(db, session.token)).toBe(order.id);
    expect(await sessionOrderId(db, `${session.token}x`)).toBeUndefined();
    const expired = await createSession(db, order.id, new Date(Date.now() - 1000));
    expect(await sessionOrderId(db, expired.token)).toBeUndefined();
    const stored = await db.query<{ token_hash: string }>('SELECT token_hash FROM cashier_sessions');
    expect(stored.map((r) => r.token_hash)).not.toContain(session.token);
  });
});
