// Closing an order: every attempt still open is closed at its channel first, and the order is closed only once
// each channel has confirmed. A channel that answers "already paid" turns the close into a success instead.
// The merchant's close and the expiry job share this; only the merchant's answers with API errors.

import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { OPEN_ATTEMPT_STATES, attemptRef, attemptsOf, transitionAttempt } from '../store/attempts.ts';
import { getOrderById, transitionOrder, type OrderRow } from '../store/orders.ts';
import { applyTrade } from './refresh.ts';

export interface CloseResult {
  readonly order: OrderRow;
  /** Every channel confirmed and the order is closed. */
  readonly closed: boolean;
  /** A channel said the customer had paid: the order succeeded instead. */
  readonly paid: boolean;
}

export async function closeAtChannels(deps: Deps, order: OrderRow): Promise<CloseResult> {
  let open = 0;
  for (const attempt of await attemptsOf(deps.db, order.id)) {
    if (!OPEN_ATTEMPT_STATES.includes(attempt.status)) continue;
    const adapter = deps.adapters[attempt.channel];
    const ref = attemptRef(attempt);
    const outcome = adapter ? await adapter.close(ref) : ({ kind: 'unknown', reason: `no adapter for ${attempt.channel}` } as const);
    if (outcome.kind === 'closed') {
      await deps.db.transaction((tx) => transitionAttempt(tx, order.merchant_id, attempt.id, 'closed'));
    } else if (outcome.kind === 'unknown' && adapter && deps.now().getTime() > new Date(attempt.expires_at).getTime() + 120_000) {
      // Some channels cannot confirm closing an order they never saw (our process died between writing the attempt
      // and calling the channel, or the customer never opened the page). Past its expiry, with a margin for clock
      // skew, an order the channel does not know can no longer be paid: that is the channel's confirmation.
      const query = await adapter.query(ref);
      if (query.layer === 'trade' && (query.trade.state === 'not-found' || query.trade.state === 'closed' || query.trade.state === 'failed')) {
        await deps.db.transaction((tx) => transitionAttempt(tx, order.merchant_id, attempt.id, 'closed'));
      } else if (query.layer === 'trade' && query.trade.state === 'succeeded') {
        await applyTrade(deps, (await getOrderById(deps.db, order.id)) ?? order, attempt, query.trade);
      } else {
        open++;
      }
    } else if (outcome.kind === 'paid' && adapter) {
      // The customer paid before the close reached the channel: the payment stands, with the query's details.
      const query = await adapter.query(ref);
      if (query.layer === 'trade') await applyTrade(deps, (await getOrderById(deps.db, order.id)) ?? order, attempt, query.trade);
      else open++;
    } else {
      open++;
    }
  }
  const current = (await getOrderById(deps.db, order.id)) ?? order;
  if (current.status === 'succeeded') return { order: current, closed: false, paid: true };
  if (open > 0) return { order: current, closed: false, paid: false };
  const closed = await deps.db.transaction((tx) => transitionOrder(tx, order.id, 'closed', { event: 'order.closed' }));
  const final = closed ?? (await getOrderById(deps.db, order.id)) ?? current;
  return { order: final, closed: final.status === 'closed', paid: final.status === 'succeeded' };
}

/** The merchant's close: idempotent on a closed order; a paid or failed order cannot be closed. */
export async function closeOrder(deps: Deps, order: OrderRow): Promise<{ order: OrderRow; closed: boolean }> {
  if (order.status === 'closed') return { order, closed: true };
  if (order.status === 'succeeded' || order.status === 'failed') {
    throw new ApiError(409, 'order_not_closable', `the order is ${order.status}`, 'id');
  }
  const result = await closeAtChannels(deps, order);
  if (result.paid) throw new ApiError(409, 'order_paid', 'the customer paid before the channel could close the order', 'id');
  return { order: result.order, closed: result.closed };
}
