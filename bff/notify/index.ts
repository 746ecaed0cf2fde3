// The channels' notification endpoints, `POST /notify/:channel`. Verify (the adapter: signature, key, time window,
// decryption, merchant account) → store raw in the inbox keyed by the channel's event id, with the job that applies
// it → acknowledge in the channel's own form → apply: cross-check against our records (order, amount, currency),
// then change state. A notification that fails verification or the cross-check changes nothing and is kept for
// review. Duplicates change nothing twice.

import { Hono } from 'hono';
import { isChannelId, type ChannelId } from '../../shared/channels/index.ts';
import type { Ack, NotificationResult, PaymentNotice, RefundNotice } from '../channels/types.ts';
import type { Deps } from '../deps.ts';
import { sha256 } from '../http.ts';
import { attemptWithOrder } from '../store/attempts.ts';
import { getInbox, markInbox, type InboxRow } from '../store/inbox.ts';
import { getOrderById } from '../store/orders.ts';
import { refundByChannelNo, transitionRefund } from '../store/refunds.ts';
import { applyTrade } from '../payments/refresh.ts';
import { applier, inboxWriter, type Applier, type InboxWriter } from './group-commit.ts';

// One group-commit writer per app (its deps), so its notification routes share rounds; with it, the queue that
// applies what was stored, giving way to the writer (keyed on deps, not the store: applying uses its clock and log).
const pipelines = new WeakMap<Deps, { readonly inbox: InboxWriter; readonly applying: Applier }>();
function pipelineFor(deps: Deps) {
  let pipeline = pipelines.get(deps);
  if (!pipeline) {
    const inbox = inboxWriter(deps.db);
    const applying = applier(inbox, (row) =>
      applyInbox(deps, row, { fresh: true }).catch((error: unknown) =>
        deps.log({ level: 'warn', message: 'notification stored, not yet applied', id: row.id, error: error instanceof Error ? error.message : String(error) }),
      ),
    );
    pipelines.set(deps, (pipeline = { inbox, applying }));
  }
  return pipeline;
}

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
  const { inbox, applying } = pipelineFor(deps);
  if (!result.ok) {
    // Kept for review under its own key (a forged copy must not take the real event's place in the inbox).
    await inbox.insert({
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
    await inbox.insert({ channel, eventId: result.eventId, headers, body, verified: true, status: 'ignored', problem: subject.reason });
    return result.ack;
  }
  // Stored, with the job that applies it, in one statement (shared with concurrent deliveries): acknowledged only
  // once that statement has committed.
  const row = await inbox.insert({
    channel,
    eventId: result.eventId,
    headers,
    body,
    verified: true,
    status: 'received',
    subject,
    applyAt: new Date(deps.now().getTime() + 5000),
  });
  // A duplicate delivery: already stored (and applied, or about to be). Acknowledge so the channel stops.
  if (!row) return result.ack;
  // Applied after the answer, off the acknowledgement's path (the channel's deadline is short); the job written
  // with it applies it should this process die first, or its queue be full.
  applying.push(row);
  return result.ack;
}

/** Applies a stored, verified notification once; marks it applied, or `mismatch` when it disagrees with us. */
/** `fresh`: the row was just stored by this process, so it needs no re-reading. */
export async function applyInbox(deps: Deps, row: InboxRow, options: { fresh?: boolean } = {}): Promise<void> {
  const current = options.fresh ? row : await getInbox(deps.db, row.id);
  if (!current || current.status !== 'received' || !current.subject) return;
  const subject = current.subject as unknown as PaymentNotice | RefundNotice;
  if (subject.kind === 'payment') await applyPayment(deps, current, subject);
  else await applyRefund(deps, current, subject);
}

async function applyPayment(deps: Deps, row: InboxRow, notice: PaymentNotice): Promise<void> {
  const found = await attemptWithOrder(deps.db, row.channel, notice.channelOrderNo);
  if (!found) return markInbox(deps.db, row.id, 'mismatch', `no payment attempt ${notice.channelOrderNo} at ${row.channel}`);
  const { attempt, order } = found;
  const about = { merchantId: order.merchant_id, orderId: order.id };
  const trade = { ...notice.trade, ...(notice.trade.paidAt ? { paidAt: new Date(notice.trade.paidAt) } : {}) };
  const applied = await applyTrade(deps, order, attempt, trade);
  if (applied === 'mismatch') {
    return markInbox(deps.db, row.id, 'mismatch', `the channel says ${notice.trade.amount} ${notice.trade.currency ?? ''}, we have ${attempt.amount} ${order.currency}`, about);
  }
  // Some channels' notifications carry a wrong success time (article 二.1 对接-异步通知④): a query confirms it.
  await markInbox(deps.db, row.id, 'applied', undefined, about, applied === 'succeeded' ? { queryAttempt: attempt.id, at: deps.now() } : undefined);
}

async function applyRefund(deps: Deps, row: InboxRow, notice: RefundNotice): Promise<void> {
  const refund = await refundByChannelNo(deps.db, row.channel, notice.refundNo);
  const order = refund ? await getOrderById(deps.db, refund.order_id) : undefined;
  if (!refund || !order) return markInbox(deps.db, row.id, 'mismatch', `no refund ${notice.refundNo} at ${row.channel}`);
  const about = { merchantId: order.merchant_id, orderId: order.id };
  if (notice.refund.amount !== undefined && notice.refund.amount !== refund.amount) {
    return markInbox(deps.db, row.id, 'mismatch', `the channel refunded ${notice.refund.amount}, we asked ${refund.amount}`, about);
  }
  const state = notice.refund.state;
  if (state === 'succeeded' || state === 'failed') {
    await deps.db.transaction((tx) =>
      transitionRefund(tx, order.merchant_id, refund, state, {
        ...(state === 'failed' ? { failure: { code: notice.refund.channelState, message: 'the channel reports the refund failed' } } : {}),
        ...(notice.refund.succeededAt ? { succeededAt: new Date(notice.refund.succeededAt) } : {}),
        ...(notice.refund.fundsAccount ? { fundsAccount: notice.refund.fundsAccount } : {}),
        ...(notice.refund.receivedAccount ? { receivedAccount: notice.refund.receivedAccount } : {}),
      }),
    );
  }
  await markInbox(deps.db, row.id, 'applied', undefined, about);
}
