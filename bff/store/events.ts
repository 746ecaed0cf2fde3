// The append-only event log: every state change writes one row in the same transaction as the change, carrying
// the object's new version, so merchants can order and deduplicate what they receive.

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
  return row;
}

export async function listOrderEvents(db: Queryable, orderId: string, after = 0, limit = 100): Promise<EventRow[]> {
  return db.query<EventRow>('SELECT * FROM events WHERE order_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [orderId, after, limit]);
}
