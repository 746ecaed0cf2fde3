// The WeChat Pay API v3 sandbox: WeChat's real prepay, query, close, refund and trade-bill paths with its signatures
// and error codes (channel-protocols.md §1), the customer's pages and client stand-ins, TRANSACTION.SUCCESS and REFUND.*
// notifications, and the faults a channel acts out itself (forged, probing or misstating notifications, failing
// queries, success after expiry). Its one deliberate deviation on the wire: Native code_urls are http URLs of the
// sandbox's scan page, not weixin:// links; smaller liberties (http notify URLs, refund timing) are noted in place.

import { Hono } from 'hono';
import type { BillEntry } from '../bills.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { ChannelSandbox, SandboxContext } from '../types.ts';
import { tradeBillApp, wechatpayBillEntries } from './bills.ts';
import { customerApp, PAGE_PATHS } from './customer.ts';
import { refundNotification, successNotification } from './notification.ts';
import { wechatOAuthApp } from './oauth.ts';
import { errorAnswer, queryFault, signedAnswer, verifyMerchant, wechatpayEnv, type WechatpayEnv } from './protocol.ts';
import { findRefund, refundsOf, type SandboxRefund } from './refund-book.ts';
import { applyRefund, REFUND_NOT_EXIST, refundObject, settleRefund, validateRefund } from './refunds.ts';
import {
  CHANNEL,
  ENDPOINTS,
  findOrder,
  newOrder,
  transactionOf,
  validatePrepay,
  type Endpoint,
  type Failure,
} from './transactions.ts';

const ORDER_NOT_EXIST = { code: 'ORDER_NOT_EXIST', message: '订单不存在' } as const;

export type RefundOutcome = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface WechatpaySandboxOptions {
  /**
   * How long (real milliseconds) a refund stays PROCESSING before it succeeds and REFUND.SUCCESS goes out; `null`
   * leaves every refund PROCESSING until settleRefund() ends it (tests of ABNORMAL and CLOSED). Refunds to the payer's
   * change are credited at once at WeChat (§1.8); a second keeps the PROCESSING step visible to queries.
   */
  readonly refundProcessingMs?: number | null;
}

export interface WechatpaySandbox extends ChannelSandbox {
  /** Ends a PROCESSING refund as WeChat would, with its notification; false when there is no such refund pending. */
  settleRefund(outRefundNo: string, outcome: RefundOutcome): boolean;
}

