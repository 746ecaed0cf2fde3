// The append-only event log: every state change writes one row in the same transaction as the change, carrying
// the object's new version, so merchants can order and deduplicate what they receive. Events a merchant is told
// about also go to the webhook outbox, with their delivery job, in that same transaction: nothing is lost between
// the change and the webhook.

import type { Queryable } from './db.ts';
import { newId } from './ids.ts';

export interface EventRow {
  readonly seq: number;
  readonly id: string;
  readonly merchant_id: string;
  readonly order_id: string | null;
  readonly type: string;
  readonly object_type: string;
  readonly object_id: string;
  readonly object_version: number;
  readonly data: Record<string, unknown>;
  readonly created_at: Date;
}

export interface NewEvent {
  readonly merchantId: string;
  readonly orderId: string | null;
  readonly type: string;
  readonly objectType: 'order' | 'payment_attempt' | 'refund';
  readonly objectId: string;
  readonly objectVersion: number;
  readonly data: Record<string, unknown>;
}

export async function appendEvent(tx: Queryable, event: NewEvent): Promise<EventRow> {
  const [row] = await tx.query<EventRow>(
    `INSERT INTO events (id, merchant_id, order_id, type, object_type, object_id, object_version, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [newId('evt'), event.merchantId, event.orderId, event.type, event.objectType, event.objectId, event.objectVersion, event.data],
  );
  if (!row) throw new Error('event insert returned nothing');
  if (row.order_id !== null && isMerchantFacing(row.type)) await enqueueWebhook(tx, row);
  return row;
}

/** Orders and refunds, and a payment that must be refunded; the attempts' comings and goings stay internal. */
export function isMerchantFacing(type: string): boolean {
  return type.startsWith('order.') || type.startsWith('refund.') || type === 'payment_attempt.duplicate';
}

async function enqueueWebhook(tx: Queryable, event: EventRow): Promise<void> {
  const [outbox] = await tx.query<{ id: string }>(
    `INSERT INTO webhook_outbox (id, merchant_id, event_id, url, event_type)
     SELECT $1, o.merchant_id, $2, COALESCE(o.webhook_url, m.webhook_url), $3
     FROM orders o JOIN merchants m ON m.id = o.merchant_id
     WHERE o.id = $4 AND COALESCE(o.webhook_url, m.webhook_url) IS NOT NULL
     RETURNING id`,
    [newId('whd'), event.id, event.type, event.order_id],
  );
  if (outbox) {
    await tx.query(
      `INSERT INTO jobs (kind, ref, run_at) VALUES ('deliver-webhook', $1, $2) ON CONFLICT (kind, ref) DO NOTHING`,
      [outbox.id, event.created_at],
    );
  }
}

export async function listOrderEvents(db: Queryable, orderId: string, after = 0, limit = 100): Promise<EventRow[]> {
  return db.query<EventRow>('SELECT * FROM events WHERE order_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [orderId, after, limit]);
}
