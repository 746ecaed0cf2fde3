// Reconciliation of one channel's clearing day (DESIGN.md §9): fetch the channel's bill, load its lines as they
// stream into reconciliation_lines (memory stays flat however long the bill), then match them against our payments
// and refunds by channel order / refund number in set-based SQL. What disagrees becomes an item: channel-only,
// ours-only, amount, status or fee mismatch. An unmatched line — or a status that may still converge — waits for the
// next day's bill before it is raised, because a payment at 23:59:59 on our clock can be in the channel's next day.
// A day's items are a function of its bill, its neighbours' bills and our records, so re-running a day gives the same
// result, and loading day D re-judges day D-1's waiting items.

import { UNKNOWN, clearingWindow, shiftDay, type ChannelId } from '../../shared/channels/index.ts';
import type { BillLine, BillSummary } from '../bills/types.ts';
import { isBillError } from '../bills/types.ts';
import type { Deps } from '../deps.ts';
import { schedule } from '../jobs/queue.ts';
import type { Db, Queryable } from '../store/db.ts';

export const ITEM_TYPES = ['channel_only', 'ours_only', 'amount_mismatch', 'status_mismatch', 'fee_mismatch'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/** Types that can resolve themselves with the next day's bill or with convergence, so they wait one day. */
const WAITING_TYPES: readonly ItemType[] = ['channel_only', 'ours_only', 'status_mismatch'];

/**
 * The status texts with which each channel's bill lists a settled payment or refund (the parsers' `status`).
 * WeChat: 交易状态 SUCCESS for payments, 退款状态 SUCCESS for refunds (§1.9). Alipay's 业务明细 has no status column:
 * the parser reports 业务类型 (交易 / 退款), and a listed line is a settled one (§2.9). UnionPay's ZM file lists
 * settled transactions only; its parser reports the transaction type.
 */
const SETTLED: Partial<Record<ChannelId, { readonly payment: readonly string[]; readonly refund: readonly string[]; readonly refundAccepted: readonly string[] }>> = {
  // WeChat bills a refund on the day it accepts it, with the 退款状态 of that moment, and does not rewrite the bill
  // later (v2 refund docs, "发起退款成功时间"): PROCESSING there is a refund under way, not a disagreement — unless
  // ours failed, or the bill says SUCCESS while ours has not.
  wechatpay: { payment: ['SUCCESS'], refund: ['SUCCESS'], refundAccepted: ['SUCCESS', 'PROCESSING'] },
  alipay: { payment: ['交易'], refund: ['退款'], refundAccepted: ['退款'] },
};

export interface DayCounts {
  readonly lines: number;
  readonly matched: number;
  readonly items: Readonly<Record<ItemType, number>>;
  readonly waiting: number;
  readonly open: number;
  readonly resolved: number;
  /**
   * Lines and matched lines per merchant (by the order each line belongs to): a merchant is shown its own volume,
   * never the channel account's, which other merchants' payments share.
   */
  readonly byMerchant: Readonly<Record<string, { readonly lines: number; readonly matched: number }>>;
}

export type ReconcileResult =
  | { readonly status: 'done'; readonly channel: ChannelId; readonly day: string; readonly counts: DayCounts; readonly summary: BillSummary | null }
  | { readonly status: 'not-ready'; readonly channel: ChannelId; readonly day: string; readonly message: string }
  | { readonly status: 'busy'; readonly channel: ChannelId; readonly day: string }
  | { readonly status: 'failed'; readonly channel: ChannelId; readonly day: string; readonly code: string; readonly message: string };

export interface ReconcileOptions {
  /** Lines per INSERT while loading. */
  readonly batchSize?: number;
  /** How long a run holds the day; renewed with every batch. */
  readonly leaseMs?: number;
}

/** Fetches, loads and matches one clearing day of one channel. Safe to run again, and from several processes. */
export async function reconcileDay(deps: Deps, channel: ChannelId, day: string, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const adapter = deps.adapters[channel];
  if (!adapter) return { status: 'failed', channel, day, code: 'no_adapter', message: `no ${channel} credentials are configured` };
  if (clearingWindow(channel, day) === UNKNOWN) {
    return { status: 'failed', channel, day, code: 'no_clearing_window', message: `${channel}'s clearing window is not known` };
  }
  const leaseMs = options.leaseMs ?? 120_000;
  if (!(await claimRun(deps.db, channel, day, deps.now(), leaseMs))) return { status: 'busy', channel, day };

  // `linesKept`: the failure came before this run touched the day's lines. A day reconciled before then keeps its
  // lines and items, so it stays done (with the error noted): otherwise one failed re-run would stop the next day's
  // run from raising this day's waiting items, and no job would come back to it.
  const fail = async (code: string, message: string, status: 'failed' | 'scheduled' = 'failed', linesKept = true): Promise<ReconcileResult> => {
    await deps.db.query(
      `UPDATE reconciliation_runs SET status = CASE WHEN $6 AND finished_at IS NOT NULL THEN 'done' ELSE $3 END,
         finished_at = CASE WHEN $6 THEN finished_at END, lease_until = NULL, last_error = $4, updated_at = $5
       WHERE channel = $1 AND bill_date = $2`,
      [channel, day, status, { code, message }, deps.now(), linesKept],
    );
    // Whoever asked (the daily job, the operator, the CLI), the day is not left as it is: its job comes back to it
    // (the job holds off by the run's status: 30 min for a bill not out yet, backoff after a failure).
    await schedule(deps.db, 'reconcile', `${channel}/${day}`, deps.now());
    return status === 'scheduled' ? { status: 'not-ready', channel, day, message } : { status: 'failed', channel, day, code, message };
  };

  let outcome;
  try {
    outcome = await adapter.bill(day);
  } catch (error) {
    return fail('bill_download_error', error instanceof Error ? error.message : String(error));
  }
  if (outcome.kind === 'not-ready') return fail('not_ready', outcome.message, 'scheduled');
  if (outcome.kind === 'failed') return fail(outcome.code, outcome.message);
  if (outcome.kind === 'unknown') return fail('channel_unreachable', outcome.reason);

  await deps.db.query('DELETE FROM reconciliation_lines WHERE channel = $1 AND bill_date = $2', [channel, day]);
  let lines = 0;
  let summary: BillSummary | null = null;
  if (outcome.kind === 'ready') {
    try {
      lines = await loadLines(deps, channel, day, outcome.bill.lines, options.batchSize ?? 5000, leaseMs);
      summary = await outcome.bill.summary;
    } catch (error) {
      // A bill that cannot be read exactly is not half-used: its lines go, the run fails and is retried.
      await deps.db.query('DELETE FROM reconciliation_lines WHERE channel = $1 AND bill_date = $2', [channel, day]);
      if (isBillError(error)) return fail(`bill_${error.code}`, error.message, 'failed', false);
      return fail('bill_read_error', error instanceof Error ? error.message : String(error), 'failed', false);
    }
  }

  // Fresh statistics, or the planner, guessing from an empty table, joins a million lines by nested loops. PGlite
  // has no autovacuum to do it; on PostgreSQL this is cheap (ANALYZE samples).
  await deps.db.query('ANALYZE reconciliation_lines');
  await deps.db.query('ANALYZE payment_attempts');
  await deps.db.query('ANALYZE refunds');
  await matchDay(deps.db, channel, day);
  const counts = await countDay(deps.db, channel, day, lines);
  await deps.db.query(
    `UPDATE reconciliation_runs SET status = 'done', lease_until = NULL, last_error = NULL, bill_lines = $3, bill_summary = $4,
       counts = $5, finished_at = $6, updated_at = $6
     WHERE channel = $1 AND bill_date = $2`,
    [channel, day, lines, summary, counts, deps.now()],
  );
  // With day D in, day D-1's waiting items are judged: matched across midnight, or raised.
  const before = shiftDay(day, -1);
  if (await runDone(deps.db, channel, before)) {
    await matchDay(deps.db, channel, before);
    await deps.db.query('UPDATE reconciliation_runs SET counts = $3 WHERE channel = $1 AND bill_date = $2', [
      channel,
      before,
      await countDay(deps.db, channel, before),
    ]);
  }
  return { status: 'done', channel, day, counts, summary };
}

/** Takes the day for this process, unless another holds a live lease on it. */
async function claimRun(db: Queryable, channel: ChannelId, day: string, now: Date, leaseMs: number): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO reconciliation_runs (channel, bill_date, status, lease_until, attempts, started_at, updated_at)
     VALUES ($1, $2, 'running', $3, 1, $4, $4)
     ON CONFLICT (channel, bill_date) DO UPDATE
       SET status = 'running', lease_until = EXCLUDED.lease_until, attempts = reconciliation_runs.attempts + 1,
           started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at
       WHERE reconciliation_runs.status <> 'running' OR reconciliation_runs.lease_until < $4
     RETURNING channel`,
    [channel, day, new Date(now.getTime() + leaseMs), now],
  );
  return rows.length === 1;
}

async function runDone(db: Queryable, channel: ChannelId, day: string): Promise<boolean> {
  const [row] = await db.query<{ status: string }>('SELECT status FROM reconciliation_runs WHERE channel = $1 AND bill_date = $2', [channel, day]);
  return row?.status === 'done';
}

/** Streams the bill's lines into reconciliation_lines, `batchSize` per statement (one round trip per batch). */
async function loadLines(deps: Deps, channel: ChannelId, day: string, source: AsyncIterable<BillLine>, batchSize: number, leaseMs: number): Promise<number> {
  let count = 0;
  let batch: BillLine[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await deps.db.query(
      `INSERT INTO reconciliation_lines (channel, bill_date, line, kind, channel_order_no, channel_trade_no, refund_no, amount, fee, status, at)
       SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::timestamptz[])`,
      [
        channel,
        day,
        rows.map((l) => l.line),
        rows.map((l) => l.kind),
        rows.map((l) => l.channelOrderNo),
        rows.map((l) => l.channelTradeNo ?? null),
        rows.map((l) => l.refundNo ?? null),
        rows.map((l) => l.amount),
        rows.map((l) => l.fee ?? null),
        rows.map((l) => l.status),
        rows.map((l) => l.at),
      ],
    );
    await deps.db.query('UPDATE reconciliation_runs SET lease_until = $3 WHERE channel = $1 AND bill_date = $2', [
      channel,
      day,
      new Date(deps.now().getTime() + leaseMs),
    ]);
  };
  for await (const line of source) {
    batch.push(line);
    count += 1;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return count;
}

/**
 * Recomputes the items of one loaded day: writes what the bill and our records say now, then drops the unresolved
 * items nothing says any more (an item resolved by a person stays resolved). Item ids are derived from what they are
 * about, so a re-run yields the same ids; an item found again is updated in place, keeping when it was first raised.
 */
export async function matchDay(db: Db, channel: ChannelId, day: string): Promise<void> {
  const window = clearingWindow(channel, day);
  if (window === UNKNOWN) return;
  const settled = SETTLED[channel];
  const nextLoaded = await runDone(db, channel, shiftDay(day, 1));
  const wait = nextLoaded ? 'open' : 'waiting';
  // Every statement: $1 channel, $2 day, $3 the state of the waiting types (open once the next day is in), $4 those
  // types; then $5 the settled status texts (null: any listed line is settled; for refunds the accepted ones, and $6
  // the succeeded ones), or $5/$6 the clearing window.
  const state = `CASE WHEN t.type = ANY($4::text[]) THEN $3 ELSE 'open' END`;
  const id = `'rci_' || substr(md5($1 || '/' || $2::text || '/' || t.kind || '/' || t.key || '/' || t.type), 1, 24)`;
  const base = [channel, day, wait, [...WAITING_TYPES]];
  // Found again: updated in place (created_at kept), unless resolved. Every row written here carries this
  // transaction's now() in updated_at, which is how the stale ones are told apart below.
  const upsert = `ON CONFLICT (channel, bill_date, kind, key, type) DO UPDATE
    SET state = EXCLUDED.state, merchant_id = EXCLUDED.merchant_id, order_id = EXCLUDED.order_id, ours = EXCLUDED.ours,
        theirs = EXCLUDED.theirs, updated_at = now()
    WHERE reconciliation_items.state <> 'resolved'`;
  await db.transaction(async (tx) => {
    // Payment lines against our attempts.
    await tx.query(
      `INSERT INTO reconciliation_items (id, channel, bill_date, kind, key, type, state, merchant_id, order_id, ours, theirs)
       SELECT DISTINCT ON (t.key, t.type) ${id}, $1, $2, t.kind, t.key, t.type, ${state}, t.merchant_id, t.order_id, t.ours, t.theirs
       FROM (
         SELECT 'payment' AS kind, l.channel_order_no AS key, o.merchant_id, o.id AS order_id,
           CASE WHEN a.id IS NULL THEN NULL ELSE jsonb_build_object('attemptId', a.id, 'amount', a.amount, 'fee', a.fee_charged,
             'status', a.status, 'at', a.paid_at) END AS ours,
           jsonb_build_object('line', l.line, 'amount', l.amount, 'fee', l.fee, 'status', l.status, 'at', l.at, 'tradeNo', l.channel_trade_no) AS theirs,
           x.type
         FROM reconciliation_lines l
         LEFT JOIN payment_attempts a ON a.channel = l.channel AND a.channel_order_no = l.channel_order_no
         LEFT JOIN orders o ON o.id = a.order_id
         CROSS JOIN LATERAL (VALUES
           (CASE WHEN a.id IS NULL THEN 'channel_only' END),
           (CASE WHEN a.id IS NOT NULL AND a.amount <> l.amount THEN 'amount_mismatch' END),
           (CASE WHEN a.id IS NOT NULL AND (a.status NOT IN ('succeeded', 'duplicate') OR NOT ($5::text[] IS NULL OR l.status = ANY($5::text[])))
             THEN 'status_mismatch' END),
           (CASE WHEN a.id IS NOT NULL AND a.fee_charged IS NOT NULL AND l.fee IS NOT NULL AND a.fee_charged <> l.fee THEN 'fee_mismatch' END)
         ) AS x(type)
         WHERE l.channel = $1 AND l.bill_date = $2 AND l.kind = 'payment' AND x.type IS NOT NULL
       ) t
       -- A bill that lists one order twice makes one item (an upsert may not touch a row twice), from its first line.
       ORDER BY t.key, t.type, (t.theirs->>'line')::int
       ${upsert}`,
      [...base, settled ? [...settled.payment] : null],
    );
    // Refund lines against our refunds, by our refund number at the channel.
    await tx.query(
      `INSERT INTO reconciliation_items (id, channel, bill_date, kind, key, type, state, merchant_id, order_id, ours, theirs)
       SELECT DISTINCT ON (t.key, t.type) ${id}, $1, $2, t.kind, t.key, t.type, ${state}, t.merchant_id, t.order_id, t.ours, t.theirs
       FROM (
         SELECT 'refund' AS kind, l.refund_no AS key, o.merchant_id, o.id AS order_id,
           CASE WHEN r.id IS NULL THEN NULL ELSE jsonb_build_object('refundId', r.id, 'amount', r.amount, 'fee', r.fee_returned,
             'status', r.status, 'at', r.succeeded_at) END AS ours,
           jsonb_build_object('line', l.line, 'amount', l.amount, 'fee', l.fee, 'status', l.status, 'at', l.at, 'orderNo', l.channel_order_no) AS theirs,
           x.type
         FROM reconciliation_lines l
         LEFT JOIN refunds r ON r.channel = l.channel AND r.channel_refund_no = l.refund_no
         LEFT JOIN orders o ON o.id = r.order_id
         CROSS JOIN LATERAL (VALUES
           (CASE WHEN r.id IS NULL THEN 'channel_only' END),
           (CASE WHEN r.id IS NOT NULL AND r.amount <> l.amount THEN 'amount_mismatch' END),
           (CASE WHEN r.id IS NOT NULL AND (r.status = 'failed'
               OR NOT ($5::text[] IS NULL OR l.status = ANY($5::text[]))
               OR (r.status <> 'succeeded' AND ($6::text[] IS NULL OR l.status = ANY($6::text[]))))
             THEN 'status_mismatch' END),
           (CASE WHEN r.id IS NOT NULL AND r.fee_returned IS NOT NULL AND l.fee IS NOT NULL AND r.fee_returned <> l.fee THEN 'fee_mismatch' END)
         ) AS x(type)
         WHERE l.channel = $1 AND l.bill_date = $2 AND l.kind = 'refund' AND x.type IS NOT NULL
       ) t
       ORDER BY t.key, t.type, (t.theirs->>'line')::int
       ${upsert}`,
      [...base, settled ? [...settled.refundAccepted] : null, settled ? [...settled.refund] : null],
    );
    // Ours only: what we recorded as settled in the window that no bill of the day or its neighbours lists.
    await tx.query(
      `INSERT INTO reconciliation_items (id, channel, bill_date, kind, key, type, state, merchant_id, order_id, ours, theirs)
       SELECT ${id}, $1, $2, t.kind, t.key, t.type, ${state}, t.merchant_id, t.order_id, t.ours, NULL
       FROM (
         SELECT 'payment' AS kind, a.channel_order_no AS key, 'ours_only' AS type, o.merchant_id, o.id AS order_id,
           jsonb_build_object('attemptId', a.id, 'amount', a.amount, 'fee', a.fee_charged, 'status', a.status, 'at', a.paid_at) AS ours
         FROM payment_attempts a JOIN orders o ON o.id = a.order_id
         WHERE a.channel = $1 AND a.status IN ('succeeded', 'duplicate') AND a.paid_at >= $5 AND a.paid_at < $6
           AND NOT EXISTS (SELECT 1 FROM reconciliation_lines l WHERE l.channel = $1 AND l.kind = 'payment'
             AND l.channel_order_no = a.channel_order_no AND l.bill_date BETWEEN $2::date - 1 AND $2::date + 1)
         UNION ALL
         SELECT 'refund', r.channel_refund_no, 'ours_only', o.merchant_id, o.id,
           jsonb_build_object('refundId', r.id, 'amount', r.amount, 'fee', r.fee_returned, 'status', r.status, 'at', r.succeeded_at)
         FROM refunds r JOIN orders o ON o.id = r.order_id
         WHERE r.channel = $1 AND r.status = 'succeeded' AND r.succeeded_at >= $5 AND r.succeeded_at < $6
           AND NOT EXISTS (SELECT 1 FROM reconciliation_lines l WHERE l.channel = $1 AND l.kind = 'refund'
             AND l.refund_no = r.channel_refund_no AND l.bill_date BETWEEN $2::date - 1 AND $2::date + 1)
       ) t
       ${upsert}`,
      [...base, window.start, window.end],
    );
    // What this pass did not write is no longer so.
    await tx.query(`DELETE FROM reconciliation_items WHERE channel = $1 AND bill_date = $2 AND state <> 'resolved' AND updated_at <> now()`, [
      channel,
      day,
    ]);
  });
}

/** The day's figures: lines, lines that matched with nothing to say, and items by type and state. */
export async function countDay(db: Queryable, channel: ChannelId, day: string, lines?: number): Promise<DayCounts> {
  const [total] =
    lines === undefined
      ? await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reconciliation_lines WHERE channel = $1 AND bill_date = $2', [channel, day])
      : [{ n: lines }];
  const [unmatched] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT DISTINCT kind, key FROM reconciliation_items WHERE channel = $1 AND bill_date = $2 AND type <> 'ours_only') k`,
    [channel, day],
  );
  const rows = await db.query<{ type: ItemType; state: string; n: number }>(
    'SELECT type, state, count(*)::int AS n FROM reconciliation_items WHERE channel = $1 AND bill_date = $2 GROUP BY type, state',
    [channel, day],
  );
  const items = Object.fromEntries(ITEM_TYPES.map((type) => [type, 0])) as Record<ItemType, number>;
  const byState = { waiting: 0, open: 0, resolved: 0 };
  for (const row of rows) {
    items[row.type] += row.n;
    if (row.state in byState) byState[row.state as keyof typeof byState] += row.n;
  }
  // Each line's merchant: through the payment (payment lines) or the refund (refund lines) it names.
  const perMerchant = await db.query<{ merchant_id: string; lines: number; unmatched: number }>(
    `SELECT m.merchant_id, count(*)::int AS lines,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.channel = $1 AND i.bill_date = $2
              AND i.kind = m.kind AND i.key = m.key AND i.type <> 'ours_only'))::int AS unmatched
     FROM (
       SELECT l.kind, CASE WHEN l.kind = 'payment' THEN l.channel_order_no ELSE l.refund_no END AS key, o.merchant_id
       FROM reconciliation_lines l
       LEFT JOIN payment_attempts a ON l.kind = 'payment' AND a.channel = l.channel AND a.channel_order_no = l.channel_order_no
       LEFT JOIN refunds r ON l.kind = 'refund' AND r.channel = l.channel AND r.channel_refund_no = l.refund_no
       JOIN orders o ON o.id = COALESCE(a.order_id, r.order_id)
       WHERE l.channel = $1 AND l.bill_date = $2
     ) m GROUP BY m.merchant_id`,
    [channel, day],
  );
  const byMerchant = Object.fromEntries(perMerchant.map((row) => [row.merchant_id, { lines: row.lines, matched: Math.max(0, row.lines - row.unmatched) }]));
  const n = total?.n ?? 0;
  return { lines: n, matched: Math.max(0, n - (unmatched?.n ?? 0)), items, ...byState, byMerchant };
}
