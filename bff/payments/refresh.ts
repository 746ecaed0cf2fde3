// Settling what the channel says about an attempt: a query's trade result (and, later, a verified notification)
// applied to our records. Only the trade layer moves state; an amount that disagrees with ours moves nothing.

import type { TradeResult } from '../channels/types.ts';
import type { Deps } from '../deps.ts';
import { schedule } from '../jobs/queue.ts';
import { OPEN_ATTEMPT_STATES, attemptRef, attemptsOf, getAttempt, settleSuccess, transitionAttempt, type AttemptRow } from '../store/attempts.ts';
import { acceptLatePayment, getOrderById, merchantById, type OrderRow } from '../store/orders.ts';
import { autoRefund } from '../store/refunds.ts';

export type Applied = 'succeeded' | 'duplicate' | 'late-success' | 'closed' | 'failed' | 'pending' | 'unchanged' | 'mismatch';

export async function applyTrade(deps: Deps, order: OrderRow, attempt: AttemptRow, trade: TradeResult): Promise<Applied> {
  if ((trade.amount !== undefined && trade.amount !== attempt.amount) || (trade.currency !== undefined && trade.currency !== order.currency)) {
    deps.log({ level: 'warn', message: 'channel amount disagrees with ours', attempt: attempt.id, channel: attempt.channel, ours: attempt.amount, theirs: trade.amount });
    return 'mismatch';
  }
  switch (trade.state) {
    case 'succeeded': {
      const result = await deps.db.transaction(async (tx) => {
        const settled = await settleSuccess(tx, order, attempt, { channelTradeNo: trade.channelTradeNo, paidAt: trade.paidAt });
        const now = deps.now();
        const lateSuccess = settled === 'late-success' ? ((await merchantById(tx, order.merchant_id))?.settings.lateSuccess ?? 'refund') : undefined;
        if (settled === 'won') {
          // One attempt won: the customer's other channel orders are closed at their channels (one statement).
          await tx.query(
            `INSERT INTO jobs (kind, ref, run_at)
             SELECT 'close-attempt', id, $3 FROM payment_attempts WHERE order_id = $1 AND id <> $2 AND status = ANY($4::text[])
             ON CONFLICT (kind, ref) DO UPDATE SET run_at = LEAST(jobs.run_at, EXCLUDED.run_at)`,
            [order.id, attempt.id, now, OPEN_ATTEMPT_STATES],
          );
        } else if (settled === 'duplicate' || (settled === 'late-success' && lateSuccess === 'refund')) {
          const paid = (await getAttempt(tx, attempt.id)) ?? attempt;
          const refund = await autoRefund(tx, order.merchant_id, paid, settled === 'duplicate' ? 'duplicate-payment' : 'late-payment', now);
          await schedule(tx, 'refund', refund.id, now);
        } else if (settled === 'late-success') {
          await acceptLatePayment(tx, order.id, { attemptId: attempt.id, channel: attempt.channel });
        }
        return settled;
      });
      return result === 'won' ? 'succeeded' : result === 'already' ? 'unchanged' : result;
    }
    case 'closed':
    case 'failed': {
      const moved = await deps.db.transaction((tx) =>
        transitionAttempt(tx, order.merchant_id, attempt.id, trade.state as 'closed' | 'failed', {
          ...(trade.state === 'failed' ? { failure: { code: trade.channelState, message: 'the channel reports the payment failed' } } : {}),
        }),
      );
      return moved ? trade.state : 'unchanged';
    }
    case 'pending': {
      if (attempt.status !== 'unknown' && attempt.status !== 'created') return 'unchanged';
      const moved = await deps.db.transaction((tx) => transitionAttempt(tx, order.merchant_id, attempt.id, 'pending'));
      return moved ? 'pending' : 'unchanged';
    }
    case 'not-found':
      // The channel never saw it (a redirect the customer did not open, a form not submitted): nothing to settle.
      return 'unchanged';
  }
}

/** Asks the channel about every open attempt of the order and applies the answers. Returns the order as it ends. */
export async function refreshOrder(deps: Deps, orderId: string): Promise<OrderRow | undefined> {
  const order = await getOrderById(deps.db, orderId);
  if (!order) return undefined;
  for (const attempt of await attemptsOf(deps.db, orderId)) {
    if (!OPEN_ATTEMPT_STATES.includes(attempt.status)) continue;
    const adapter = deps.adapters[attempt.channel];
    if (!adapter) continue;
    const outcome = await adapter.query(attemptRef(attempt));
    // Status comes only from the trade layer; communication and business failures leave things as they are.
    if (outcome.layer === 'trade') await applyTrade(deps, (await getOrderById(deps.db, orderId)) ?? order, attempt, outcome.trade);
    if (outcome.layer === 'trade' && outcome.trade.state === 'succeeded') await correctPaidAt(deps, attempt.id, outcome.trade.paidAt);
  }
  return getOrderById(deps.db, orderId);
}

/**
 * The query's success time wins over a notification's (some channels' notifications carry a wrong one: article
 * 二.1 对接-异步通知④); corrected quietly, without an event, as it changes no state.
 */
export async function correctPaidAt(deps: Deps, attemptId: string, paidAt: Date | undefined): Promise<void> {
  if (!paidAt) return;
  await deps.db.query("UPDATE payment_attempts SET paid_at = $2 WHERE id = $1 AND status IN ('succeeded', 'duplicate') AND paid_at IS DISTINCT FROM $2", [
    attemptId,
    paidAt,
  ]);
}
