import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../store/db.ts';
import type { InboxRow, NewInboxWithJob } from '../store/inbox.ts';
import { newId } from '../store/ids.ts';
import { testEngines } from '../store/testing.ts';
import { applier, inboxWriter } from './group-commit.ts';

const received = (eventId: string, extra: Partial<NewInboxWithJob> = {}): NewInboxWithJob => ({
  channel: 'wechatpay',
  eventId,
  headers: { 'wechatpay-serial': 'PUB_KEY_ID_1', quoted: 'a "b" \\ {c}' },
  body: `{"id":"${eventId}"}`,
  verified: true,
  status: 'received',
  subject: { kind: 'payment', channelOrderNo: eventId },
  applyAt: new Date(Date.now() + 5000),
  ...extra,
});

describe.each(testEngines())('inbox group commit on $name', (engine) => {
  let db: Db;
  let statements = 0;
  // Counts the statements sent, to tell one multi-row round from one statement per row.
  let counted: Queryable;

  beforeAll(async () => {
    db = await engine.open();
    counted = {
      query: (sql, params) => {
        statements++;
        return db.query(sql, params);
      },
    };
  });
  afterAll(() => db.close());

  it('stores concurrent deliveries in one statement, each with its apply job, each caller getting its own row', async () => {
    const writer = inboxWriter(counted);
    const ids = Array.from({ length: 20 }, () => newId('evt'));
    statements = 0;
    const rows = await Promise.all(ids.map((id) => writer.insert(received(id))));
    expect(statements).toBe(1);
    expect(rows.map((row) => row?.event_id)).toEqual(ids);
    expect(rows.map((row) => row?.headers['quoted'])).toEqual(ids.map(() => 'a "b" \\ {c}'));
    const jobs = await db.query<{ ref: string }>("SELECT ref FROM jobs WHERE kind = 'apply-inbox' AND ref = ANY($1::text[])", [rows.map((row) => row?.id)]);
    expect(jobs).toHaveLength(20);
  });

  it('tells a duplicate apart per delivery: in the same round, and of an event stored before', async () => {
    const writer = inboxWriter(counted);
    const [stored] = await Promise.all([writer.insert(received('dup-before'))]);
    expect(stored).toBeDefined();
    statements = 0;
    const [first, again, sameRound, other] = await Promise.all([
      writer.insert(received('dup-round')),
      writer.insert(received('dup-before')),
      writer.insert(received('dup-round', { body: 'a second copy' })),
      writer.insert(received('dup-other')),
    ]);
    expect(statements).toBe(1);
    expect(first?.event_id).toBe('dup-round');
    expect(first?.body).toBe('{"id":"dup-round"}');
    expect(again).toBeUndefined();
    expect(sameRound).toBeUndefined();
    expect(other?.event_id).toBe('dup-other');
    const [count] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM notification_inbox WHERE event_id = 'dup-round'");
    expect(count?.n).toBe(1);
    // One apply job for the one stored copy.
    const [jobs] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE kind = 'apply-inbox' AND ref = $1", [first?.id]);
    expect(jobs?.n).toBe(1);
  });

  it('fails only the bad row of a round; the others are stored and answered', async () => {
    const writer = inboxWriter(counted);
    const results = await Promise.allSettled([
      writer.insert(received('good-1')),
      // Not a status the inbox accepts (CHECK constraint): the round fails, then each row is tried alone.
      writer.insert(received('bad', { status: 'nonsense' as InboxRow['status'] })),
      writer.insert(received('good-2')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const stored = await db.query<{ event_id: string }>("SELECT event_id FROM notification_inbox WHERE event_id IN ('good-1', 'good-2', 'bad') ORDER BY event_id");
    expect(stored.map((row) => row.event_id)).toEqual(['good-1', 'good-2']);
  });

  it('answers no caller before its round has been written', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A store whose write is held: the caller must still be waiting, then see its row once the write completes.
    const held: Queryable = { query: async (sql, params) => (await gate, db.query(sql, params)) };
    const writer = inboxWriter(held);
    let answered = false;
    const pending = writer.insert(received('held')).then((row) => ((answered = true), row));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(answered).toBe(false);
    expect(writer.busy()).toBe(true);
    release();
    expect((await pending)?.event_id).toBe('held');
    await writer.idle();
    expect(writer.busy()).toBe(false);
  });
});

describe('applying after the acknowledgement', () => {
  it('gives way to rows being stored and applies each queued row once, in order', async () => {
    let busy = true;
    const idlers: (() => void)[] = [];
    const writer = {
      insert: () => Promise.resolve(undefined),
      busy: () => busy,
      idle: () => (busy ? new Promise<void>((resolve) => idlers.push(resolve)) : Promise.resolve()),
    };
    const applied: string[] = [];
    const queue = applier(writer, async (row) => void applied.push(row.id), { maxQueued: 2 });
    const row = (id: string) => ({ id }) as InboxRow;
    expect(queue.push(row('a'))).toBe(true);
    expect(queue.push(row('b'))).toBe(true);
    // Full: left to the row's apply job.
    expect(queue.push(row('c'))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(applied).toEqual([]);
    busy = false;
    for (const wake of idlers.splice(0)) wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(applied).toEqual(['a', 'b']);
  });
});
