// Reading reconciliation results: day summaries and items, for one merchant (its own orders' items) or for the
// operator of the channel accounts (everything, including bill lines that belong to no order of ours).

import type { Queryable } from './db.ts';

/** Whose results: a merchant's, or the operator's (every merchant's and the unattributed). */
export type Scope = { readonly merchantId: string } | { readonly operator: true };

export interface RunRow {
  readonly channel: string;
  readonly bill_date: string;
  readonly status: string;
  readonly bill_lines: number | null;
  readonly bill_summary: Record<string, unknown> | null;
  readonly counts: Record<string, unknown> | null;
  readonly last_error: { code: string; message: string } | null;
  readonly attempts: number;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
}

export interface ItemRow {
  readonly id: string;
  readonly channel: string;
  readonly bill_date: string;
  readonly kind: string;
  readonly key: string;
  readonly type: string;
  readonly state: string;
  readonly merchant_id: string | null;
  readonly order_id: string | null;
  readonly ours: Record<string, unknown> | null;
  readonly theirs: Record<string, unknown> | null;
  readonly resolution: string | null;
  readonly resolved_at: Date | null;
  readonly created_at: Date;
}

/** `$n` is the merchant id (null for the operator). */
const inScope = (n: number) => `($${n}::text IS NULL OR i.merchant_id = $${n})`;
const scopeParam = (scope: Scope) => ('merchantId' in scope ? scope.merchantId : null);

export interface DayFilter {
  readonly channel?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** Runs, newest first, each with the scope's item counts by type and state. */
export async function listDays(db: Queryable, scope: Scope, filter: DayFilter, limit = 60) {
  return db.query<RunRow & { items: { type: string; state: string; n: number }[] | null; unattributed: number }>(
    `SELECT r.channel, to_char(r.bill_date, 'YYYY-MM-DD') AS bill_date, r.status, r.bill_lines, r.bill_summary, r.counts, r.last_error,
            r.attempts, r.started_at, r.finished_at,
            (SELECT json_agg(json_build_object('type', g.type, 'state', g.state, 'n', g.n)) FROM (
               SELECT i.type, i.state, count(*)::int AS n FROM reconciliation_items i
               WHERE i.channel = r.channel AND i.bill_date = r.bill_date AND ${inScope(1)} GROUP BY i.type, i.state) g) AS items,
            (SELECT count(*)::int FROM reconciliation_items i
               WHERE i.channel = r.channel AND i.bill_date = r.bill_date AND i.merchant_id IS NULL AND i.state <> 'resolved') AS unattributed
     FROM reconciliation_runs r
     WHERE ($2::text IS NULL OR r.channel = $2) AND ($3::date IS NULL OR r.bill_date >= $3) AND ($4::date IS NULL OR r.bill_date <= $4)
     ORDER BY r.bill_date DESC, r.channel LIMIT $5`,
    [scopeParam(scope), filter.channel ?? null, filter.from ?? null, filter.to ?? null, limit],
  );
}

export interface ItemFilter {
  readonly state?: string | undefined;
  readonly type?: string | undefined;
  /** Keyset cursor: items after this id. */
  readonly after?: string | undefined;
  readonly limit: number;
}

export async function listItems(db: Queryable, scope: Scope, channel: string, day: string, filter: ItemFilter): Promise<ItemRow[]> {
  return db.query<ItemRow>(
    `SELECT i.id, i.channel, to_char(i.bill_date, 'YYYY-MM-DD') AS bill_date, i.kind, i.key, i.type, i.state, i.merchant_id, i.order_id,
            i.ours, i.theirs, i.resolution, i.resolved_at, i.created_at
     FROM reconciliation_items i
     WHERE i.channel = $2 AND i.bill_date = $3 AND ${inScope(1)}
       AND ($4::text IS NULL OR i.state = $4) AND ($5::text IS NULL OR i.type = $5) AND ($6::text IS NULL OR i.id > $6)
     ORDER BY i.id LIMIT $7`,
    [scopeParam(scope), channel, day, filter.state ?? null, filter.type ?? null, filter.after ?? null, filter.limit],
  );
}

/** Marks an item resolved with a note; resolving it again keeps the first resolution. Undefined: not in scope. */
export async function resolveItem(db: Queryable, scope: Scope, id: string, note: string, now: Date): Promise<ItemRow | undefined> {
  await db.query(
    `UPDATE reconciliation_items i SET state = 'resolved', resolution = $3, resolved_at = $4, updated_at = $4
     WHERE i.id = $2 AND ${inScope(1)} AND i.state <> 'resolved'`,
    [scopeParam(scope), id, note, now],
  );
  const [row] = await db.query<ItemRow>(
    `SELECT i.id, i.channel, to_char(i.bill_date, 'YYYY-MM-DD') AS bill_date, i.kind, i.key, i.type, i.state, i.merchant_id, i.order_id,
            i.ours, i.theirs, i.resolution, i.resolved_at, i.created_at
     FROM reconciliation_items i WHERE i.id = $2 AND ${inScope(1)}`,
    [scopeParam(scope), id],
  );
  return row;
}
