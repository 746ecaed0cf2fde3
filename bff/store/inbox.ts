// The notification inbox: every notification a channel sends is kept as received, verified or not, keyed by the
// channel's event id, before it is acknowledged. Duplicates land on the key and change nothing; a row that was
// stored but not yet applied (a crash between the two) is applied later by a job.

import type { Queryable } from './db.ts';
import { newId } from './ids.ts';

export type InboxStatus = 'received' | 'applied' | 'rejected' | 'mismatch' | 'ignored';

export interface InboxRow {
  readonly id: string;
  readonly channel: string;
  readonly event_id: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly verified: boolean;
  readonly problem: string | null;
  readonly status: InboxStatus;
  readonly merchant_id: string | null;
  readonly order_id: string | null;
  readonly subject: Record<string, unknown> | null;
  readonly received_at: Date;
}

export interface NewInbox {
  readonly channel: string;
  readonly eventId: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly verified: boolean;
  readonly status: InboxStatus;
  readonly problem?: string | undefined;
  readonly merchantId?: string | undefined;
  readonly orderId?: string | undefined;
  readonly subject?: unknown;
}

/**
 * Stores a notification; undefined when this event was stored before (a duplicate delivery). With `applyAt`, the
 * job that applies it is written in the same statement.
 */
export async function insertInbox(db: Queryable, row: NewInbox, options: { applyAt?: Date } = {}): Promise<InboxRow | undefined> {
  const [inserted] = await db.query<InboxRow>(
    `WITH stored AS (
       INSERT INTO notification_inbox (id, channel, event_id, headers, body, verified, status, problem, merchant_id, order_id, subject)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (channel, event_id) DO NOTHING RETURNING *
     ), job AS (
       INSERT INTO jobs (kind, ref, run_at) SELECT 'apply-inbox', id, $12 FROM stored WHERE $12::timestamptz IS NOT NULL
       ON CONFLICT (kind, ref) DO NOTHING
     )
     SELECT * FROM stored`,
    [
      newId('ntf'),
      row.channel,
      row.eventId,
      row.headers,
      row.body,
      row.verified,
      row.status,
      row.problem ?? null,
      row.merchantId ?? null,
      row.orderId ?? null,
      row.subject === undefined ? null : JSON.stringify(row.subject),
      options.applyAt ?? null,
    ],
  );
  return inserted;
}

/** One row for `insertInboxMany`: with `applyAt`, the job that applies it is written in the same statement. */
export interface NewInboxWithJob extends NewInbox {
  readonly applyAt?: Date | undefined;
}

/**
 * Stores several notifications in one statement (one commit): the inbox's group commit, so concurrent deliveries
 * cost one round trip together. Answers in input order, undefined where that row's event was stored before (a
 * duplicate delivery, also one earlier in the same list: the first wins, as with separate inserts in that order).
 */
export async function insertInboxMany(db: Queryable, rows: readonly NewInboxWithJob[]): Promise<(InboxRow | undefined)[]> {
  if (rows.length === 0) return [];
  const ids = rows.map(() => newId('ntf'));
  // Columns travel as arrays (one fixed SQL text whatever the count); jsonb goes as text and is cast.
  const inserted = await db.query<InboxRow>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::text[], $12::timestamptz[]) WITH ORDINALITY
         AS t(id, channel, event_id, headers, body, verified, status, problem, merchant_id, order_id, subject, apply_at, ord)
     ), stored AS (
       INSERT INTO notification_inbox (id, channel, event_id, headers, body, verified, status, problem, merchant_id, order_id, subject)
       SELECT id, channel, event_id, headers::jsonb, body, verified, status, problem, merchant_id, order_id, subject::jsonb FROM input ORDER BY ord
       ON CONFLICT (channel, event_id) DO NOTHING RETURNING *
     ), job AS (
       INSERT INTO jobs (kind, ref, run_at) SELECT 'apply-inbox', stored.id, input.apply_at FROM stored JOIN input ON input.id = stored.id
       WHERE input.apply_at IS NOT NULL
       ON CONFLICT (kind, ref) DO NOTHING
     )
     SELECT * FROM stored`,
    [
      ids,
      rows.map((row) => row.channel),
      rows.map((row) => row.eventId),
      rows.map((row) => JSON.stringify(row.headers)),
      rows.map((row) => row.body),
      rows.map((row) => row.verified),
      rows.map((row) => row.status),
      rows.map((row) => row.problem ?? null),
      rows.map((row) => row.merchantId ?? null),
      rows.map((row) => row.orderId ?? null),
      rows.map((row) => (row.subject === undefined ? null : JSON.stringify(row.subject))),
      rows.map((row) => row.applyAt ?? null),
    ],
  );
  const byId = new Map(inserted.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id));
}

/** Settles a stored notification, recording which merchant and order it turned out to be about. */
export async function markInbox(
  db: Queryable,
  id: string,
  status: InboxStatus,
  problem?: string,
  about?: { readonly merchantId: string; readonly orderId: string },
  then?: { readonly queryAttempt: string; readonly at: Date },
): Promise<void> {
  // The follow-up query (when asked for) is scheduled in the same statement: one round trip on the hot path.
  await db.query(
    `WITH marked AS (
       UPDATE notification_inbox SET status = $2, problem = COALESCE($3, problem), processed_at = now(),
         merchant_id = COALESCE(merchant_id, $4), order_id = COALESCE(order_id, $5)
       WHERE id = $1 RETURNING id
     )
     INSERT INTO jobs (kind, ref, run_at) SELECT 'query-attempt', $6, $7 FROM marked WHERE $6::text IS NOT NULL
     ON CONFLICT (kind, ref) DO UPDATE SET run_at = LEAST(jobs.run_at, EXCLUDED.run_at)`,
    [id, status, problem ?? null, about?.merchantId ?? null, about?.orderId ?? null, then?.queryAttempt ?? null, then?.at ?? null],
  );
}

export async function getInbox(db: Queryable, id: string): Promise<InboxRow | undefined> {
  const [row] = await db.query<InboxRow>('SELECT * FROM notification_inbox WHERE id = $1', [id]);
  return row;
}

/**
 * What a merchant may review: refused or mismatched notifications about its orders, and the refused ones nobody
 * can attribute (a forged or unreadable notification names no order we can trust) on the channels it uses.
 */
export async function listInbox(
  db: Queryable,
  merchantId: string,
  channels: readonly string[],
  statuses: readonly InboxStatus[],
  limit = 100,
): Promise<InboxRow[]> {
  return db.query<InboxRow>(
    `SELECT * FROM notification_inbox
     WHERE (merchant_id = $1 OR (merchant_id IS NULL AND channel = ANY($2::text[]))) AND status = ANY($3::text[])
     ORDER BY received_at DESC LIMIT $4`,
    [merchantId, channels, statuses, limit],
  );
}
