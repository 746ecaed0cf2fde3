import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { HealthBoard } from '../health/index.ts';
import type { Deps } from '../deps.ts';
import { openDb, type Db } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { createMerchant } from '../store/orders.ts';

const KEY = 'sk_test_routes_1234567890';
const OTHER_KEY = 'sk_test_other_1234567890';
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.22(0x18001627) NetType/WIFI Language/zh_CN';

let db: Db;
let app: ReturnType<typeof createApp>;
let deps: Deps;
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  db = await openDb();
  await createMerchant(db, {
    id: 'mch_tea',
    name: 'Tea shop',
    apiKey: KEY,
    settings: { channels: [{ id: 'wechatpay' }, { id: 'alipay' }, { id: 'unionpay' }] },
    allowedOrigins: ['https://shop.example'],
  });
  await createMerchant(db, { id: 'mch_other', name: 'Other', apiKey: OTHER_KEY, settings: { channels: [{ id: 'alipay' }] } });
  // Channels are offered only where an adapter exists; these tests never reach a channel.
  const unused = () => Promise.reject(new Error('unused'));
  const idle = {
    pay: unused,
    query: unused,
    close: unused,
    refund: unused,
    queryRefund: unused,
    bill: unused,
    parseNotification: () => {
      throw new Error('unused');
    },
  };
  deps = {
    db,
    adapters: { wechatpay: { id: 'wechatpay', ...idle }, alipay: { id: 'alipay', ...idle }, unionpay: { id: 'unionpay', ...idle } },
    publicUrl: 'https://pay.example',
    now: () => new Date(),
    log: (line) => logged.push(line),
  };
  app = createApp(deps);
}, 30_000);
afterAll(async () => db?.close());

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': newId('k'), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const order = (overrides: Record<string, unknown> = {}) => ({ merchantOrderNo: newId('SO'), amount: 12_800, subject: 'Tea set', ...overrides });
const count = async () => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0]?.n);

async function created(overrides: Record<string, unknown> = {}) {
  const response = await post('/v1/orders', order(overrides));
  expect(response.status).toBe(201);
  return ((await response.json()) as { order: { id: string; expiresAt: string } }).order;
}

