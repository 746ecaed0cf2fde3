// WeChat's refund rules in the sandbox (channel-protocols.md §1.8): the body of POST /v3/refund/domestic/refunds
// checked field by field, the rules a new refund must pass (what is left to refund, 50 refunds per order, one minute
// between refunds of an order, one year after the payment), out_refund_no idempotency, and the refund object that
// the answer, the query and (as the notification resource) REFUND.* notifications carry.

import { RULEBOOK } from '../../../shared/channels/index.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';
import type { OrderBook, SandboxOrder } from '../order-book.ts';
import { newRefundId, type ErrorBody, type WechatpayEnv } from './protocol.ts';
import { findRefund, putRefund, refundedAmount, refundsOf, type SandboxRefund } from './refund-book.ts';
import { OUT_TRADE_NO, failed, isObject, jsonObject, optionalString as optionalField, paramError, type Failure } from './fields.ts';
import { CHANNEL, findOrder } from './transactions.ts';

const RULES = RULEBOOK.wechatpay.refund;
const DAY_MS = 86_400_000;
/** RULEBOOK: 365 days (§1.8: payment success time + 365 d). */
const WINDOW_MS = (RULES.window === 'unknown' ? 365 : RULES.window.amount) * DAY_MS;
const MAX_REFUNDS = RULES.maxRefundsPerOrder === 'unknown' || RULES.maxRefundsPerOrder === 'unlimited' ? 50 : RULES.maxRefundsPerOrder;
const MIN_INTERVAL_MS = (RULES.minIntervalSeconds === 'unknown' ? 60 : RULES.minIntervalSeconds) * 1000;

/** string(64) of `[0-9a-zA-Z_-|*@]` (§1.8). */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

/** Where the sandbox's refunds go: the payer's change (零钱), which WeChat credits at once (§1.8). */
export const USER_RECEIVED_ACCOUNT = '支付用户零钱';

export const REFUND_NOT_EXIST: ErrorBody = { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' };

export interface RefundRequest {
  readonly transactionId?: string;
  readonly outTradeNo?: string;
  readonly outRefundNo: string;
  readonly reason?: string;
  readonly notifyUrl?: string;
  readonly fundsAccount?: 'AVAILABLE';
  readonly refund: number;
  readonly total: number;
}

const invalid = (message: string): Failure => ({ ok: false, status: 400, error: { code: 'INVALID_REQUEST', message } });

const optionalString = (body: Record<string, unknown>, field: string, max: number) => optionalField(body, field, max, true);

/** The refund body as WeChat documents it (§1.8); the first problem is reported. */
export function validateRefund(raw: string): { ok: true; request: RefundRequest } | Failure {
  const body = jsonObject(raw);
  if (failed(body)) return body;

  const transactionId = optionalString(body, 'transaction_id', 32);
  if (failed(transactionId)) return transactionId;
  const outTradeNo = optionalString(body, 'out_trade_no', 32);
  if (failed(outTradeNo)) return outTradeNo;
  if (outTradeNo !== undefined && !OUT_TRADE_NO.test(outTradeNo)) return paramError('out_trade_no', '应为 6-32 位数字、大小写字母或 _-|*');
  if (transactionId === undefined && outTradeNo === undefined) return paramError('transaction_id', '与 out_trade_no 必须二选一');
  const outRefundNo = optionalString(body, 'out_refund_no', 64);
  if (failed(outRefundNo)) return outRefundNo;
  if (outRefundNo === undefined) return paramError('out_refund_no', '为必填参数');
  if (!OUT_REFUND_NO.test(outRefundNo)) return paramError('out_refund_no', '只能是数字、大小写字母或 _-|*@');
  const reason = optionalString(body, 'reason', 80);
  if (failed(reason)) return reason;
  const notifyUrl = optionalString(body, 'notify_url', 256);
  if (failed(notifyUrl)) return notifyUrl;
  if (notifyUrl !== undefined) {
    const url = URL.canParse(notifyUrl) ? new URL(notifyUrl) : null;
    // As for prepay (§1.7): a URL without a query; the sandbox lets http through so local merchants work.
    if (url === null || !['http:', 'https:'].includes(url.protocol) || url.search !== '') return paramError('notify_url', '应为不带参数的 http(s) 地址');
  }
  // Only AVAILABLE may be named; without it WeChat refunds from the default account.
  if (body.funds_account !== undefined && body.funds_account !== 'AVAILABLE') return paramError('funds_account', '仅支持 AVAILABLE');

  const amount = body.amount;
  if (!isObject(amount)) return paramError('amount', '为必填参数');
  const { refund, total, currency } = amount;
  if (typeof refund !== 'number' || !Number.isSafeInteger(refund) || refund < 1) return paramError('amount.refund', '应为不小于 1 的整数（分）');
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) return paramError('amount.total', '应为不小于 1 的整数（分）');
  if (currency !== 'CNY') return paramError('amount.currency', '为必填参数，目前只支持 CNY');
  if (refund > total) return paramError('amount.refund', '不能大于 amount.total');

  return {
    ok: true,
    request: {
      ...(transactionId === undefined ? {} : { transactionId }),
      ...(outTradeNo === undefined ? {} : { outTradeNo }),
      outRefundNo,
      ...(reason === undefined ? {} : { reason }),
      ...(notifyUrl === undefined ? {} : { notifyUrl }),
      ...(body.funds_account === 'AVAILABLE' ? { fundsAccount: 'AVAILABLE' as const } : {}),
      refund,
      total,
    },
  };
}