export function wechatpaySandbox(context: SandboxContext, options: WechatpaySandboxOptions = {}): WechatpaySandbox {
  const env = wechatpayEnv(context.secrets.wechatpay, context.clock, context.faults);
  const { orders } = context;
  const processingMs = options.refundProcessingMs === undefined ? 1000 : options.refundProcessingMs;

  /** Paid now: SUCCESS with a success_time on the channel's clock, then the notification (§1.4). */
  async function pay(order: SandboxOrder): Promise<boolean> {
    const live = findOrder(orders, env, order.key);
    if (live?.status !== 'pending') return false;
    orders.update(live, { status: 'paid', paidAt: env.clock.now().toISOString() });
    if (live.notifyUrl) context.notifier.send(successNotification(env, live));
    return true;
  }

  /** PAYERROR. API v3 notifies only successes (TRANSACTION.SUCCESS, §1.4), so nothing is sent. */
  async function fail(order: SandboxOrder): Promise<boolean> {
    const live = findOrder(orders, env, order.key);
    if (live?.status !== 'pending') return false;
    orders.update(live, { status: 'failed' });
    return true;
  }

  /** The refund ends; REFUND.* goes to the refund's notify_url (no URL: WeChat would use the portal's, we have none). */
  function settle(outRefundNo: string, outcome: RefundOutcome): boolean {
    const found = findRefund(orders, outRefundNo);
    if (!found) return false;
    const refund = settleRefund(orders, env, found.order, outRefundNo, outcome);
    if (!refund) return false;
    if (refund.notifyUrl) context.notifier.send(refundNotification(env, found.order, { ...refund, status: outcome }));
    return true;
  }

  function scheduleSuccess(refund: SandboxRefund): void {
    if (processingMs === null) return;
    const timer = setTimeout(() => settle(refund.outRefundNo, 'SUCCESS'), processingMs);
    // Never the reason a test process stays alive.
    timer.unref?.();
  }

  /**
   * A refund whose processing time has passed on the channel's clock is settled before it is read: a demo restarted
   * from its state file lost the timers, and its PROCESSING refunds must still end.
   */
  function caughtUp(outRefundNo: string): ReturnType<typeof findRefund> {
    const found = findRefund(orders, outRefundNo);
    if (!found || processingMs === null || found.refund.status !== 'PROCESSING') return found;
    if (env.clock.now().getTime() - Date.parse(found.refund.createdAt) < processingMs) return found;
    settle(outRefundNo, 'SUCCESS');
    return findRefund(orders, outRefundNo);
  }

  /** The day bills' entries (bills.ts); refunds whose processing time has passed are settled first, as for queries. */
  function billEntries(): BillEntry[] {
    for (const order of orders.list()) {
      if (order.channel !== CHANNEL) continue;
      for (const refund of refundsOf(order)) if (refund.status === 'PROCESSING') caughtUp(refund.outRefundNo);
    }
    return wechatpayBillEntries(orders);
  }

  function known(key: string): SandboxOrder {
    const order = orders.get(CHANNEL, key);
    if (!order) throw new Error(`no WeChat Pay order ${key} in the sandbox`);
    return order;
  }

  const api = new Hono();
  api.use('/v3/pay/transactions/*', verifyMerchant(env));
  api.use('/v3/refund/*', verifyMerchant(env));
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    api.post(`/v3/pay/transactions/${endpoint}`, async (c) => prepay(env, context, endpoint, await c.req.text()));
  }
  api.get('/v3/pay/transactions/out-trade-no/:out_trade_no', async (c) => {
    const problem = checkMchidQuery(env, c.req.query('mchid'));
    if (problem) return errorAnswer(env, problem.status, problem.error);
    const key = c.req.param('out_trade_no');
    const fault = await queryFault(env, key, c.req.raw.signal);
    if (fault) return fault;
    const order = findOrder(orders, env, key);
    return order ? signedAnswer(env, 200, transactionOf(order)) : errorAnswer(env, 404, ORDER_NOT_EXIST);
  });
  api.get('/v3/pay/transactions/id/:transaction_id', async (c) => {
    const problem = checkMchidQuery(env, c.req.query('mchid'));
    if (problem) return errorAnswer(env, problem.status, problem.error);
    const found = orders.byTradeNo(CHANNEL, c.req.param('transaction_id'));
    const fault = found ? await queryFault(env, found.key, c.req.raw.signal) : undefined;
    if (fault) return fault;
    const order = found ? findOrder(orders, env, found.key) : undefined;
    // A transaction id exists for WeChat only once the order is paid: unpaid orders are found by out_trade_no only.
    return order && order.status === 'paid' ? signedAnswer(env, 200, transactionOf(order)) : errorAnswer(env, 404, ORDER_NOT_EXIST);
  });
  api.post('/v3/pay/transactions/out-trade-no/:out_trade_no/close', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      body = undefined;
    }
    const mchid = typeof body === 'object' && body !== null ? (body as { mchid?: unknown }).mchid : undefined;
    if (typeof mchid !== 'string' || mchid === '') {
      return errorAnswer(env, 400, { code: 'PARAM_ERROR', message: '参数错误：mchid 为必填参数', detail: { field: 'mchid', location: 'body' } });
    }
    if (mchid !== env.secrets.mchid) return errorAnswer(env, 400, { code: 'INVALID_REQUEST', message: '请求的商户号与签名的商户号不一致' });
    const order = findOrder(orders, env, c.req.param('out_trade_no'));
    if (!order) return errorAnswer(env, 404, ORDER_NOT_EXIST);
    // Re-entrant: closing a closed (or expired) order is fine; a paid one cannot be closed (§1.6).
    if (order.status === 'paid') return errorAnswer(env, 400, { code: 'ORDER_PAID', message: '订单已支付' });
    if (order.status !== 'closed') orders.update(order, { status: 'closed' });
    return signedAnswer(env, 204);
  });

  // Refunds (§1.8). The answer is the refund as it stands: PROCESSING for a new one, whatever it has become for a
  // repeated out_refund_no. Direct merchants send no mchid: the signature's mchid is the merchant.
  api.post('/v3/refund/domestic/refunds', async (c) => {
    const checked = validateRefund(await c.req.text());
    if (!checked.ok) return errorAnswer(env, checked.status, checked.error);
    const decision = applyRefund(orders, env, checked.request);
    if (!decision.ok) return errorAnswer(env, decision.status, decision.error);
    if (decision.created) scheduleSuccess(decision.refund);
    return signedAnswer(env, 200, refundObject(decision.order, decision.refund));
  });
  api.get('/v3/refund/domestic/refunds/:out_refund_no', async (c) => {
    const found = caughtUp(c.req.param('out_refund_no'));
    const fault = found ? await queryFault(env, found.order.key, c.req.raw.signal) : undefined;
    if (fault) return fault;
    return found ? signedAnswer(env, 200, refundObject(found.order, found.refund)) : errorAnswer(env, 404, REFUND_NOT_EXIST);
  });

  const app = new Hono();
  app.route('/', api);
  // Trade bills (§1.9): GET /v3/bill/tradebill and the download it points at.
  app.route('/', tradeBillApp(env, context, billEntries));
  app.route('/', customerApp(env, orders, { pay, fail }));
  // The payer's openid the real way: web OAuth and code2Session (open.weixin.qq.com, api.weixin.qq.com).
  app.route('/', wechatOAuthApp(env));

  return {
    id: CHANNEL,
    app,
    settleRefund: settle,
    billEntries,
    pay: async (key) => {
      await pay(known(key));
    },
    fail: async (key) => {
      await fail(known(key));
    },
    abandon: async (key) => {
      // The customer walked away: nothing happens; the order stays NOTPAY until its time_expire closes it.
      known(key);
    },
  };
}