describe('merchant API: orders', () => {
  it('needs the secret key', async () => {
    const response = await app.request('/v1/orders/ord_x');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('Bearer') } });
  });

  it('needs an Idempotency-Key on every POST', async () => {
    const response = await app.request('/v1/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify(order()),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'idempotency_key_required', field: 'Idempotency-Key' } });
  });

  it('creates an order and replays the first answer for the same key and body', async () => {
    const body = order({ expiresIn: 900 });
    const first = await post('/v1/orders', body, { 'idempotency-key': 'create-1' });
    expect(first.status).toBe(201);
    const json = (await first.json()) as { order: { id: string; status: string; amount: number; version: number } };
    expect(json.order).toMatchObject({ status: 'open', amount: 12_800, currency: 'CNY', version: 1 });
    const again = await post('/v1/orders', body, { 'idempotency-key': 'create-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(json);
    const other = await post('/v1/orders', { ...body, amount: 1 }, { 'idempotency-key': 'create-1' });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
  });

  it('returns the same order for a repeated merchant order number, and refuses other details under it', async () => {
    const body = order();
    const first = (await (await post('/v1/orders', body)).json()) as { order: { id: string } };
    const repeat = await post('/v1/orders', body);
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { order: { id: string } }).order.id).toBe(first.order.id);
    const changed = await post('/v1/orders', { ...body, amount: 999 });
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ error: { code: 'order_exists', field: 'merchantOrderNo' } });
  });

  it.each([
    ['malformed JSON', '{"amount": 1', 400, 'invalid_json', undefined],
    ['a negative amount', order({ amount: -1 }), 400, 'invalid_request', 'amount'],
    ['a fractional amount', order({ amount: 12.5 }), 400, 'invalid_request', 'amount'],
    ['an amount as a string', order({ amount: '128.00' }), 400, 'invalid_request', 'amount'],
    ['an unknown channel', order({ channels: ['bitcoin'] }), 400, 'invalid_request', 'channels.0'],
    ['a channel the merchant has not enabled', order({ channels: ['paypal'] }), 422, 'channel_not_enabled', 'channels.0'],
    ['an amount past Alipay\u2019s maximum', order({ amount: 10_000_000_001, channels: ['alipay'] }), 422, 'amount_too_large', 'amount'],
    ['a currency no channel takes', order({ currency: 'USD' }), 422, 'currency_not_supported', 'currency'],
    ['a subject that breaks Alipay', order({ subject: 'Tea & cups' }), 422, 'invalid_description', 'subject'],
    ['an over-long subject', order({ subject: 'x'.repeat(129) }), 400, 'invalid_request', 'subject'],
    ['an expiry in the past', order({ expiresAt: '2020-01-01T00:00:00Z' }), 422, 'invalid_expiry', 'expiresAt'],
    ['an unexpected field', order({ amountYuan: '1.00' }), 400, 'invalid_request', 'amountYuan'],
  ])('refuses %s with a clear error, writing nothing', async (_what, body, status, code, field) => {
    const before = await count();
    const response = await post('/v1/orders', body);
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: Record<string, unknown> };
    expect(json.error.code).toBe(code);
    expect(json.error.field).toBe(field);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.ts|stack/i);
    expect(await count()).toBe(before);
  });

  it('cleans a subject per channel when asked, and says what changed', async () => {
    const response = await post('/v1/orders', order({ subject: 'Tea & cups', descriptionPolicy: 'clean' }));
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      descriptionChanges: { alipay: [{ kind: 'removed-breaking-characters', detail: '& replaced by spaces' }] },
    });
  });

  it('shows an order only to its merchant', async () => {
    const { id } = await created();
    expect((await app.request(`/v1/orders/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    const other = await app.request(`/v1/orders/${id}`, { headers: { authorization: `Bearer ${OTHER_KEY}` } });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'order_not_found' } });
  });

  it('closes an order without attempts at once, idempotently, and lists its events', async () => {
    const { id } = await created();
    const closed = await post(`/v1/orders/${id}/close`, {});
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ closed: true, order: { status: 'closed', version: 2 } });
    expect((await post(`/v1/orders/${id}/close`, {})).status).toBe(200);
    const session = await post(`/v1/orders/${id}/cashier-sessions`, {});
    expect(session.status).toBe(409);
    const events = (await (await app.request(`/v1/orders/${id}/events`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
      events: { type: string; objectVersion: number }[];
    };
    expect(events.events.map((e) => [e.type, e.objectVersion])).toEqual([
      ['order.created', 1],
      ['order.closed', 2],
    ]);
  });

  it('publishes an OpenAPI document built from the schemas', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(Object.keys(doc.paths)).toContain('/v1/orders');
    expect(doc.components.schemas.CreateOrder?.properties).toHaveProperty('merchantOrderNo');
  });
});

describe('cashier API', () => {
  async function session(overrides: Record<string, unknown> = {}) {
    const { id } = await created(overrides);
    const response = await post(`/v1/orders/${id}/cashier-sessions`, {});
    expect(response.status).toBe(201);
    return { orderId: id, ...((await response.json()) as { token: string; expiresAt: string }) };
  }

  it('shows the order and the options for the caller\u2019s terminal', async () => {
    const { token, orderId } = await session();
    const response = await app.request('/cashier/v1/session', { headers: { authorization: `Bearer ${token}`, 'user-agent': WECHAT_UA } });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { order: { id: string; merchantName: string }; terminal: { kind: string }; options: { id: string }[]; serverTime: string };
    expect(json.order).toMatchObject({ id: orderId, merchantName: 'Tea shop', amount: 12_800 });
    expect(json.terminal.kind).toBe('wechat');
    expect(json.options.map((o) => o.id)).toEqual(['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff']);
    expect(Math.abs(Date.parse(json.serverTime) - Date.now())).toBeLessThan(5000);
  });

  it('takes the page\u2019s evidence from the query (a mini-program web-view)', async () => {
    const { token } = await session();
    const response = await app.request('/cashier/v1/session?wxjs=miniprogram&touch=5', {
      headers: { authorization: `Bearer ${token}`, 'user-agent': WECHAT_UA },
    });
    const json = (await response.json()) as { terminal: { kind: string }; options: { id: string }[] };
    expect(json.terminal.kind).toBe('miniprogram');
    expect(json.options.map((o) => o.id)).toEqual(['wechatpay:miniprogram']);
    const bad = await app.request('/cashier/v1/session?bridges=evil', { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
  });

  it('refuses unknown tokens, and origins the order does not allow, in answers the page can read', async () => {
    const expired = await app.request('/cashier/v1/status', { headers: { authorization: 'Bearer cs_nope_nope_nope', origin: 'https://shop.example' } });
    expect(expired.status).toBe(401);
    // Readable by the widget ("this link has expired"), and never cached.
    expect(expired.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(await expired.json()).toMatchObject({ error: { code: 'invalid_session' } });
    const { token } = await session();
    const evil = await app.request('/cashier/v1/status', { headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    // The refusal, and nothing of the order.
    expect(await evil.json()).toEqual({ error: { code: 'origin_not_allowed', message: expect.any(String) } });
    const shop = await app.request('/cashier/v1/status', { headers: { authorization: `Bearer ${token}`, origin: 'https://shop.example' } });
    expect(shop.status).toBe(200);
    expect(shop.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(shop.headers.get('cache-control')).toBe('no-store');
    expect(await shop.json()).toMatchObject({ status: 'open', version: 1 });
    // The BFF's own hand-off page (/checkout) may use any order's cashier.
    const own = await app.request('/cashier/v1/status', { headers: { authorization: `Bearer ${token}`, origin: 'https://pay.example' } });
    expect(own.status).toBe(200);
  });

  it('opens one order only: a token cannot be used with the merchant API', async () => {
    const { token, orderId } = await session();
    expect((await app.request(`/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('gives a hand-off a fresh session for the same order', async () => {
    const { token, orderId } = await session();
    const response = await app.request('/cashier/v1/pay', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'user-agent': WECHAT_UA, 'content-type': 'application/json' },
      body: JSON.stringify({ optionId: 'alipay:handoff' }),
    });
    expect(response.status).toBe(201);
    const { action } = (await response.json()) as { action: { kind: string; url: string } };
    expect(action.kind).toBe('handoff');
    const handed = new URL(action.url).searchParams.get('session') ?? '';
    expect(handed).not.toBe(token);
    const status = await app.request('/cashier/v1/status', { headers: { authorization: `Bearer ${handed}` } });
    expect(status.status).toBe(200);
    const handedSession = await app.request('/cashier/v1/session', { headers: { authorization: `Bearer ${handed}` } });
    expect(await handedSession.json()).toMatchObject({ order: { id: orderId } });
  });

  it('refuses an option this terminal is not offered', async () => {
    const { token } = await session();
    const response = await app.request('/cashier/v1/pay', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'user-agent': WECHAT_UA, 'content-type': 'application/json' },
      body: JSON.stringify({ optionId: 'alipay:page' }),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { code: 'option_not_available', field: 'optionId' } });
  });
});

