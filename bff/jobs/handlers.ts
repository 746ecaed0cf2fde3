// What each kind of job does. Every handler starts from the database's current state (a job may run late, twice
// after a crash, or after a notification already settled things) and asks the channel only when there is
// something to settle.

import type { Deps } from '../deps.ts';
import { applyInbox } from '../notify/index.ts';
import { closeAtChannels } from '../payments/close.ts';
import { applyTrade, correctPaidAt } from '../payments/refresh.ts';
import { OPEN_ATTEMPT_STATES, attemptRef, getAttempt, settleSuccess, transitionAttempt } from '../store/attempts.ts';
import { reconcileJob } from '../reconcile/job.ts';
import { getInbox } from '../store/inbox.ts';
import { getOrderById } from '../store/orders.ts';
import { getRefund, transitionRefund, type RefundRow } from '../store/refunds.ts';
import { deliverWebhook } from '../webhooks/deliver.ts';
import { nextQueryDelay, retryDelay } from './backoff.ts';
import type { Job } from './queue.ts';
import { after, type Handlers, type Next } from './worker.ts';

const DONE: Next = { done: true };

/** Queries an open attempt on the ladder until it settles, the ladder is spent, or the order expires. */
async function queryAttempt(deps: Deps, job: Job): Promise<Next> {
  const attempt = await getAttempt(deps.db, job.ref);
  const order = attempt ? await getOrderById(deps.db, attempt.order_id) : undefined;
  const adapter = attempt ? deps.adapters[attempt.channel] : undefined;
  if (!attempt || !order || !adapter) return DONE;
  const confirming = attempt.status === 'succeeded' || attempt.status === 'duplicate';
  if (!OPEN_ATTEMPT_STATES.includes(attempt.status) && !confirming) return DONE;
  const outcome = await adapter.query(attemptRef(attempt));
  if (outcome.layer === 'trade') {
    if (confirming) {
      // A success we learnt from a notification: the query's success time is the one kept.
      if (outcome.trade.state === 'succeeded') await correctPaidAt(deps, attempt.id, outcome.trade.paidAt);
      return DONE;
    }
    await applyTrade(deps, order, attempt, outcome.trade);
    const now = await getAttempt(deps.db, attempt.id);
    if (!now || !OPEN_ATTEMPT_STATES.includes(now.status)) return DONE;
  } else if (confirming) {
    return { at: after(deps, retryDelay(job.attempts, 600, 5)) };
  }
  const delay = nextQueryDelay(job.attempts);
  const next = delay === undefined ? undefined : after(deps, delay);
  // Past the ladder, or past the order's expiry: the expiry job closes it (asking the channel one last time).
  if (!next || next.getTime() >= new Date(order.expires_at).getTime()) return DONE;
  return { at: next };
}

/** At the order's expiry: close every open attempt at its channel; the order closes once each has confirmed. */
async function expireOrder(deps: Deps, job: Job): Promise<Next> {
  const order = await getOrderById(deps.db, job.ref);
  if (!order || (order.status !== 'open' && order.status !== 'paying')) return DONE;
  if (new Date(order.expires_at).getTime() > deps.now().getTime()) return { at: new Date(order.expires_at) };
  const result = await closeAtChannels(deps, order);
  return result.closed || result.paid ? DONE : { at: after(deps, retryDelay(job.attempts, 3600, 60)) };
}

/** Another attempt of the order won: this one is closed at its channel (or found paid, and refunded). */
async function closeAttempt(deps: Deps, job: Job): Promise<Next> {
  const attempt = await getAttempt(deps.db, job.ref);
  const order = attempt ? await getOrderById(deps.db, attempt.order_id) : undefined;
  const adapter = attempt ? deps.adapters[attempt.channel] : undefined;
  if (!attempt || !order || !adapter || !OPEN_ATTEMPT_STATES.includes(attempt.status)) return DONE;
  const outcome = await adapter.close(attemptRef(attempt));
  if (outcome.kind === 'closed') {
    await deps.db.transaction((tx) => transitionAttempt(tx, order.merchant_id, attempt.id, 'closed'));
    return DONE;
  }
  if (outcome.kind === 'paid') {
    // Paid at the channel too: the query settles it (a duplicate, refunded automatically).
    const query = await adapter.query(attemptRef(attempt));
    if (query.layer === 'trade') await applyTrade(deps, order, attempt, query.trade);
    else await deps.db.transaction((tx) => settleSuccess(tx, order, attempt, {}));
    return DONE;
  }
  return { at: after(deps, retryDelay(job.attempts, 3600, 10)) };
}

