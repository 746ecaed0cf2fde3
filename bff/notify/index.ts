// The channels' notification endpoints, `POST /notify/:channel`. Verify (the adapter: signature, key, time window,
// decryption, merchant account) → store raw in the inbox keyed by the channel's event id → cross-check against our
// records (order, amount, currency) → acknowledge in the channel's own form → apply. A notification that fails
// verification or the cross-check changes nothing and is kept for review. Duplicates change nothing twice.

import { Hono } from 'hono';
import { isChannelId, type ChannelId } from '../../shared/channels/index.ts';
import type { Ack, NotificationResult, PaymentNotice, RefundNotice } from '../channels/types.ts';
import type { Deps } from '../deps.ts';
import { sha256 } from '../http.ts';
import { schedule } from '../jobs/queue.ts';
import { attemptByChannelOrderNo } from '../store/attempts.ts';
import { getInbox, insertInbox, markInbox, type InboxRow } from '../store/inbox.ts';
import { getOrderById } from '../store/orders.ts';
import { refundByChannelNo, transitionRefund } from '../store/refunds.ts';
import { applyTrade } from '../payments/refresh.ts';

export function notifyApi(deps: Deps) {
  return new Hono().post('/:channel', async (c) => {
    const channel = c.req.param('channel');
    const adapter = isChannelId(channel) ? deps.adapters[channel] : undefined;
    if (!adapter) return c.text('unknown channel', 404);
    const body = await c.req.text();
    const headers = Object.fromEntries([...c.req.raw.headers].map(([name, value]) => [name.toLowerCase(), value]));
    const result = adapter.parseNotification({ headers, body, now: deps.now() });
    const ack = await receive(deps, adapter.id, headers, body, result);
    return c.body(ack.body, ack.status as 200, { 'Content-Type': ack.contentType });
  });
}

/** Stores, cross-checks and applies one notification; answers what to acknowledge with. */
export async function receive(deps: Deps, channel: ChannelId, headers: Record<string, string>, body: string, result: NotificationResult): Promise<Ack> {
  if (!result.ok) {
    // Kept for review under its own key (a forged copy must not take the real event's place in the inbox).
    await insertInbox(deps.db, {
      channel,
      eventId: `rejected:${sha256(body + JSON.stringify(headers))}`,
      headers,
      body,
      verified: false,
      status: 'rejected',
      problem: `${result.reason}: ${result.detail}`,
    });
    deps.log({ level: 'warn', message: 'notification refused', channel, reason: result.reason, detail: result.detail });
    return result.ack;
  }
  const { subject } = result;
  if (subject.kind === 'ignored') {
    await insertInbox(deps.db, { channel, eventId: result.eventId, headers, body, verified: true, status: 'ignored', problem: subject.reason });
    return result.ack;
  }
  const attempt = await attemptByChannelOrderNo(deps.db, channel, subject.channelOrderNo);
  const order = attempt ? await getOrderById(deps.db, attempt.order_id) : undefined;
  const row = await insertInbox(deps.db, {
    channel,
    eventId: result.eventId,
    headers,
    body,
    verified: true,
    status: attempt ? 'received' : 'mismatch',
    ...(attempt ? {} : { problem: `no payment attempt ${subject.channelOrderNo} at ${channel}` }),
    merchantId: order?.merchant_id,
    orderId: order?.id,
    subject,
  });
  // A duplicate delivery: already stored (and applied, or about to be). Acknowledge so the channel stops.
  if (!row || row.status !== 'received') return result.ack;
  // Stored before acknowledging; applied now, and by a job should this process die before it is done.
  await schedule(deps.db, 'apply-inbox', row.id, new Date(deps.now().getTime() + 30_000));
  try {
    await applyInbox(deps, row);
  } catch (error) {
    deps.log({ level: 'warn', message: 'notification stored, not yet applied', id: row.id, error: error instanceof Error ? error.message : String(error) });
  }
  return result.ack;
}

/** Applies a stored, verified notification once; marks it applied, or `mismatch` when it disagrees with us. */
export async function applyInbox(deps: Deps, row: InboxRow): Promise<void> {
  const current = await getInbox(deps.db, row.id);
  if (!current || current.status !== 'received' || !current.subject) return;
  const subject = current.subject as unknown as PaymentNotice | RefundNotice;
  if (subject.kind === 'payment') await applyPayment(deps, current, subject);
  else await applyRefund(deps, current, subject);
}

async function applyPayment(deps: Deps, row: InboxRow, notice: PaymentNotice): Promise<void> {
  const attempt = await attemptByChannelOrderNo(deps.db, row.channel, notice.channelOrderNo);
  const order = attempt ? await getOrderById(deps.db, attempt.order_id) : undefined;
  if (!attempt || !order) return markInbox(deps.db, row.id, 'mismatch', 'the payment attempt is gone');
  const trade = { ...notice.trade, ...(notice.trade.paidAt ? { paidAt: new Date(notice.trade.paidAt) } : {}) };
  const applied = await applyTrade(deps, order, attempt, trade);
  if (applied === 'mismatch') {
    return markInbox(deps.db, row.id, 'mismatch', `the channel says ${notice.trade.amount} ${notice.trade.currency ?? ''}, we have ${attempt.amount} ${order.currency}`);
  }
  await markInbox(deps.db, row.id, 'applied');
  // Some channels' notifications carry a wrong success time (article 二.1 对接-异步通知④): the query's is kept.
  if (applied === 'succeeded') await schedule(deps.db, 'query-attempt', attempt.id, deps.now());
}

async function applyRefund(deps: Deps, row: InboxRow, notice: RefundNotice): Promise<void> {
  const refund = await refundByChannelNo(deps.db, row.channel, notice.refundNo);
  const order = refund ? await getOrderById(deps.db, refund.order_id) : undefined;
  if (!refund || !order) return markInbox(deps.db, row.id, 'mismatch', `no refund ${notice.refundNo} at ${row.channel}`);
  if (notice.refund.amount !== undefined && notice.refund.amount !== refund.amount) {
    return markInbox(deps.db, row.id, 'mismatch', `the channel refunded ${notice.refund.amount}, we asked ${refund.amount}`);
  }
  const state = notice.refund.state;
  if (state === 'succeeded' || state === 'failed') {
    await deps.db.transaction((tx) =>
      transitionRefund(tx, order.merchant_id, refund, state, {
        ...(state === 'failed' ? { failure: { code: notice.refund.channelState, message: 'the channel reports the refund failed' } } : {}),
        ...(notice.refund.succeededAt ? { succeededAt: new Date(notice.refund.succeededAt) } : {}),
        ...(notice.refund.fundsAccount ? { fundsAccount: notice.refund.fundsAccount } : {}),
      }),
    );
  }
  await markInbox(deps.db, row.id, 'applied');
}
