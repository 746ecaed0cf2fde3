// Jobs are rows: one per kind and object, due at `run_at`, claimed with FOR UPDATE SKIP LOCKED so several BFF
// processes on one PostgreSQL share the work without running a job twice; a claim is a lease that runs out, so a
// process that dies mid-job loses nothing (another picks the job up when the lease ends).

import type { Queryable } from '../store/db.ts';

export type JobKind = 'query-attempt' | 'expire-order' | 'close-attempt' | 'apply-inbox' | 'deliver-webhook' | 'refund' | 'query-refund' | 'reconcile';

export interface Job {
  readonly id: number;
  readonly kind: JobKind;
  readonly ref: string;
  readonly run_at: Date;
  readonly attempts: number;
  readonly locked_until: Date | null;
}

/**
 * Schedules `kind` for `ref` at `runAt`. `earliest` (the default) only ever moves a pending job sooner, for
 * "look now" requests; `replace` sets the time outright, for a handler planning its own next run.
 */
export async function schedule(db: Queryable, kind: JobKind, ref: string, runAt: Date, mode: 'earliest' | 'replace' = 'earliest'): Promise<void> {
  await db.query(
    `INSERT INTO jobs (kind, ref, run_at) VALUES ($1, $2, $3)
     ON CONFLICT (kind, ref) DO UPDATE SET run_at = ${mode === 'earliest' ? 'LEAST(jobs.run_at, EXCLUDED.run_at)' : 'EXCLUDED.run_at'}`,
    [kind, ref, runAt],
  );
}

/** Claims up to `limit` due jobs for `leaseMs`, skipping rows another process holds. */
export async function claim(db: Queryable, now: Date, limit: number, leaseMs: number): Promise<Job[]> {
  return db.query<Job>(
    `UPDATE jobs SET locked_until = $2, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM jobs
       WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
       ORDER BY run_at
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [now, new Date(now.getTime() + leaseMs), limit],
  );
}

/** The job is done: removed, unless something scheduled it again while it ran. */
export async function finish(db: Queryable, job: Job): Promise<void> {
  await db.query('DELETE FROM jobs WHERE id = $1 AND run_at <= $2', [job.id, job.run_at]);
  await db.query('UPDATE jobs SET locked_until = NULL WHERE id = $1', [job.id]);
}

/** Runs the job again at `runAt` (its own plan, or a retry after an error). */
export async function reschedule(db: Queryable, job: Job, runAt: Date, error?: string): Promise<void> {
  await db.query('UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1', [
    job.id,
    runAt,
    error ?? null,
  ]);
}