async function applyInboxJob(deps: Deps, job: Job): Promise<Next> {
  const row = await getInbox(deps.db, job.ref);
  if (row) await applyInbox(deps, row);
  return DONE;
}

/** Asks the channel for a refund (always the same refund number: at most one refund however often this runs). */
async function refund(deps: Deps, job: Job): Promise<Next> {
  const context = await refundContext(deps, job.ref);
  if (!context || (context.refund.status !== 'pending' && context.refund.status !== 'unknown')) return DONE;
  const { refund: row, attempt, adapter, merchantId } = context;
  const outcome = await adapter.refund({
    channelOrderNo: attempt.channel_order_no,
    channelTradeNo: attempt.channel_trade_no ?? undefined,
    paymentCreatedAt: new Date(attempt.created_at),
    refundNo: row.channel_refund_no,
    amount: row.amount,
    total: attempt.amount,
    currency: 'CNY',
    reason: row.reason ?? undefined,
    notifyUrl: `${deps.publicUrl}/notify/${attempt.channel}`,
  });
  if (outcome.kind === 'failed') {
    await deps.db.transaction((tx) => transitionRefund(tx, merchantId, row, 'failed', { failure: { code: outcome.code, message: outcome.message } }));
    return DONE;
  }
  if (outcome.kind === 'unknown') {
    await deps.db.transaction((tx) => transitionRefund(tx, merchantId, row, 'unknown'));
    return { at: after(deps, retryDelay(job.attempts, 3600, 10)) };
  }
  const state = outcome.refund.state;
  await deps.db.transaction((tx) =>
    state === 'succeeded'
      ? transitionRefund(tx, merchantId, row, 'succeeded', refundFields(outcome.refund))
      : transitionRefund(tx, merchantId, row, 'processing'),
  );
  if (state !== 'succeeded') {
    // The result comes by notification; the query covers a notification that never arrives (5 s, 10 s, 20 s, …).
    await deps.db.query("INSERT INTO jobs (kind, ref, run_at) VALUES ('query-refund', $1, $2) ON CONFLICT (kind, ref) DO NOTHING", [row.id, after(deps, 5)]);
  }
  return DONE;
}

async function queryRefund(deps: Deps, job: Job): Promise<Next> {
  const context = await refundContext(deps, job.ref);
  if (!context || context.refund.status === 'succeeded' || context.refund.status === 'failed') return DONE;
  const { refund: row, attempt, adapter, merchantId } = context;
  const outcome = await adapter.queryRefund({
    channelOrderNo: attempt.channel_order_no,
    channelTradeNo: attempt.channel_trade_no ?? undefined,
    refundNo: row.channel_refund_no,
    paymentCreatedAt: new Date(attempt.created_at),
    requestedAt: new Date(row.created_at),
  });
  if (outcome.layer === 'trade' && (outcome.refund.state === 'succeeded' || outcome.refund.state === 'failed')) {
    const state = outcome.refund.state;
    await deps.db.transaction((tx) =>
      transitionRefund(tx, merchantId, row, state, {
        ...refundFields(outcome.refund),
        ...(state === 'failed' ? { failure: { code: outcome.refund.channelState, message: 'the channel reports the refund failed' } } : {}),
      }),
    );
    return DONE;
  }
  return { at: after(deps, Math.min(3600, 5 * 2 ** Math.max(0, job.attempts - 1))) };
}

function refundFields(result: { succeededAt?: Date | undefined; fundsAccount?: string | undefined; receivedAccount?: string | undefined }) {
  return {
    ...(result.succeededAt ? { succeededAt: new Date(result.succeededAt) } : {}),
    ...(result.fundsAccount ? { fundsAccount: result.fundsAccount } : {}),
    ...(result.receivedAccount ? { receivedAccount: result.receivedAccount } : {}),
  };
}

async function refundContext(deps: Deps, id: string) {
  const refund: RefundRow | undefined = await getRefund(deps.db, id);
  const attempt = refund ? await getAttempt(deps.db, refund.attempt_id) : undefined;
  const order = refund ? await getOrderById(deps.db, refund.order_id) : undefined;
  const adapter = attempt ? deps.adapters[attempt.channel] : undefined;
  if (!refund || !attempt || !order || !adapter) return undefined;
  return { refund, attempt, adapter, merchantId: order.merchant_id };
}

export const HANDLERS: Handlers = {
  'query-attempt': queryAttempt,
  'expire-order': expireOrder,
  'close-attempt': closeAttempt,
  'apply-inbox': applyInboxJob,
  'deliver-webhook': deliverWebhook,
  refund,
  'query-refund': queryRefund,
  reconcile: reconcileJob,
};