const ORDER_NOT_REFUNDABLE: Failure = {
  ok: false,
  status: 404,
  // WeChat's advice for this code: the order number is wrong, or the order is unpaid (§1.8).
  error: { code: 'RESOURCE_NOT_EXISTS', message: '订单号不存在' },
};

/** The payment a refund is for: by transaction_id when the body has one (it wins over out_trade_no, as in API v2). */
function paymentOf(orders: OrderBook, env: WechatpayEnv, request: RefundRequest): SandboxOrder | undefined {
  if (request.transactionId !== undefined) {
    const byId = orders.byTradeNo(CHANNEL, request.transactionId);
    return byId ? findOrder(orders, env, byId.key) : undefined;
  }
  return request.outTradeNo === undefined ? undefined : findOrder(orders, env, request.outTradeNo);
}

export type RefundDecision =
  | { readonly ok: true; readonly order: SandboxOrder; readonly refund: SandboxRefund; readonly created: boolean }
  | Failure;

/**
 * One refund call. The same out_refund_no answers the refund it already made, whatever happened since (money moves
 * at most once); with another amount it is refused. A new number must pass the rules in this order: the stated
 * total, the one-year window, what is left to refund, the 50-refund cap, and only then the one-minute interval
 * between refunds of one order: a request that can never succeed is told why, not asked to wait a minute.
 */
