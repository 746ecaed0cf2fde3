// The cashier API for the widget, opened by a cashier-session token scoped to one order: read the order and the
// options for this terminal, pay, watch the status (plain GET or server-sent events). CORS answers only the
// origins the order (or its merchant) allows.

import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { streamSSE } from 'hono/streaming';
import * as v from 'valibot';
import { ChannelIdSchema, TerminalEvidenceSchema, type TerminalEvidence } from '../../shared/schemas/index.ts';
import { detectTerminal, type Terminal } from '../../shared/terminal/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { bearer, cashierOrigins, parseJson, parseWith } from '../http.ts';
import { pay, optionsFor } from '../payments/pay.ts';
import { refreshOrder } from '../payments/refresh.ts';
import { attemptsOf } from '../store/attempts.ts';
import { getOrderById, merchantById, type MerchantRow, type OrderRow } from '../store/orders.ts';
import { findSession, type SessionRow } from '../store/sessions.ts';
import { miniProgramLogin, MiniProgramLoginSchema, payerOpenid, payerSummary, wechatOAuthPages } from './wechat-oauth.ts';

type Env = { Variables: { order: OrderRow; merchant: MerchantRow; session: SessionRow } };

const CLIENT_HINTS = ['sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform'] as const;
const BRIDGES = { weixin: 'hasWeixinBridge', alipay: 'hasAlipayBridge', app: 'hasAppBridge' } as const;

const PayBodySchema = v.strictObject({
  optionId: v.pipe(v.string(), v.maxLength(100)),
  evidence: v.optional(TerminalEvidenceSchema),
  /** Where the channel's page sends the customer back; must be on an allowed origin. */
  returnUrl: v.optional(v.pipe(v.string(), v.url(), v.maxLength(1000))),
  /** WeChat JSAPI and mini-program: the payer's openid (from WeChat's OAuth or wx.login). */
  openid: v.optional(v.pipe(v.string(), v.regex(/^[\w-]{6,64}$/))),
});