describe('channel health', () => {
  it('hides a channel whose circuit is open, with the reason, and still offers the others', async () => {
    const health = new HealthBoard();
    for (let i = 0; i < 5; i++) health.record('wechatpay', 'timeout');
    const unhealthy = createApp({ ...deps, health });
    const { id } = await created();
    const session = (await (await post(`/v1/orders/${id}/cashier-sessions`, {})).json()) as { token: string };
    const response = await unhealthy.request('/cashier/v1/session', { headers: { authorization: `Bearer ${session.token}`, 'user-agent': WECHAT_UA } });
    const json = (await response.json()) as { options: { id: string }[]; unavailable: { channel: string; reason: string }[] };
    expect(json.options.map((o) => o.id)).toEqual(['alipay:handoff', 'unionpay:handoff']);
    expect(json.unavailable).toContainEqual(expect.objectContaining({ channel: 'wechatpay', reason: 'health' }));
  });
});

describe('internal errors', () => {
  it('answer with an id and no internals, and are logged', async () => {
    const broken = createApp({
      db: { ...db, query: () => Promise.reject(new Error('connection refused to 10.0.0.5')) } as Db,
      adapters: {},
      publicUrl: 'https://pay.example',
      now: () => new Date(),
      log: (line) => logged.push(line),
    });
    const response = await broken.request('/v1/orders/ord_x', { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(500);
    const json = (await response.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('internal_error');
    expect(json.error.message).not.toContain('10.0.0.5');
    expect(logged.at(-1)).toMatchObject({ level: 'error', message: 'connection refused to 10.0.0.5' });
  });
});
