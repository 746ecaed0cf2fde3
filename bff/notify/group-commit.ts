// Group commit for the notification inbox: rows from concurrent deliveries are written together, one multi-row
// INSERT (one statement, one commit) per round, instead of one statement each. Each caller awaits its own row's
// outcome, so "acknowledged only once stored" holds per notification, and duplicates are still told apart per row.

import type { Queryable } from '../store/db.ts';
import { insertInboxMany, type InboxRow, type NewInboxWithJob } from '../store/inbox.ts';

interface Waiting {
  readonly row: NewInboxWithJob;
  readonly resolve: (stored: InboxRow | undefined) => void;
  readonly reject: (error: unknown) => void;
}

export interface InboxWriter {
  /** Stores `row` (with its apply job when `applyAt` is set); undefined for a duplicate, as `insertInbox`. */
  insert(row: NewInboxWithJob): Promise<InboxRow | undefined>;
  /** True while rows wait or a round is being written: work that can wait (applying) gives way meanwhile. */
  busy(): boolean;
  /** Resolves once nothing waits and no round is being written. */
  idle(): Promise<void>;
}

/**
 * One round at a time: rows that arrive while a round is being written wait for the next, which takes them all
 * (up to `maxRows`). An idle writer waits one turn of the event loop first, so requests arriving together share.
 */
export function inboxWriter(db: Queryable, options: { readonly maxRows?: number } = {}): InboxWriter {
  const maxRows = options.maxRows ?? 64;
  let waiting: Waiting[] = [];
  let writing = false;
  let scheduled = false;
  let idlers: (() => void)[] = [];
  const busy = () => writing || scheduled || waiting.length > 0;

  const write = async (batch: Waiting[]) => {
    try {
      const stored = await insertInboxMany(
        db,
        batch.map((entry) => entry.row),
      );
      batch.forEach((entry, i) => entry.resolve(stored[i]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad row must not cost the others their acknowledgement: each is tried alone, only the bad one fails.
      await Promise.all(
        batch.map((entry) =>
          insertInboxMany(db, [entry.row]).then(
            ([stored]) => entry.resolve(stored),
            (alone: unknown) => entry.reject(alone),
          ),
        ),
      );
    }
  };

  const drain = async () => {
    scheduled = false;
    if (writing) return;
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, maxRows);
        waiting = waiting.slice(maxRows);
        await write(batch);
      }
    } finally {
      writing = false;
    }
    const woken = idlers;
    idlers = [];
    for (const wake of woken) wake();
  };

  return {
    insert: (row) =>
      new Promise<InboxRow | undefined>((resolve, reject) => {
        waiting.push({ row, resolve, reject });
        // While a round is being written, the loop in `drain` picks this row up next.
        if (writing || scheduled) return;
        scheduled = true;
        setImmediate(() => void drain());
      }),
    busy,
    idle: () => (busy() ? new Promise<void>((resolve) => idlers.push(resolve)) : Promise.resolve()),
  };
}

export interface Applier {
  /** Queues `row` to be applied soon; false when the queue is full (its apply job, written with it, will do it). */
  push(row: InboxRow): boolean;
}

/**
 * Applies freshly stored notifications one at a time, giving way to the inbox writer: an acknowledgement waits
 * only for its own insert, never behind a queue of applying transactions on the same connection (PGlite is one).
 * A row never applied here (a full queue, a crash) is applied by its job.
 */
export function applier(writer: InboxWriter, apply: (row: InboxRow) => Promise<void>, options: { readonly maxQueued?: number } = {}): Applier {
  const maxQueued = options.maxQueued ?? 10_000;
  const queue: InboxRow[] = [];
  let running = false;

  const run = async () => {
    running = true;
    try {
      while (queue.length > 0) {
        // Deliveries being stored go first; a turn of the event loop lets those arriving right now join them.
        await writer.idle();
        await new Promise((resolve) => setImmediate(resolve));
        if (writer.busy()) continue;
        const row = queue.shift();
        if (row) await apply(row);
      }
    } finally {
      running = false;
    }
  };

  return {
    push: (row) => {
      if (queue.length >= maxQueued) return false;
      queue.push(row);
      if (!running) void run();
      return true;
    },
  };
}
