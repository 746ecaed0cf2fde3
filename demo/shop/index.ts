// The demo shop, Celadon Tea House, built the way a merchant would build one on the cashier: a product page and a
// cookie cart on its own origin; a merchant server that holds the secret key, creates orders and cashier sessions
// through the merchant API and embeds the widget by script tag under a strict CSP; a webhook receiver that verifies
// Cashier-Signature on the raw body and keeps its own records; order pages with refunds and fees; reconciliation.

import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import * as v from 'valibot';
import { formatBeijingTime } from '../../shared/channels/beijing-time.ts';
import { parseYuan } from '../../shared/money/index.ts';
import { SIGNATURE_HEADER, verifyWebhook } from '../../shared/webhooks/index.ts';
import { reconciliationApp } from '../reconciliation/index.ts';
import { CHECKOUT_JS, ICON_SVG, ORDER_JS, SHOP_CSS } from './assets.ts';
import { parseCart, priceCart, serializeCart, withQuantity, type CartContents } from './catalog.ts';
import { isLocale, money, pickLocale, translator, type Locale } from './i18n.ts';
import { isMerchantApiError, merchantApi, readMerchantSecrets, type MerchantApi } from './merchant-api.ts';
import { cartPage, checkoutPage, layout, messagePage, orderLive, orderPage, ordersPage, productsPage, type PageContext } from './pages.ts';
import { applyFees, applyOrder, applyRefund, refundableAmount, ShopStore, type CashierEvent, type ShopOrder } from './store.ts';

export interface ShopOptions {
  /** The cashier's merchant API, called server to server. */
  readonly bffUrl: string;
  /** Where the pages load the widget from (`{widgetUrl}/cashier.js`); the BFF by default. */
  readonly widgetUrl?: string | undefined;
  /** The channel sandbox: UnionPay's form post goes there (CSP form-action), and the pages link its control page. */
  readonly sandboxUrl: string;
  /** merchants.json: the demo merchant's secret key and webhook secrets, read per use. */
  readonly merchantsFile: string;
  /** The shop's own records (orders.json). */
  readonly dataDir: string;
  /** The BFF's operator token, for "reconcile now" on the reconciliation page (demo only). */
  readonly operatorToken?: () => string | undefined;
  readonly now?: () => Date;
}

const CART_COOKIE = 'cart';
const LANG_COOKIE = 'lang';
const ORDER_NO = /^CT\d{8}[0-9A-Z]{6}$/;
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** What a verified webhook must look like before the shop acts on it (README: Merchant webhooks). */
const CashierEventSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  type: v.pipe(v.string(), v.maxLength(64)),
  createdAt: v.string(),
  object: v.object({ type: v.string(), id: v.string(), version: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  orderId: v.nullable(v.string()),
  data: v.record(v.string(), v.unknown()),
});