const QueryEvidenceSchema = v.strictObject({
  wxjs: v.optional(v.pipe(v.string(), v.maxLength(32))),
  touch: v.optional(v.pipe(v.string(), v.regex(/^\d{1,2}$/))),
  bridges: v.optional(v.pipe(v.string(), v.regex(/^(weixin|alipay|app)(,(weixin|alipay|app))*$/))),
  appChannels: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

/** At most one channel query per order this often, however often a page asks (channels rate-limit queries). */
const REFRESH_INTERVAL_MS = 2000;

export function cashierApi(deps: Deps) {
  // Per process: a second BFF process may query once more, which the channels tolerate.
  const lastRefresh = new Map<string, number>();
  const session = createMiddleware<Env>(async (c, next) => {
    // Order status changes under the same URL: a back-navigation must not be answered from the browser's cache.
    c.header('Cache-Control', 'no-store');
    const origin = c.req.header('origin');
    // The refusals below (unknown session, origin not allowed) are readable by the page that made the request, so
    // the widget can say "this link has expired" rather than "could not be reached"; they reveal nothing of an order.
    if (origin !== undefined) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Vary', 'Origin');
    }
    const token = bearer(c);
    const row = token ? await findSession(deps.db, token) : undefined;
    const order = row ? await getOrderById(deps.db, row.orderId) : undefined;
    const merchant = order ? await merchantById(deps.db, order.merchant_id) : undefined;
    if (!row || !order || !merchant) throw new ApiError(401, 'invalid_session', 'the cashier session is unknown or has expired');
    if (origin !== undefined && !cashierOrigins(deps, order, merchant).includes(origin)) {
      throw new ApiError(403, 'origin_not_allowed', `${origin} may not use this order's cashier`);
    }
    c.set('order', order);
    c.set('merchant', merchant);
    c.set('session', row);
    await next();
  });

  return (
    new Hono<Env>()
      // Preflights carry no token, so they cannot know the order: they are answered for any origin, and the real
      // request gets CORS headers only when its origin is allowed for that order (refused with 403 otherwise).
      .options('*', (c) => {
        const origin = c.req.header('origin');
        if (origin === undefined) return c.body(null, 204);
        return c.body(null, 204, {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, POST',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
          Vary: 'Origin',
        });
      })
      // WeChat sign-in for the payer's openid: browser navigations that carry the session in the query.
      .route('/wechat/oauth', wechatOAuthPages(deps))
      .use('*', session)
      .get('/session', (c) => {
        const order = c.get('order');
        const evidence = evidenceFromQuery(c);
        const terminal = terminalOf(c, evidence);
        const { options, unavailable } = optionsFor(deps, c.get('merchant'), order, terminal, evidence.appChannels);
        return c.json({
          order: summary(order, c.get('merchant')),
          serverTime: deps.now().toISOString(),
          expiresAt: order.expires_at.toISOString(),
          terminal,
          options,
          unavailable,
          payer: payerSummary(deps, c.get('session')),
        });
      })
      .post('/pay', async (c) => {
        const body = await parseJson(c, PayBodySchema);
        const order = c.get('order');
        const merchant = c.get('merchant');
        if (body.returnUrl !== undefined && !cashierOrigins(deps, order, merchant).includes(new URL(body.returnUrl).origin)) {
          throw new ApiError(422, 'return_url_not_allowed', 'returnUrl must be on an origin this order allows', 'returnUrl');
        }
        const evidence = body.evidence ?? {};
        const terminal = terminalOf(c, evidence);
        // JSAPI and mini-program pay take the session's openid when the body has none (wechat-oauth.ts); without
        // one the widget is told how to get it, before any attempt is made.
        const option = optionsFor(deps, merchant, order, terminal, evidence.appChannels).options.find((o) => o.id === body.optionId);
        const payer = payerOpenid(deps, c.get('session'), option, body.openid);
        // An order that can no longer be paid says so first (pay() refuses it): no sign-in for nothing.
        const payable = (order.status === 'open' || order.status === 'paying') && order.expires_at.getTime() > deps.now().getTime();
        if ('required' in payer && payable) return c.json(payer.required, 409);
        const result = await pay(deps, merchant, order, {
          optionId: body.optionId,
          terminal,
          appChannels: evidence.appChannels,
          returnUrl: body.returnUrl,
          payerIp: clientIp(c),
          openid: 'openid' in payer ? payer.openid : undefined,
        });
        return c.json(result, 201);
      })
      .post('/wechat/miniprogram/login', async (c) => {
        const body = await parseJson(c, MiniProgramLoginSchema);
        return c.json(await miniProgramLogin(deps, c.get('session'), body.code));
      })
      .get('/status', async (c) => c.json(await status(deps, c.get('order').id)))
      // The widget saw the customer come back (or they pressed "I have paid"): ask the channel now, not later.
      .post('/status/refresh', async (c) => {
        const order = c.get('order');
        const last = lastRefresh.get(order.id) ?? 0;
        if (Date.now() - last >= REFRESH_INTERVAL_MS) {
          if (lastRefresh.size > 10_000) {
            for (const [id, at] of lastRefresh) if (Date.now() - at >= REFRESH_INTERVAL_MS) lastRefresh.delete(id);
          }
          lastRefresh.set(order.id, Date.now());
          await refreshOrder(deps, order.id);
        }
        return c.json(await status(deps, order.id));
      })
      .get('/status/stream', (c) =>
        streamSSE(c, async (stream) => {
          // One cheap indexed read a second while the customer watches; an event only when something changed.
          let last = '';
          let heartbeat = Date.now();
          const until = Date.now() + 5 * 60_000;
          while (!stream.aborted && Date.now() < until) {
            const current = await status(deps, c.get('order').id);
            const key = `${current.status}:${current.version}:${current.attempt?.status ?? ''}`;
            if (key !== last) {
              last = key;
              await stream.writeSSE({ event: 'status', data: JSON.stringify(current), id: String(current.version) });
              if (['succeeded', 'closed', 'failed'].includes(current.status)) break;
            } else if (Date.now() - heartbeat > 15_000) {
              heartbeat = Date.now();
              await stream.write(': keep-alive\n\n');
            }
            await stream.sleep(1000);
          }
        }),
      )
  );
}

function summary(order: OrderRow, merchant: MerchantRow) {
  return {
    id: order.id,
    merchantName: merchant.name,
    amount: order.amount,
    currency: order.currency,
    subject: order.subject,
    status: order.status,
  };
}

async function status(deps: Deps, orderId: string) {
  const order = await getOrderById(deps.db, orderId);
  if (!order) throw new ApiError(404, 'order_not_found', 'the order is gone');
  const latest = (await attemptsOf(deps.db, orderId)).at(-1);
  return {
    status: order.status,
    version: order.version,
    serverTime: deps.now().toISOString(),
    expiresAt: order.expires_at.toISOString(),
    ...(latest ? { attempt: { id: latest.id, optionId: latest.option_id, status: latest.status } } : {}),
  };
}

function evidenceFromQuery(c: Context): TerminalEvidence {
  const query = parseWith(QueryEvidenceSchema, c.req.query());
  const bridges = new Set(query.bridges?.split(',') ?? []);
  return parseWith(TerminalEvidenceSchema, {
    ...(query.wxjs !== undefined ? { wxjsEnvironment: query.wxjs } : {}),
    ...(query.touch !== undefined ? { maxTouchPoints: Number(query.touch) } : {}),
    ...Object.fromEntries(Object.entries(BRIDGES).map(([name, field]) => [field, bridges.has(name)])),
    ...(query.appChannels !== undefined ? { appChannels: query.appChannels.split(',').map((id) => parseWith(ChannelIdSchema, id)) } : {}),
  });
}

function terminalOf(c: Context, evidence: TerminalEvidence): Terminal {
  const clientHints: Record<string, string> = {};
  for (const name of CLIENT_HINTS) {
    const value = c.req.header(name);
    if (value !== undefined) clientHints[name] = value;
  }
  const { appChannels: _channels, ...env } = evidence;
  return detectTerminal({ userAgent: c.req.header('user-agent') ?? '', clientHints, env });
}

/** The customer's IP for WeChat H5's scene_info: the first X-Forwarded-For hop when behind a proxy. */
function clientIp(c: Context): string | undefined {
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (forwarded) return forwarded;
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}