function checkMchidQuery(env: WechatpayEnv, mchid: string | undefined): Failure | undefined {
  if (mchid === undefined || mchid === '') {
    return { ok: false, status: 400, error: { code: 'PARAM_ERROR', message: '参数错误：mchid 为必填参数', detail: { field: 'mchid', location: 'query' } } };
  }
  if (mchid !== env.secrets.mchid) return { ok: false, status: 400, error: { code: 'INVALID_REQUEST', message: '请求的商户号与签名的商户号不一致' } };
  return undefined;
}

/**
 * One prepay call. A new out_trade_no makes an order; the same one with identical parameters gets the same answer
 * back; with different parameters it is refused, and a paid or closed order cannot be ordered again (§1.7).
 */
function prepay(env: WechatpayEnv, context: SandboxContext, endpoint: Endpoint, raw: string): Response {
  const checked = validatePrepay(env, endpoint, raw);
  if (!checked.ok) return errorAnswer(env, checked.status, checked.error);
  const { request } = checked;
  const now = env.clock.now();
  let order = findOrder(context.orders, env, request.out_trade_no);
  if (order) {
    if (order.details.fingerprint !== request.fingerprint) {
      // The documented code for a re-used out_trade_no; WeChat's message reads "201 商户订单号重复" in practice.
      return errorAnswer(env, 403, { code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' });
    }
    if (order.status === 'paid') return errorAnswer(env, 400, { code: 'ORDER_PAID', message: '订单已支付' });
    if (order.status === 'closed') return errorAnswer(env, 400, { code: 'ORDER_CLOSED', message: '订单已关闭' });
    if (order.status === 'failed') return errorAnswer(env, 403, { code: 'TRADE_ERROR', message: '交易错误，请重新下单' });
  } else {
    order = newOrder(env, endpoint, request, now);
    context.orders.add(order);
  }
  const prepayId = order.details.prepayId ?? '';
  switch (endpoint) {
    case 'native':
      // Deviation: WeChat answers weixin://wxpay/bizpayurl?pr=…, which only the WeChat app opens; the sandbox's
      // code_url is its own scan page, so a phone's camera or a test can follow the QR.
      return signedAnswer(env, 200, { code_url: `${context.publicUrl}${PAGE_PATHS.scan}?pr=${order.details.pr ?? ''}` });
    case 'h5':
      // Already carries a query, so the merchant can append `&redirect_url=…` (§1.6); package dates it (valid 5 min).
      return signedAnswer(env, 200, {
        h5_url: `${context.publicUrl}${PAGE_PATHS.h5}?prepay_id=${prepayId}&package=${Math.floor(now.getTime() / 1000)}`,
      });
    case 'jsapi':
    case 'app':
      return signedAnswer(env, 200, { prepay_id: prepayId });
  }
}
