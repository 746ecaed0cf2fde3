// The sandbox's refund (退货, txnType 04) rules: which consume a refund may name, how much of it is left, and how
// long it stays refundable. Official demo Form_6_4_Refund: "退货金额不超过总金额，可以进行多次退货" and
// "退货能对11个月内的消费做（包括当清算日）" (RULEBOOK unionpay.refund.window); channel-protocols.md §3.3.

import { RULEBOOK, UNKNOWN, refundDeadline } from '../../../shared/channels/index.ts';
import type { SandboxOrder } from '../order-book.ts';
import { RESP, type Rejection } from './messages.ts';

/** Refunds are kept in the order book beside the consumes: one orderId space per merchant, as at UnionPay. */
export const REFUND_PRODUCT = 'refund';

export function isRefund(order: SandboxOrder): boolean {
  return order.product === REFUND_PRODUCT;
}

/** What has been refunded of a consume so far: every refund naming its queryId that went through. */
export function refundedOf(consume: SandboxOrder, orders: readonly SandboxOrder[]): number {
  return orders
    .filter((order) => order.channel === 'unionpay' && isRefund(order) && order.details.origQryId === consume.tradeNo && order.status === 'paid')
    .reduce((sum, order) => sum + order.amount, 0);
}

/**
 * Why a refund of `amount` fen against `original` (the order origQryId names, if any) must be refused, or
 * undefined when it may go ahead. The caller adds the refund in the same synchronous step, so two refunds can
 * never both pass this check against the same remainder.
 */
export function refundRefusal(
  original: SandboxOrder | undefined,
  merId: string,
  amount: number,
  orders: readonly SandboxOrder[],
  now: Date,
): Rejection | undefined {
  // Not ours, not a consume, or never paid (its queryId was never given out): the same answer, so a merchant
  // learns nothing about other merchants' transactions.
  if (!original || original.merchant !== merId || isRefund(original) || original.status !== 'paid' || !original.paidAt) {
    return { respCode: RESP.original, respMsg: '原交易不存在或状态不正确' };
  }
  const deadline = refundDeadline('unionpay', new Date(original.paidAt));
  if (deadline !== UNKNOWN && now.getTime() > deadline.getTime()) {
    return { respCode: RESP.original, respMsg: `原交易不存在或状态不正确[超过退货期限${windowText()}]` };
  }
  const left = original.amount - refundedOf(original, orders);
  if (amount > left) return { respCode: RESP.amountExceeded, respMsg: `交易金额超限[可退金额${left}分]` };
  return undefined;
}

function windowText(): string {
  const window = RULEBOOK.unionpay.refund.window;
  if (window === UNKNOWN) return '';
  return window.unit === 'month' ? `${window.amount}个月` : window.unit === 'day' ? `${window.amount}天` : `${window.amount}年`;
}
