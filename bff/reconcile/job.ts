// The daily reconciliation schedule: one `reconcile` job per channel and clearing day, due when the channel
// publishes that day's bill (WeChat 10:00, Alipay and UnionPay 09:00 on D+1, from the rulebook). The job starts the
// run in the background — a million-line bill takes tens of seconds and must not hold up the job runner's other
// work — and comes back to see how it ended: done (schedule the next day), not out yet, failed (retry with backoff).

import { RULEBOOK, UNKNOWN, billAvailableAt, clearingDay, shiftDay, type ChannelId } from '../../shared/channels/index.ts';
import type { Deps } from '../deps.ts';
import { retryDelay } from '../jobs/backoff.ts';
import { schedule, type Job } from '../jobs/queue.ts';
import { after, type Next } from '../jobs/worker.ts';
import { reconcileDay } from './index.ts';

/** A bill that is not out at its hour is asked for again this often. */
const NOT_READY_RETRY_SECONDS = 30 * 60;
/** How often a running reconciliation is looked in on. */
const CHECK_SECONDS = 30;

interface RunRow {
  readonly status: 'scheduled' | 'running' | 'done' | 'failed';
  readonly lease_until: Date | null;
  readonly attempts: number;
  readonly updated_at: Date;
}

export function reconcileRef(channel: ChannelId, day: string): string {
  return `${channel}/${day}`;
}

/** The newest clearing day of `channel` whose bill is out at `now`, if the channel's bill times are known. */
export function latestBillDay(channel: ChannelId, now: Date): string | undefined {
  const today = clearingDay(channel, now);
  if (today === UNKNOWN) return undefined;
  for (const back of [1, 2]) {
    const day = shiftDay(today, -back);
    const at = billAvailableAt(channel, day);
    if (at === UNKNOWN) return undefined;
    if (at.getTime() <= now.getTime()) return day;
  }
  return undefined;
}

/** At start: make sure every configured channel has its next reconciliation scheduled (idempotent across processes). */
export async function scheduleReconciliation(deps: Deps): Promise<void> {
  for (const channel of Object.keys(deps.adapters) as ChannelId[]) {
    const day = latestBillDay(channel, deps.now());
    if (day) await schedule(deps.db, 'reconcile', reconcileRef(channel, day), deps.now());
  }
}

/** The background runs this process started, so that shutting down can wait for them. */
const running = new Set<Promise<unknown>>();

export async function settleRunningReconciliations(): Promise<void> {
  await Promise.allSettled([...running]);
}

export async function reconcileJob(deps: Deps, job: Job): Promise<Next> {
  const slash = job.ref.indexOf('/');
  const channel = job.ref.slice(0, slash) as ChannelId;
  const day = job.ref.slice(slash + 1);
  if (!(channel in RULEBOOK) || !deps.adapters[channel]) return { done: true };
  const availableAt = billAvailableAt(channel, day);
  if (availableAt === UNKNOWN) return { done: true };
  const now = deps.now();
  if (availableAt.getTime() > now.getTime()) return { at: availableAt };

  const [run] = await deps.db.query<RunRow>(
    'SELECT status, lease_until, attempts, updated_at FROM reconciliation_runs WHERE channel = $1 AND bill_date = $2',
    [channel, day],
  );
  if (run?.status === 'done') {
    const next = shiftDay(day, 1);
    const nextAt = billAvailableAt(channel, next);
    if (nextAt !== UNKNOWN) await schedule(deps.db, 'reconcile', reconcileRef(channel, next), nextAt);
    return { done: true };
  }
  if (run?.status === 'running' && run.lease_until && new Date(run.lease_until).getTime() > now.getTime()) {
    return { at: after(deps, CHECK_SECONDS) };
  }
  // Not out yet, or failed: wait before asking the channel again.
  if (run?.status === 'scheduled' || run?.status === 'failed') {
    const wait = run.status === 'scheduled' ? NOT_READY_RETRY_SECONDS : retryDelay(run.attempts, 6 * 3600, 300);
    const retryAt = new Date(new Date(run.updated_at).getTime() + wait * 1000 * (deps.timeScale ?? 1));
    if (retryAt.getTime() > now.getTime()) return { at: retryAt };
  }
  const started = reconcileDay(deps, channel, day)
    .then((result) => deps.log({ level: result.status === 'done' ? 'info' : 'warn', message: 'reconciliation', ...summary(result) }))
    .catch((error: unknown) =>
      deps.log({ level: 'error', message: 'reconciliation crashed', channel, day, error: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => running.delete(started));
  running.add(started);
  return { at: after(deps, CHECK_SECONDS) };
}

function summary(result: Awaited<ReturnType<typeof reconcileDay>>): Record<string, unknown> {
  const { status, channel, day } = result;
  if (result.status === 'done') return { status, channel, day, lines: result.counts.lines, matched: result.counts.matched, open: result.counts.open, waiting: result.counts.waiting };
  if (result.status === 'failed') return { status, channel, day, code: result.code, error: result.message };
  if (result.status === 'not-ready') return { status, channel, day, error: result.message };
  return { status, channel, day };
}
