// The merchant API for what the BFF sends and receives: webhook deliveries (listed with every try, replayable) and
// channel notifications kept for review (refused, or not matching our records).

import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { merchantAuth, type MerchantEnv } from './merchant-auth.ts';
import { ApiError } from '../errors.ts';
import { schedule } from '../jobs/queue.ts';
import { listInbox, type InboxStatus } from '../store/inbox.ts';

type Env = MerchantEnv;

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  url: string;
  attempts: number;
  delivered_at: Date | null;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  order_id: string | null;
  tries: { attempt: number; status_code: number | null; error: string | null; duration_ms: number; at: string }[] | null;
}

const REVIEWABLE: readonly InboxStatus[] = ['rejected', 'mismatch'];

export function webhooksApi(deps: Deps) {
  const auth = merchantAuth(deps);

  return new Hono<Env>()
    .use('/webhooks/*', auth)
    .use('/notifications', auth)
    .get('/webhooks/deliveries', async (c) => {
      const orderId = c.req.query('orderId') ?? null;
      const state = c.req.query('state') ?? null;
      if (state !== null && !['pending', 'delivered'].includes(state)) {
        throw new ApiError(400, 'invalid_request', 'state is pending or delivered', 'state');
      }
      const rows = await deps.db.query<DeliveryRow>(
        `SELECT w.id, w.event_id, w.event_type, w.url, w.attempts, w.delivered_at, w.next_attempt_at, w.last_error, w.created_at,
                e.order_id,
                (SELECT json_agg(json_build_object('attempt', d.attempt, 'status_code', d.status_code, 'error', d.error,
                                                   'duration_ms', d.duration_ms, 'at', d.at) ORDER BY d.id)
                 FROM webhook_deliveries d WHERE d.outbox_id = w.id) AS tries
         FROM webhook_outbox w JOIN events e ON e.id = w.event_id
         WHERE w.merchant_id = $1 AND ($2::text IS NULL OR e.order_id = $2)
           AND ($3::text IS NULL OR ($3 = 'delivered') = (w.delivered_at IS NOT NULL))
         ORDER BY w.created_at DESC, w.id LIMIT 200`,
        [c.get('merchant').id, orderId, state],
      );
      return c.json({
        deliveries: rows.map((row) => ({
          id: row.id,
          eventId: row.event_id,
          eventType: row.event_type,
          orderId: row.order_id,
          url: row.url,
          attempts: row.attempts,
          deliveredAt: row.delivered_at ? new Date(row.delivered_at).toISOString() : null,
          nextAttemptAt: row.delivered_at ? null : new Date(row.next_attempt_at).toISOString(),
          lastError: row.last_error,
          tries: (row.tries ?? []).map((t) => ({ attempt: t.attempt, status: t.status_code, error: t.error, durationMs: t.duration_ms, at: t.at })),
        })),
      });
    })
    // Sends an event again, delivered or not: the payload is the same, with the same event id to deduplicate by.
    .post('/webhooks/events/:eventId/replay', async (c) => {
      const [row] = await deps.db.query<{ id: string }>(
        `UPDATE webhook_outbox SET delivered_at = NULL, next_attempt_at = $3 WHERE event_id = $1 AND merchant_id = $2 RETURNING id`,
        [c.req.param('eventId'), c.get('merchant').id, deps.now()],
      );
      if (!row) throw new ApiError(404, 'event_not_found', 'no webhook was sent for this event', 'eventId');
      await schedule(deps.db, 'deliver-webhook', row.id, deps.now());
      return c.json({ replaying: true, deliveryId: row.id }, 202);
    })
    .get('/notifications', async (c) => {
      const merchant = c.get('merchant');
      const rows = await listInbox(deps.db, merchant.id, merchant.settings.channels.map((channel) => channel.id), REVIEWABLE);
      return c.json({
        notifications: rows.map((row) => ({
          id: row.id,
          channel: row.channel,
          status: row.status,
          problem: row.problem,
          orderId: row.order_id,
          receivedAt: new Date(row.received_at).toISOString(),
          body: row.body,
        })),
      });
    });
}
