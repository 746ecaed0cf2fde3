// Settling what the channel says about an attempt: a query's trade result (and, later, a verified notification)
// applied to our records. Only the trade layer moves state; an amount that disagrees with ours moves nothing.

import type { TradeResult } from '../channels/types.ts';
import type { Deps } from '../deps.ts';
import { OPEN_ATTEMPT_STATES, attemptsOf, settleSuccess, transitionAttempt, type AttemptRow } from '../store/attempts.ts';
import { getOrderById, type OrderRow } from '../store/orders.ts';

export type Applied = 'succeeded' | 'duplicate' | 'late-success' | 'closed' | 'failed' | 'pending' | 'unchanged' | 'mismatch';

export async function applyTrade(deps: Deps, order: OrderRow, attempt: AttemptRow, trade: TradeResult): Promise<Applied> {
  if ((trade.amount !== undefined && trade.amount !== attempt.amount) || (trade.currency !== undefined && trade.currency !== order.currency)) {
    deps.log({ level: 'warn', message: 'channel amount disagrees with ours', attempt: attempt.id, channel: attempt.channel, ours: attempt.amount, theirs: trade.amount });
    return 'mismatch';
  }
  switch (trade.state) {
    case 'succeeded': {
      const result = await deps.db.transaction((tx) =>
        settleSuccess(tx, order, attempt, { channelTradeNo: trade.channelTradeNo, paidAt: trade.paidAt }),
      );
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
    const outcome = await adapter.query({
      channelOrderNo: attempt.channel_order_no,
      channelTradeNo: attempt.channel_trade_no ?? undefined,
      createdAt: new Date(attempt.created_at),
      expiresAt: new Date(attempt.expires_at),
      product: attempt.product,
    });
    // Status comes only from the trade layer; communication and business failures leave things as they are.
    if (outcome.layer === 'trade') await applyTrade(deps, (await getOrderById(deps.db, orderId)) ?? order, attempt, outcome.trade);
  }
  return getOrderById(deps.db, orderId);
}