export function shopApp(options: ShopOptions) {
  const now = options.now ?? (() => new Date());
  const widgetUrl = options.widgetUrl ?? options.bffUrl;
  const store = new ShopStore(join(options.dataDir, 'orders.json'));
  const api: MerchantApi = merchantApi({ bffUrl: options.bffUrl, merchantsFile: options.merchantsFile });
  const syncing = new Map<string, Promise<void>>();
  const again = new Set<string>();
  // The cashier session each order's checkout page last opened, reused while it lasts: WeChat's sign-in puts the
  // payer's openid on the session, and the widget, back on this page from the sign-in, must find it on the session
  // it gets (a new one per visit would not have it, and JSAPI could never be paid). Kept in memory: after a restart
  // the page opens a new one, which costs at most a second sign-in.
  const sessions = new Map<string, { readonly token: string; readonly expiresAt: number }>();

  // The pages' policy: scripts only by nonce or from the cashier's origin, connections to the shop and the cashier,
  // forms to the shop and to the channel's gateway (UnionPay's pay page is a form post).
  const csp = (nonce: string) =>
    [
      "default-src 'none'",
      `script-src 'nonce-${nonce}' ${widgetUrl}`,
      `style-src 'self' 'nonce-${nonce}'`,
      `connect-src 'self' ${widgetUrl}`,
      "img-src 'self' data:",
      `form-action 'self' ${options.sandboxUrl}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; ');

  function context(c: Context): PageContext {
    const locale = pickLocale(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
    const url = new URL(c.req.url);
    const nonce = randomBytes(16).toString('base64');
    c.header('Content-Security-Policy', csp(nonce));
    c.header('Cache-Control', 'no-store');
    return {
      locale,
      t: translator(locale),
      nonce,
      cartCount: priceCart(cart(c)).count,
      path: `${url.pathname}${url.search}`,
      sandboxUrl: options.sandboxUrl,
    };
  }

  const cart = (c: Context): CartContents => parseCart(getCookie(c, CART_COOKIE));
  const saveCart = (c: Context, contents: CartContents) =>
    setCookie(c, CART_COOKIE, serializeCart(contents), { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 30 * 86_400 });

  /**
   * Brings the shop's record up to date from the merchant API: the order's status and fees, its refunds, and the
   * channel order number of the payment (what the channel's bill lists). Best effort, one at a time per order; asked
   * again while one runs (a second webhook), it runs once more afterwards, since the first may have read too early.
   */
  function sync(order: ShopOrder): Promise<void> {
    const running = syncing.get(order.no);
    if (running) {
      again.add(order.no);
      return running;
    }
    const job = syncOnce(order)
      .catch(() => undefined)
      .finally(() => {
        syncing.delete(order.no);
        if (again.delete(order.no)) void sync(order);
      });
    syncing.set(order.no, job);
    return job;
  }

  async function syncOnce(order: ShopOrder): Promise<void> {
    const id = order.cashierOrderId;
    if (!id) return;
    const [{ order: remote }, { refunds }] = await Promise.all([api.getOrder(id), api.refunds(id)]);
    const paid = remote.status === 'succeeded' && !order.channelOrderNo ? await paymentOf(id) : undefined;
    await store.update(order.no, (target) => {
      let changed = applyOrder(target, remote, remote.version);
      changed = applyFees(target, remote.fees) || changed;
      for (const refund of refunds) changed = applyRefund(target, refund, undefined) || changed;
      if (paid) {
        target.channelOrderNo = paid.channelOrderNo;
        target.channel ??= paid.channel;
        if (paid.paidAt) target.paidAt ??= paid.paidAt;
        changed = true;
      }
      return changed;
    });
  }

  /** The successful attempt from the order's events: its channel, channel order number and time. */
  async function paymentOf(id: string): Promise<{ channelOrderNo: string; channel: string; paidAt: string | undefined } | undefined> {
    const { events } = await api.events(id);
    for (const event of [...events].reverse()) {
      const attempt = event.data.attempt as { status?: unknown; channelOrderNo?: unknown; channel?: unknown; paidAt?: unknown } | undefined;
      if (event.objectType === 'payment_attempt' && attempt?.status === 'succeeded' && typeof attempt.channelOrderNo === 'string') {
        return { channelOrderNo: attempt.channelOrderNo, channel: String(attempt.channel ?? ''), paidAt: typeof attempt.paidAt === 'string' ? attempt.paidAt : undefined };
      }
    }
    return undefined;
  }

  const settled = (order: ShopOrder) =>
    order.status !== 'open' &&
    order.status !== 'paying' &&
    (order.status !== 'succeeded' || (order.fees !== undefined && order.channelOrderNo !== undefined)) &&
    order.refunds.every((refund) => refund.status === 'succeeded' || refund.status === 'failed');

  /** Makes the cashier's order for a shop order that has none yet (a retry sends the same merchantOrderNo). */
  async function ensureCashierOrder(order: ShopOrder, locale: Locale): Promise<void> {
    if (order.cashierOrderId) return;
    const t = translator(locale);
    const count = order.lines.reduce((total, line) => total + line.quantity, 0);
    const { order: created } = await api.createOrder({
      merchantOrderNo: order.no,
      amount: order.total,
      subject: `${t('shopName')} ${order.no}`,
      description: order.lines.map((line) => `${line.name} x${line.quantity}`).join(', ').slice(0, 512),
      metadata: { shopOrder: order.no, items: String(count) },
    });
    await store.update(order.no, (target) => {
      target.cashierOrderId = created.id;
      applyOrder(target, created, created.version);
    });
  }

  async function checkout(c: Context) {
    const ctx = context(c);
    const { t } = ctx;
    const order = store.get(c.req.param('no') ?? '');
    if (!order) return c.html(messagePage(ctx, t('notFound'), t('notFound'), { href: '/', label: t('backToShop') }), 404);
    const retry = { href: `/checkout/${order.no}`, label: t('tryAgain') };
    try {
      await ensureCashierOrder(order, ctx.locale);
    } catch {
      return c.html(messagePage(ctx, t('checkoutTitle', { no: order.no }), t('cashierUnavailable'), retry), 503);
    }
    if (order.status === 'succeeded') return c.redirect(`/orders/${order.no}`, 303);
    if (order.status === 'closed' || order.status === 'failed') {
      return c.html(messagePage(ctx, t('checkoutTitle', { no: order.no }), t('notPayable', { status: t(`status_${order.status}` as const) }), { href: '/', label: t('backToShop') }));
    }
    let session = sessions.get(order.no);
    try {
      // A minute's margin, so the widget does not start on a session about to run out.
      if (!session || session.expiresAt - now().getTime() < 60_000) {
        const opened = await api.openSession(order.cashierOrderId ?? '');
        session = { token: opened.token, expiresAt: Date.parse(opened.expiresAt) };
        sessions.set(order.no, session);
      }
    } catch (error) {
      if (isMerchantApiError(error) && error.code === 'order_expired') {
        void sync(order);
        return c.html(messagePage(ctx, t('checkoutTitle', { no: order.no }), t('notPayable', { status: t('status_closed') }), { href: '/', label: t('backToShop') }));
      }
      if (isMerchantApiError(error) && error.status === 409) {
        // Paid meanwhile (the customer is back from the channel's page, and the notification came first).
        await sync(order);
        return c.redirect(`/orders/${order.no}`, 303);
      }
      return c.html(messagePage(ctx, t('checkoutTitle', { no: order.no }), t('cashierUnavailable'), retry), 503);
    }
    return c.html(checkoutPage(ctx, { order, session: session.token, widgetUrl }));
  }

  const refundNo = (order: ShopOrder) => {
    let n = order.refunds.length + 1;
    while (order.refunds.some((refund) => refund.merchantRefundNo === `${order.no}-R${n}`)) n += 1;
    return `${order.no}-R${n}`;
  };

  const live = (ctx: PageContext, order: ShopOrder) => {
    const refundable = refundableAmount(order);
    return {
      revision: order.revision,
      status: order.status,
      html: orderLive(ctx, order).html,
      refundable: refundable > 0 ? ctx.t('refundable', { amount: money(refundable, ctx.locale) }) : null,
    };
  };

  const pageHeaders = (body: string) => ({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) });

  const app = new Hono()
    .get('/shop/shop.css', (c) => c.body(SHOP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }))
    .get('/shop/icon.svg', (c) => c.body(ICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' }))
    .get('/shop/checkout.js', (c) => c.body(CHECKOUT_JS, 200, pageHeaders(CHECKOUT_JS)))
    .get('/shop/order.js', (c) => c.body(ORDER_JS, 200, pageHeaders(ORDER_JS)))
    .get('/', (c) => {
      const ctx = context(c);
      return c.html(productsPage(ctx, c.req.query('added')));
    })
    .get('/lang/:locale', (c) => {
      const locale = c.req.param('locale');
      if (isLocale(locale)) setCookie(c, LANG_COOKIE, locale, { path: '/', sameSite: 'Lax', maxAge: 365 * 86_400 });
      const back = c.req.query('back') ?? '/';
      // Only a path on this origin: never an open redirect.
      return c.redirect(/^\/(?![/\\])/.test(back) ? back : '/', 303);
    })
    .post('/cart/add', async (c) => {
      const form = await c.req.parseBody();
      const id = String(form.tea ?? '');
      const contents = cart(c);
      saveCart(c, withQuantity(contents, id, (contents.get(id) ?? 0) + 1));
      return c.redirect(`/?added=${encodeURIComponent(id)}`, 303);
    })
    .get('/cart', (c) => {
      const ctx = context(c);
      return c.html(cartPage(ctx, priceCart(cart(c))));
    })
    .post('/cart/update', async (c) => {
      const form = await c.req.parseBody();
      let contents: CartContents = cart(c);
      for (const [name, value] of Object.entries(form)) {
        const id = /^quantity\.([a-z-]+)$/.exec(name)?.[1];
        const quantity = typeof value === 'string' && /^\d{1,3}$/.test(value.trim()) ? Number(value.trim()) : undefined;
        if (id && quantity !== undefined && contents.has(id)) contents = withQuantity(contents, id, quantity);
      }
      if (typeof form.remove === 'string') contents = withQuantity(contents, form.remove, 0);
      saveCart(c, contents);
      return c.redirect('/cart', 303);
    })
    .post('/checkout', async (c) => {
      const priced = priceCart(cart(c));
      if (priced.lines.length === 0) return c.redirect('/cart', 303);
      const locale = pickLocale(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
      const at = now();
      const no = `CT${formatBeijingTime(at).slice(0, 10).replaceAll('-', '')}${Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
      await store.add({
        no,
        lines: priced.lines.map((line) => ({ teaId: line.tea.id, name: line.tea.name[locale], unitPrice: line.tea.price, quantity: line.quantity, amount: line.amount })),
        total: priced.total,
        currency: 'CNY',
        createdAt: at.toISOString(),
        status: 'open',
        version: 0,
        webhooks: [],
        refunds: [],
        revision: 1,
      });
      saveCart(c, new Map());
      // The cashier's order is made on the checkout page (and made again there, idempotently, if the cashier was away).
      return c.redirect(`/checkout/${no}`, 303);
    })
    // GET, and POST for UnionPay's return (a form post to the page the customer left).
    .on(['GET', 'POST'], '/checkout/:no', checkout)
    .get('/orders', (c) => c.html(ordersPage(context(c), store.list())))
    .get('/orders/:no', async (c) => {
      const ctx = context(c);
      const { t } = ctx;
      const no = c.req.param('no');
      let order = ORDER_NO.test(no) ? store.get(no) : undefined;
      if (!order) return c.html(messagePage(ctx, t('notFound'), t('notFound'), { href: '/orders', label: t('navOrders') }), 404);
      // A merchant does not wait for the webhook alone: while something is in flight, ask the cashier too.
      if (!settled(order)) await Promise.race([sync(order), new Promise((done) => setTimeout(done, 3000))]);
      order = store.get(no) ?? order;
      const refund = c.req.query('refund') ?? '';
      const notice =
        c.req.query('notice') === 'refund-requested'
          ? { text: t('refundRequested', { no: refund }), kind: 'status' as const }
          : c.req.query('error') === 'amount'
            ? { text: t('refundAmountInvalid'), kind: 'alert' as const }
            : c.req.query('error') === 'refused'
              ? { text: t('refundRefused', { message: c.req.query('message') ?? '' }), kind: 'alert' as const }
              : c.req.query('error') === 'unreachable'
                ? { text: t('refundUnreachable'), kind: 'alert' as const }
                : undefined;
      return c.html(orderPage(ctx, { order, notice, nextRefundNo: refundNo(order) }));
    })
    // The live view's news: 204 while the revision it has is current.
    .get('/orders/:no/live', (c) => {
      const order = store.get(c.req.param('no'));
      if (!order) return c.json({ error: 'no such order' }, 404);
      c.header('Cache-Control', 'no-store');
      if (c.req.query('revision') === String(order.revision)) return c.body(null, 204);
      const locale = pickLocale(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
      return c.json(live({ locale, t: translator(locale), nonce: '', cartCount: 0, path: '', sandboxUrl: options.sandboxUrl }, order));
    })
    .post('/orders/:no/refunds', async (c) => {
      const no = c.req.param('no');
      const order = store.get(no);
      if (!order?.cashierOrderId) return c.text('no such order', 404);
      const form = await c.req.parseBody();
      const merchantRefundNo = String(form.merchantRefundNo ?? '');
      const reason = String(form.reason ?? '').trim().slice(0, 80);
      const existing = order.refunds.find((refund) => refund.merchantRefundNo === merchantRefundNo);
      let amount: number;
      try {
        amount = parseYuan(String(form.amount ?? '').trim());
      } catch {
        return c.redirect(`/orders/${no}?error=amount`, 303);
      }
      if (!new RegExp(`^${no}-R\\d{1,3}$`).test(merchantRefundNo)) return c.text('bad refund number', 400);
      // The same form sent again: the refund it made stands (the cashier would say the same).
      if (existing && existing.status !== 'requested') return c.redirect(`/orders/${no}?notice=refund-requested&refund=${merchantRefundNo}`, 303);
      if (!existing && (amount <= 0 || amount > refundableAmount(order))) return c.redirect(`/orders/${no}?error=amount`, 303);
      if (!existing) {
        // Written down before the cashier is asked: if the answer is lost, the shop knows a refund may be under way.
        await store.update(no, (target) => {
          target.refunds.push({ merchantRefundNo, amount, ...(reason ? { reason } : {}), status: 'requested', origin: 'merchant', version: 0, createdAt: now().toISOString() });
        });
      }
      const sent = existing ?? { amount, reason };
      try {
        const { refund } = await api.createRefund(order.cashierOrderId, { merchantRefundNo, amount: sent.amount, ...(sent.reason ? { reason: sent.reason } : {}) });
        await store.update(no, (target) => applyRefund(target, refund, undefined));
      } catch (error) {
        if (isMerchantApiError(error) && error.status >= 400 && error.status < 500 && error.status !== 409) {
          // Refused by the rules (over the amount paid, too soon after the last one, past the window): no refund.
          await store.update(no, (target) => {
            target.refunds = target.refunds.filter((refund) => !(refund.merchantRefundNo === merchantRefundNo && refund.status === 'requested'));
          });
          return c.redirect(`/orders/${no}?${new URLSearchParams({ error: 'refused', message: error.message })}`, 303);
        }
        return c.redirect(`/orders/${no}?error=unreachable`, 303);
      }
      return c.redirect(`/orders/${no}?notice=refund-requested&refund=${merchantRefundNo}`, 303);
    })
    // The webhook receiver: the signature is checked on the raw body before anything is parsed; each event is kept
    // once (by its id) and applied by its object's version; then the shop reads the fees and refunds afresh.
    .post('/webhooks/cashier', async (c) => {
      const raw = await c.req.text();
      const { webhookSecrets } = readMerchantSecrets(options.merchantsFile);
      const verified = await verifyWebhook(raw, c.req.header(SIGNATURE_HEADER), webhookSecrets, now());
      if (!verified.ok) return c.text(verified.reason, 400);
      let parsed;
      try {
        parsed = v.safeParse(CashierEventSchema, JSON.parse(raw));
      } catch {
        return c.text('not JSON', 400);
      }
      if (!parsed.success) return c.text(`not a cashier event: ${v.getDotPath(parsed.issues[0]) ?? ''} ${parsed.issues[0].message}`, 400);
      const event = parsed.output as CashierEvent;
      const outcome = await store.applyEvent(event, verified.timestamp, now());
      const order = event.orderId ? store.byCashierId(event.orderId) : undefined;
      if (outcome === 'applied' && order && (event.type === 'order.succeeded' || event.object.type === 'refund')) void sync(order);
      return c.json({ received: true, outcome });
    });

  const reconciliation = reconciliationApp({
    bffUrl: options.bffUrl,
    scope: 'merchant',
    token: () => readMerchantSecrets(options.merchantsFile).apiKey || undefined,
    operatorToken: options.operatorToken ?? (() => undefined),
    sandboxUrl: options.sandboxUrl,
    // The back office is in English whatever the shop's language; the shop's header, footer and CSP around it.
    render: (title, body, c) => layout({ ...context(c), locale: 'en', t: translator('en') }, title, 'reconciliation', body),
  });

  return app.route('/', reconciliation);
}
