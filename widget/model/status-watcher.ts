// Watches an order's status for the model: server-sent events first, falling back to polling when streaming fails
// (a proxy that buffers, an old WebView), never more than one request in flight. Paused while the tab is hidden;
// when the customer comes back it asks the BFF to query the channel at once, then resumes.

import { isAbort } from '../errors.ts';
import type { CashierApi, StatusResponse, Timed } from '../api/types.ts';
import type { Host } from './host.ts';

export interface WatcherOptions {
  readonly api: CashierApi;
  readonly host: Host;
  readonly onStatus: (status: Timed<StatusResponse>) => void;
  /** Between polls, once streaming has been given up. */
  readonly pollIntervalMs?: number;
  /** Streams that may fail before polling takes over. */
  readonly streamFailures?: number;
}

export interface StatusWatcher {
  /** Starts watching; `checkFirst` begins with a channel query (the customer is back from the channel). */
  start(options?: { checkFirst?: boolean }): void;
  stop(): void;
  /** Aborts whatever is in flight, asks for a channel query now, then resumes watching (if started). */
  checkNow(): Promise<void>;
  /** For tests and the bench: how the watcher is listening. */
  mode(): 'stream' | 'poll' | 'idle';
}

const RETRY_MS = [1000, 2000, 5000, 10_000];

export function createStatusWatcher(options: WatcherOptions): StatusWatcher {
  const { api, host, onStatus } = options;
  const pollMs = options.pollIntervalMs ?? 2000;
  const maxStreamFailures = options.streamFailures ?? 2;

  let running = false;
  let transport: 'stream' | 'poll' = 'stream';
  let streamFailures = 0;
  let errors = 0;
  let controller: AbortController | undefined;
  let timer: number | undefined;
  let unlisten: (() => void)[] = [];
  // Bumped on every stop/restart: a request that settles after it belongs to an old cycle and is ignored.
  let generation = 0;

  const clearTimer = () => {
    if (timer !== undefined) host.clearTimeout(timer);
    timer = undefined;
  };
  const abort = () => {
    controller?.abort();
    controller = undefined;
  };
  const halt = () => {
    generation++;
    clearTimer();
    abort();
  };

  const schedule = (ms: number) => {
    clearTimer();
    const mine = generation;
    timer = host.setTimeout(() => {
      timer = undefined;
      if (mine === generation) void cycle();
    }, ms);
  };

  async function cycle(): Promise<void> {
    if (!running || host.isHidden() || controller) return;
    const mine = generation;
    const current = new AbortController();
    controller = current;
    try {
      if (transport === 'stream') {
        const opened = host.now();
        await api.stream(onStatus, current.signal);
        // The server ends a stream after a terminal status or after some minutes: open the next one. A stream that
        // ends at once (something in between closes it) counts as failing, or it would be a busy poll.
        if (host.now() - opened < 5000) {
          if (++streamFailures >= maxStreamFailures) transport = 'poll';
        } else {
          streamFailures = 0;
        }
        errors = 0;
      } else {
        onStatus(await api.status(current.signal));
        errors = 0;
      }
    } catch (error) {
      if (isAbort(error) || mine !== generation) return;
      if (transport === 'stream' && ++streamFailures >= maxStreamFailures) transport = 'poll';
      errors++;
    } finally {
      if (controller === current) controller = undefined;
    }
    if (!running || mine !== generation) return;
    const backoff = errors > 0 ? (RETRY_MS[Math.min(errors, RETRY_MS.length) - 1] ?? pollMs) : 0;
    schedule(transport === 'poll' ? Math.max(pollMs, backoff) : Math.max(backoff, 250));
  }

  const paused = () => halt();
  const returned = () => {
    if (running) void watcher.checkNow();
  };

  const watcher: StatusWatcher = {
    start(startOptions) {
      if (running) return;
      running = true;
      unlisten = [host.onHidden(paused), host.onReturn(returned)];
      if (startOptions?.checkFirst && !host.isHidden()) void watcher.checkNow();
      else void cycle();
    },
    stop() {
      running = false;
      halt();
      for (const off of unlisten) off();
      unlisten = [];
    },
    async checkNow() {
      halt();
      const mine = generation;
      const current = new AbortController();
      controller = current;
      try {
        onStatus(await api.refresh(current.signal));
      } catch (error) {
        if (isAbort(error)) return;
        // The check failed (offline for a moment?): watching resumes and will catch up.
      } finally {
        if (controller === current) controller = undefined;
      }
      if (running && mine === generation) void cycle();
    },
    mode: () => (!running || host.isHidden() ? 'idle' : transport),
  };
  return watcher;
}
