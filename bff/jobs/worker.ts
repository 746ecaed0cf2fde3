// The job runner: claims due jobs in batches, runs each with its kind's handler, and finishes, reschedules or
// retries it. A handler answers what comes next (`done`, or `at` a time); a thrown error retries with backoff.

import type { Deps } from '../deps.ts';
import { retryDelay } from './backoff.ts';
import { claim, finish, reschedule, type Job, type JobKind } from './queue.ts';

export type Next = { readonly done: true } | { readonly at: Date };
export type Handler = (deps: Deps, job: Job) => Promise<Next>;
export type Handlers = Record<JobKind, Handler>;

export interface WorkerOptions {
  /** How often to look for due jobs when idle. */
  readonly pollMs?: number;
  readonly batch?: number;
  /** How long a claim lasts; a process that dies holds its jobs no longer than this. */
  readonly leaseMs?: number;
  /** Observes every run (tests check that no job runs twice at once across processes). */
  readonly onRun?: ((job: Job, phase: 'start' | 'end') => void) | undefined;
}

export interface Worker {
  /** Runs one round now: claims and runs what is due. Resolves with how many jobs ran. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function startWorker(deps: Deps, handlers: Handlers, options: WorkerOptions = {}): Worker {
  const pollMs = options.pollMs ?? 250;
  const batch = options.batch ?? 16;
  const leaseMs = options.leaseMs ?? 60_000;
  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const runJob = async (job: Job) => {
    options.onRun?.(job, 'start');
    try {
      const next = await handlers[job.kind](deps, job);
      if ('done' in next) await finish(deps.db, job);
      else await reschedule(deps.db, job, next.at);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.log({ level: 'warn', message: 'job failed; will retry', kind: job.kind, ref: job.ref, attempts: job.attempts, error: message });
      await reschedule(deps.db, job, new Date(deps.now().getTime() + retryDelay(job.attempts, 3600, 5) * 1000 * timeScale(deps)), message).catch(
        () => undefined,
      );
    } finally {
      options.onRun?.(job, 'end');
    }
  };

  const tick = async (): Promise<number> => {
    const jobs = await claim(deps.db, deps.now(), batch, leaseMs);
    await Promise.all(jobs.map(runJob));
    return jobs.length;
  };

  const loop = () => {
    if (stopped) return;
    running = tick()
      .catch((error: unknown) => {
        deps.log({ level: 'error', message: 'job runner round failed', error: error instanceof Error ? error.message : String(error) });
        return 0;
      })
      .then((ran) => {
        // A full batch means more may be due: go again at once.
        if (!stopped) timer = setTimeout(loop, ran >= batch ? 0 : pollMs);
        return ran;
      });
  };
  loop();

  return {
    tick: async () => {
      await running;
      return tick();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Tests compress the schedules (a 24-hour horizon in seconds); production runs at 1. */
export function timeScale(deps: Deps): number {
  return deps.timeScale ?? 1;
}

/** `seconds` from now, on the deps' clock and time scale. */
export function after(deps: Deps, seconds: number): Date {
  return new Date(deps.now().getTime() + seconds * 1000 * timeScale(deps));
}
