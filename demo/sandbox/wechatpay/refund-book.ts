// Where the sandbox keeps an order's refunds: inside the order's own details in the shared order book, so that a
// restarted demo still answers refund queries (the book is saved to its state file on every change). WeChat's
// refunds belong to a payment and are found by the merchant's out_refund_no, unique per merchant (§1.8).

import type { OrderBook, SandboxOrder } from '../order-book.ts';

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface SandboxRefund {
  readonly refundId: string;
  readonly outRefundNo: string;
  /** Fen. */
  readonly amount: number;
  /** The payment's total as the merchant stated it (the same out_refund_no must state it again). */
  readonly total: number;
  readonly reason?: string | undefined;
  readonly notifyUrl?: string | undefined;
  readonly fundsAccount: string;
  readonly userReceivedAccount: string;
  readonly createdAt: string;
  readonly status: RefundStatus;
  readonly successAt?: string | undefined;
}

const KEY = 'refunds';

export function refundsOf(order: SandboxOrder): readonly SandboxRefund[] {
  const stored = order.details[KEY];
  return stored === undefined ? [] : (JSON.parse(stored) as SandboxRefund[]);
}

/** Adds or replaces (by out_refund_no) one refund of the order and saves the book. */
export function putRefund(orders: OrderBook, order: SandboxOrder, refund: SandboxRefund): SandboxRefund {
  const others = refundsOf(order).filter((existing) => existing.outRefundNo !== refund.outRefundNo);
  order.details[KEY] = JSON.stringify([...others, refund].sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
  // The book saves on update; details are not among the fields update() takes, so an empty change saves them.
  orders.update(order, {});
  return refund;
}

/** The refund with this out_refund_no, whichever order of the merchant it belongs to. */
export function findRefund(orders: OrderBook, outRefundNo: string): { order: SandboxOrder; refund: SandboxRefund } | undefined {
  for (const order of orders.list()) {
    if (order.channel !== 'wechatpay') continue;
    const refund = refundsOf(order).find((candidate) => candidate.outRefundNo === outRefundNo);
    if (refund) return { order, refund };
  }
  return undefined;
}

/**
 * What is no longer refundable: every refund except the closed ones. A PROCESSING refund has its money reserved
 * (two concurrent refunds cannot both take the last yuan), and an ABNORMAL one has left the merchant's account
 * and waits for the merchant to redirect it (§1.8), so it is not refundable again either.
 */
export function refundedAmount(order: SandboxOrder): number {
  return refundsOf(order)
    .filter((refund) => refund.status !== 'CLOSED')
    .reduce((sum, refund) => sum + refund.amount, 0);
}

/** trade_state turns REFUND (转入退款) once a refund of the order has succeeded (§1.7). */
export function hasSucceededRefund(order: SandboxOrder): boolean {
  return refundsOf(order).some((refund) => refund.status === 'SUCCESS');
}