export function applyRefund(orders: OrderBook, env: WechatpayEnv, request: RefundRequest): RefundDecision {
  const order = paymentOf(orders, env, request);
  if (!order || order.status !== 'paid') return ORDER_NOT_REFUNDABLE;

  const existing = findRefund(orders, request.outRefundNo);
  if (existing) {
    // out_refund_no is unique per merchant (§1.8), not per order.
    if (existing.order.key !== order.key) return invalid('商户退款单号已用于其他订单，请更换退款单号');
    if (existing.refund.amount !== request.refund || existing.refund.total !== request.total) {
      return invalid('订单金额或退款金额与之前请求不一致，请核实后再试');
    }
    return { ok: true, order, refund: existing.refund, created: false };
  }

  const now = env.clock.now();
  if (request.total !== order.amount) return invalid('订单金额与原订单金额不一致，请核实后再试');
  if (order.paidAt !== undefined && now.getTime() > Date.parse(order.paidAt) + WINDOW_MS) {
    return invalid('交易时间超过一年的订单无法提交退款');
  }
  const left = order.amount - refundedAmount(order);
  if (left <= 0) return invalid('订单已全额退款');
  if (request.refund > left) return invalid('申请退款金额超过订单可退金额');
  const earlier = refundsOf(order);
  if (earlier.length >= MAX_REFUNDS) return invalid(`每个支付订单的部分退款次数不能超过${MAX_REFUNDS}次`);
  const last = earlier.at(-1);
  if (last !== undefined && now.getTime() - Date.parse(last.createdAt) < MIN_INTERVAL_MS) {
    // FREQUENCY_LIMITED is the code WeChat documents for refund rate limits, with "该笔退款未受理" (not taken).
    return { ok: false, status: 429, error: { code: 'FREQUENCY_LIMITED', message: '同一笔订单多次退款的请求需相隔1分钟' } };
  }

  const refund = putRefund(orders, order, {
    refundId: newRefundId(now),
    outRefundNo: request.outRefundNo,
    amount: request.refund,
    total: request.total,
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    ...(request.notifyUrl === undefined ? {} : { notifyUrl: request.notifyUrl }),
    // The demo merchant is on the new fund flow (RULEBOOK refund.fee.defaultFundFlow), refunding from its balance.
    fundsAccount: request.fundsAccount ?? 'AVAILABLE',
    userReceivedAccount: USER_RECEIVED_ACCOUNT,
    createdAt: now.toISOString(),
    status: 'PROCESSING',
  });
  return { ok: true, order, refund, created: true };
}

/** A PROCESSING refund reaches its end: SUCCESS (money at the payer), ABNORMAL (could not be credited) or CLOSED. */
export function settleRefund(orders: OrderBook, env: WechatpayEnv, order: SandboxOrder, outRefundNo: string, status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED'): SandboxRefund | undefined {
  const refund = refundsOf(order).find((candidate) => candidate.outRefundNo === outRefundNo);
  if (refund?.status !== 'PROCESSING') return undefined;
  return putRefund(orders, order, {
    ...refund,
    status,
    ...(status === 'SUCCESS' ? { successAt: env.clock.now().toISOString() } : {}),
  });
}

/**
 * The refund object of the refund answer and the refund query (§1.8), keys in alphabetical order as WeChat writes
 * them; success_time only once SUCCESS. No coupons in the sandbox, so the payer's and the settlement amounts are the
 * refund's.
 */
export function refundObject(order: SandboxOrder, refund: SandboxRefund): Record<string, unknown> {
  return {
    amount: {
      currency: order.currency,
      discount_refund: 0,
      payer_refund: refund.amount,
      payer_total: order.amount,
      refund: refund.amount,
      settlement_refund: refund.amount,
      settlement_total: order.amount,
      total: refund.total,
    },
    channel: 'ORIGINAL',
    create_time: formatBeijingRfc3339(new Date(refund.createdAt)),
    funds_account: refund.fundsAccount,
    out_refund_no: refund.outRefundNo,
    out_trade_no: order.key,
    promotion_detail: [],
    refund_id: refund.refundId,
    status: refund.status,
    ...(refund.successAt === undefined ? {} : { success_time: formatBeijingRfc3339(new Date(refund.successAt)) }),
    transaction_id: order.tradeNo,
    user_received_account: refund.userReceivedAccount,
  };
}

/**
 * The decrypted resource of REFUND.SUCCESS / ABNORMAL / CLOSED (§1.4): refund_status, not the API's `status`, and
 * the smaller amount object. `reportedAmount` is the `changeAmount` fault: the refund amount stated instead.
 */
export function refundResource(order: SandboxOrder, refund: SandboxRefund, reportedAmount: number = refund.amount): Record<string, unknown> {
  return {
    amount: { payer_refund: reportedAmount, payer_total: order.amount, refund: reportedAmount, total: refund.total },
    mchid: order.merchant,
    out_refund_no: refund.outRefundNo,
    out_trade_no: order.key,
    refund_id: refund.refundId,
    refund_status: refund.status,
    ...(refund.successAt === undefined ? {} : { success_time: formatBeijingRfc3339(new Date(refund.successAt)) }),
    transaction_id: order.tradeNo,
    user_received_account: refund.userReceivedAccount,
  };
}
