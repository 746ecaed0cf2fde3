// A merchant's refund: checked against the channel's rules (refund window, count, interval, total — the last three
// by the database in one write), its fee return computed by shared/fees, recorded, and sent to the channel by a job
// with the same refund number on every try, so the channel refunds at most once.

import { RULEBOOK, UNKNOWN, refundDeadline } from '../../shared/channels/index.ts';
import { isRuleError } from '../../shared/errors/index.ts';
import { feeCharged, feeRefunds } from '../../shared/fees/index.ts';
import type { CreateRefund } from '../../shared/schemas/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { schedule } from '../jobs/queue.ts';
import { attemptsOf } from '../store/attempts.ts';
import type { MerchantRow, OrderRow } from '../store/orders.ts';
import { createMerchantRefund, refundByMerchantNo, refundsOf, type RefundRow } from '../store/refunds.ts';

export async function createRefund(
  deps: Deps,
  merchant: MerchantRow,
  order: OrderRow,
  input: Required<Pick<CreateRefund, 'merchantRefundNo' | 'amount'>> & { reason?: string | undefined },
): Promise<{ refund: RefundRow; created: boolean }> {
  const existing = await refundByMerchantNo(deps.db, order.id, input.merchantRefundNo);
  if (existing) {
    if (existing.amount !== input.amount) {
      throw new ApiError(409, 'refund_exists', `refund ${input.merchantRefundNo} exists with another amount`, 'merchantRefundNo');
    }
    return { refund: existing, created: false };
  }
  if (merchant.settings.refundsActivated === false) {
    throw new ApiError(403, 'refund_not_activated', 'refunds are not activated for this merchant at its channels');
  }
  if (order.status !== 'succeeded') throw new ApiError(409, 'order_not_refundable', `the order is ${order.status}`, 'id');
  const attempt = (await attemptsOf(deps.db, order.id)).find((a) => a.status === 'succeeded');
  if (!attempt) throw new ApiError(409, 'order_not_refundable', 'the order has no successful payment');
  const rules = RULEBOOK[attempt.channel].refund;
  const now = deps.now();
  const deadline = refundDeadline(attempt.channel, new Date(attempt.paid_at ?? attempt.updated_at));
  if (deadline !== UNKNOWN && now.getTime() > deadline.getTime()) {
    throw new ApiError(422, 'refund_window_closed', `${RULEBOOK[attempt.channel].name.en} refunds payments until ${deadline.toISOString()}`);
  }

  // The fee this refund returns, by the channel's rule, from the merchant's contracted rate (when configured).
  const terms = merchant.settings.fees?.[attempt.channel];
  let fee: { charged: number; returned: number } | undefined;
  if (terms) {
    try {
      // The fee fixed when the payment was made; recomputed for payments made before fees were recorded.
      const charged = attempt.fee_charged ?? feeCharged(attempt.channel, attempt.amount, terms);
      const previous = (await refundsOf(deps.db, order.id)).filter((r) => r.origin === 'merchant' && r.status !== 'failed').map((r) => r.amount);
      const returned = feeRefunds(attempt.channel, { amount: attempt.amount, fee: charged, ...terms }, [...previous, input.amount]).at(-1) ?? 0;
      fee = { charged, returned };
    } catch (error) {
      // A channel whose fee rule nobody knows still refunds; it just cannot say what fee comes back.
      if (!isRuleError(error)) throw error;
    }
  }

  const result = await deps.db.transaction(async (tx) => {
    const made = await createMerchantRefund(tx, {
      order,
      attempt,
      merchantRefundNo: input.merchantRefundNo,
      amount: input.amount,
      reason: input.reason,
      maxCount: typeof rules.maxRefundsPerOrder === 'number' ? rules.maxRefundsPerOrder : undefined,
      minIntervalSeconds: rules.minIntervalSeconds === UNKNOWN ? undefined : rules.minIntervalSeconds,
      feeCharged: fee?.charged ?? null,
      feeReturned: fee?.returned ?? null,
      now,
    });
    if ('refund' in made) await schedule(tx, 'refund', made.refund.id, now);
    return made;
  });
  if ('refused' in result) {
    switch (result.refused) {
      case 'exceeds-payment':
        throw new ApiError(422, 'refund_exceeds_payment', `refunds would exceed the ${order.amount} paid`, 'amount');
      case 'count-exceeded':
        throw new ApiError(422, 'refund_count_exceeded', `${RULEBOOK[attempt.channel].name.en} allows ${String(rules.maxRefundsPerOrder)} refunds per order`);
      case 'too-soon':
        throw new ApiError(429, 'refund_too_soon', `${RULEBOOK[attempt.channel].name.en} needs ${String(rules.minIntervalSeconds)} s between refunds of one order`);
      case 'not-refundable':
        throw new ApiError(409, 'order_not_refundable', 'the order is not refundable');
    }
  }
  return { refund: result.refund, created: true };
}

export function toApiRefund(row: RefundRow) {
  return {
    id: row.id,
    merchantRefundNo: row.merchant_refund_no,
    orderId: row.order_id,
    amount: row.amount,
    status: row.status,
    origin: row.origin,
    reason: row.reason,
    channel: row.channel,
    feeCharged: row.fee_charged,
    feeReturned: row.fee_returned,
    ...(row.failure ? { failure: row.failure } : {}),
    ...(row.succeeded_at ? { succeededAt: new Date(row.succeeded_at).toISOString() } : {}),
    ...(row.funds_account ? { fundsAccount: row.funds_account } : {}),
    ...(row.received_account ? { receivedAccount: row.received_account } : {}),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
