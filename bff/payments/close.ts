// Closing an order: every attempt still open is closed at its channel first, and the order is closed only once
// each channel has confirmed. A channel that answers "already paid" turns the close into a success instead.

import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { OPEN_ATTEMPT_STATES, attemptsOf, settleSuccess, transitionAttempt } from '../store/attempts.ts';
import { getOrderById, transitionOrder, type OrderRow } from '../store/orders.ts';

export async function closeOrder(deps: Deps, order: OrderRow): Promise<{ order: OrderRow; closed: boolean }> {
  if (order.status === 'closed') return { order, closed: true };
  if (order.status === 'succeeded' || order.status === 'failed') {
    throw new ApiError(409, 'order_not_closable', `the order is ${order.status}`, 'id');
  }
  let open = 0;
  for (const attempt of await attemptsOf(deps.db, order.id)) {
    if (!OPEN_ATTEMPT_STATES.includes(attempt.status)) continue;
    const adapter = deps.adapters[attempt.channel];
    const outcome = adapter
      ? await adapter.close({
          channelOrderNo: attempt.channel_order_no,
          channelTradeNo: attempt.channel_trade_no ?? undefined,
          createdAt: new Date(attempt.created_at),
          expiresAt: new Date(attempt.expires_at),
          product: attempt.product,
        })
      : ({ kind: 'unknown', reason: `no adapter for ${attempt.channel}` } as const);
    if (outcome.kind === 'closed') {
      await deps.db.transaction((tx) => transitionAttempt(tx, order.merchant_id, attempt.id, 'closed'));
    } else if (outcome.kind === 'paid') {
      // The customer paid before the close reached the channel: the payment stands; the query job records details.
      await deps.db.transaction((tx) => settleSuccess(tx, order, attempt, {}));
    } else {
      open++;
    }
  }
  const current = (await getOrderById(deps.db, order.id)) ?? order;
  if (current.status === 'succeeded') {
    throw new ApiError(409, 'order_paid', 'the customer paid before the channel could close the order', 'id');
  }
  if (open > 0) return { order: current, closed: false };
  const closed = await deps.db.transaction((tx) => transitionOrder(tx, order.id, 'closed', { event: 'order.closed' }));
  const final = closed ?? (await getOrderById(deps.db, order.id)) ?? current;
  return { order: final, closed: final.status === 'closed' };
}
