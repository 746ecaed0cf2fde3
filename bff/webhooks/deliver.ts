// Delivering merchant webhooks from the outbox: signed (Cashier-Signature, shared/webhooks), retried with
// exponential backoff for at least three days, every try recorded, replayable. The payload carries the event id
// (to deduplicate by) and the object's version (to order by): deliveries may arrive more than once and out of order.

import { SIGNATURE_HEADER, signWebhook } from '../../shared/webhooks/index.ts';
import type { Deps } from '../deps.ts';
import { WEBHOOK_HORIZON_SECONDS, retryDelay } from '../jobs/backoff.ts';
import type { Job } from '../jobs/queue.ts';
import { after, type Next } from '../jobs/worker.ts';

interface OutboxEvent {
  id: string;
  merchant_id: string;
  url: string;
  attempts: number;
  delivered_at: Date | null;
  created_at: Date;
  event_id: string;
  type: string;
  object_type: string;
  object_id: string;
  object_version: number;
  order_id: string | null;
  data: Record<string, unknown>;
  event_created_at: Date;
}

export function webhookPayload(row: Pick<OutboxEvent, 'event_id' | 'type' | 'object_type' | 'object_id' | 'object_version' | 'order_id' | 'data' | 'event_created_at'>) {
  return {
    id: row.event_id,
    type: row.type,
    createdAt: new Date(row.event_created_at).toISOString(),
    object: { type: row.object_type, id: row.object_id, version: row.object_version },
    orderId: row.order_id,
    data: row.data,
  };
}

export async function deliverWebhook(deps: Deps, job: Job): Promise<Next> {
  const [row] = await deps.db.query<OutboxEvent>(
    `SELECT w.id, w.merchant_id, w.url, w.attempts, w.delivered_at, w.created_at, e.id AS event_id, e.type, e.object_type,
            e.object_id, e.object_version, e.order_id, e.data, e.created_at AS event_created_at
     FROM webhook_outbox w JOIN events e ON e.id = w.event_id WHERE w.id = $1`,
    [job.ref],
  );
  if (!row || row.delivered_at) return { done: true };
  const secrets = deps.webhookSecrets?.get(row.merchant_id) ?? [];
  const attempt = row.attempts + 1;
  const body = JSON.stringify(webhookPayload(row));
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  if (secrets.length === 0) {
    error = 'no webhook secret is configured for this merchant';
  } else {
    try {
      const response = await fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: await signWebhook(body, secrets, Math.floor(deps.now().getTime() / 1000)),
          'Cashier-Event-Id': row.event_id,
          'user-agent': 'unified-cashier-webhooks/1',
        },
        body,
        signal: AbortSignal.timeout(10_000),
        redirect: 'manual',
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
  }
  const delivered = error === null;
  await deps.db.transaction(async (tx) => {
    await tx.query('INSERT INTO webhook_deliveries (outbox_id, attempt, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)', [
      row.id,
      attempt,
      status,
      error,
      Date.now() - started,
    ]);
    await tx.query(
      `UPDATE webhook_outbox SET attempts = $2, last_error = $3, delivered_at = CASE WHEN $4 THEN now() ELSE NULL END, next_attempt_at = $5 WHERE id = $1`,
      [row.id, attempt, error, delivered, delivered ? new Date() : after(deps, retryDelay(attempt))],
    );
  });
  if (delivered) return { done: true };
  // Retried for at least three days (Stripe's horizon; Jeepay's 7.5 minutes is the anti-example), then given up.
  const horizon = new Date(new Date(row.created_at).getTime() + WEBHOOK_HORIZON_SECONDS * 1000 * (deps.timeScale ?? 1));
  const next = after(deps, retryDelay(attempt));
  if (next.getTime() > horizon.getTime()) {
    deps.log({ level: 'warn', message: 'webhook given up', outbox: row.id, event: row.event_id, attempts: attempt });
    return { done: true };
  }
  return { at: next };
}
