import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../shared/webhooks/index.ts';
import { shopApp } from './index.ts';
import { ShopStore } from './store.ts';

// The shop's server through app.request(): the cart, its pages' CSP, and the webhook receiver. The BFF is
// unreachable here (port 9 on loopback refuses), which is also how the shop must behave when the cashier is away.

const SECRET = 'whsec_test_secret_0123456789';

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'shop-app-'));
  const merchantsFile = join(dir, 'merchants.json');
  writeFileSync(merchantsFile, JSON.stringify([{ id: 'mch_demo', apiKey: 'sk_test_0123456789abcdef', webhookSecrets: [SECRET] }]));
  return { dir, merchantsFile };
}

function app(dir: string, merchantsFile: string) {
  return shopApp({ bffUrl: 'http://127.0.0.1:9', sandboxUrl: 'http://127.0.0.1:8788', merchantsFile, dataDir: join(dir, 'shop') });
}

const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

describe('the shop’s pages', () => {
  it('keep a cart in a cookie and total it in fen, formatted per language', async () => {
    const { dir, merchantsFile } = setUp();
    const shop = app(dir, merchantsFile);
    const form = (tea: string) => ({ method: 'POST', body: new URLSearchParams({ tea }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const first = await shop.request('/cart/add', form('tieguanyin'));
    expect(first.status).toBe(303);
    const second = await shop.request('/cart/add', { ...form('tieguanyin'), headers: { ...form('x').headers, cookie: cookieOf(first) } });
    const cart = await shop.request('/cart', { headers: { cookie: cookieOf(second) } });
    const page = await cart.text();
    expect(page).toContain('data-testid="cart-total">CN¥137.00<');
    const zh = await shop.request('/cart', { headers: { cookie: `${cookieOf(second)}; lang=zh-CN` } });
    expect(await zh.text()).toContain('data-testid="cart-total">¥137.00<');
  });

  it('answer under a strict CSP whose nonce is the one on their scripts', async () => {
    const { dir, merchantsFile } = setUp();
    const store = new ShopStore(join(dir, 'shop', 'orders.json'));
    await store.add({ no: 'CT20261127ABCDEF', lines: [], total: 100, currency: 'CNY', createdAt: '2026-11-27T00:00:00Z', cashierOrderId: 'ord_1', status: 'succeeded', version: 3, webhooks: [], refunds: [], revision: 1 });
    const response = await app(dir, merchantsFile).request('/orders/CT20261127ABCDEF');
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect(await response.text()).toContain(`<script src="/shop/order.js" defer nonce="${nonce}">`);
  });

  it('keep the order and offer a retry when the cashier does not answer at checkout', async () => {
    const { dir, merchantsFile } = setUp();
    const shop = app(dir, merchantsFile);
    const added = await shop.request('/cart/add', { method: 'POST', body: new URLSearchParams({ tea: 'puer' }) });
    const checkout = await shop.request('/checkout', { method: 'POST', headers: { cookie: cookieOf(added) } });
    const location = checkout.headers.get('location') ?? '';
    expect(location).toMatch(/^\/checkout\/CT\d{8}[0-9A-Z]{6}$/);
    const page = await shop.request(location);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain(`href="${location}"`);
  });
});

describe('POST /webhooks/cashier', () => {
  async function withOrder() {
    const { dir, merchantsFile } = setUp();
    const store = new ShopStore(join(dir, 'shop', 'orders.json'));
    await store.add({ no: 'CT20261127ABCDEF', lines: [], total: 25_600, currency: 'CNY', createdAt: '2026-11-27T00:00:00Z', cashierOrderId: 'ord_1', status: 'paying', version: 2, webhooks: [], refunds: [], revision: 1 });
    return { dir, shop: app(dir, merchantsFile) };
  }
  const body = JSON.stringify({
    id: 'evt_1',
    type: 'order.succeeded',
    createdAt: new Date().toISOString(),
    object: { type: 'order', id: 'ord_1', version: 3 },
    orderId: 'ord_1',
    data: { order: { id: 'ord_1', status: 'succeeded' }, channel: 'wechatpay' },
  });
  const post = async (shop: ReturnType<typeof app>, raw: string, signature: string) =>
    shop.request('/webhooks/cashier', { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'Cashier-Signature': signature } });

  it('verifies the signature on the raw body, applies the event once, and records it', async () => {
    const { dir, shop } = await withOrder();
    const signature = await signWebhook(body, [SECRET], Math.floor(Date.now() / 1000));
    const first = await post(shop, body, signature);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, outcome: 'applied' });
    expect(await (await post(shop, body, signature)).json()).toEqual({ received: true, outcome: 'duplicate' });
    const records = new ShopStore(join(dir, 'shop', 'orders.json')).get('CT20261127ABCDEF');
    expect(records).toMatchObject({ status: 'succeeded', channel: 'wechatpay', webhooks: [{ eventId: 'evt_1', type: 'order.succeeded', objectVersion: 3 }] });
  });

  it('refuses a forged, altered or stale one, and changes nothing', async () => {
    const { dir, shop } = await withOrder();
    const t = Math.floor(Date.now() / 1000);
    expect((await post(shop, body, await signWebhook(body, ['whsec_someone_else_123'], t))).status).toBe(400);
    expect((await post(shop, body.replace('succeeded', 'failed'), await signWebhook(body, [SECRET], t))).status).toBe(400);
    expect(await (await post(shop, body, await signWebhook(body, [SECRET], t - 600))).text()).toBe('stale');
    expect((await post(shop, body, '')).status).toBe(400);
    expect(new ShopStore(join(dir, 'shop', 'orders.json')).get('CT20261127ABCDEF')).toMatchObject({ status: 'paying', webhooks: [] });
  });
});
