import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { testEngines } from '../store/testing.ts';
import { nextQueryDelay, QUERY_LADDER_SECONDS, retryDelay } from './backoff.ts';
import { claim, finish, reschedule, schedule } from './queue.ts';

describe.each(testEngines())('jobs on $name', (engine) => {
  let db: Db;
  beforeAll(async () => {
    db = await engine.open();
  }, 30_000);
  afterAll(async () => db?.close());

  const now = new Date('2026-11-27T10:00:00Z');
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it('keeps one job per kind and object; "earliest" only moves it sooner', async () => {
    await schedule(db, 'query-attempt', 'att_a', at(60));
    await schedule(db, 'query-attempt', 'att_a', at(120));
    await schedule(db, 'query-attempt', 'att_a', at(10));
    const rows = await db.query<{ run_at: Date }>("SELECT run_at FROM jobs WHERE ref = 'att_a'");
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0]!.run_at)).toEqual(at(10));
    await schedule(db, 'query-attempt', 'att_a', at(300), 'replace');
    expect(new Date((await db.query<{ run_at: Date }>("SELECT run_at FROM jobs WHERE ref = 'att_a'"))[0]!.run_at)).toEqual(at(300));
  });

  it('claims only due jobs, leases them, and lets a lapsed lease be claimed again', async () => {
    await schedule(db, 'expire-order', 'ord_due', at(-1));
    await schedule(db, 'expire-order', 'ord_later', at(3600));
    const first = await claim(db, now, 10, 30_000);
    expect(first.map((job) => job.ref)).toContain('ord_due');
    expect(first.map((job) => job.ref)).not.toContain('ord_later');
    expect(await claim(db, now, 10, 30_000)).toEqual([]);
    // The holder died: after the lease, another claimer takes it (attempts counts every claim).
    const again = await claim(db, at(31), 10, 30_000);
    expect(again.find((job) => job.ref === 'ord_due')?.attempts).toBe(2);
    await finish(db, again.find((job) => job.ref === 'ord_due')!);
    expect(await db.query("SELECT 1 FROM jobs WHERE ref = 'ord_due'")).toEqual([]);
  });

  it('keeps a job that was scheduled again while it ran, and reschedules on request', async () => {
    await schedule(db, 'deliver-webhook', 'whd_x', at(-1));
    const [job] = (await claim(db, now, 10, 30_000)).filter((j) => j.ref === 'whd_x');
    await schedule(db, 'deliver-webhook', 'whd_x', at(500), 'replace');
    await finish(db, job!);
    expect(await db.query("SELECT 1 FROM jobs WHERE ref = 'whd_x'")).toHaveLength(1);
    await reschedule(db, job!, at(900), 'HTTP 503');
    expect(await db.query("SELECT last_error FROM jobs WHERE ref = 'whd_x'")).toEqual([{ last_error: 'HTTP 503' }]);
  });

  it('never hands one job to two claimers at once', async () => {
    for (let i = 0; i < 60; i++) await schedule(db, 'apply-inbox', `ntf_${i}`, at(-1));
    const claims = await Promise.all(Array.from({ length: 6 }, () => claim(db, now, 15, 30_000)));
    const ids = claims.flat().filter((job) => job.ref.startsWith('ntf_')).map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });
});

describe('backoff', () => {
  it('queries on the article\u2019s growing ladder, with jitter, and stops when it is spent', () => {
    expect(QUERY_LADDER_SECONDS.slice(0, 4)).toEqual([5, 10, 20, 60]);
    for (let i = 0; i < QUERY_LADDER_SECONDS.length; i++) {
      const delay = nextQueryDelay(i)!;
      expect(delay).toBeGreaterThanOrEqual(QUERY_LADDER_SECONDS[i]! * 0.8);
      expect(delay).toBeLessThanOrEqual(QUERY_LADDER_SECONDS[i]! * 1.2);
    }
    expect(nextQueryDelay(QUERY_LADDER_SECONDS.length)).toBeUndefined();
  });

  it('spends at most 8 channel calls on an order nobody pays: the ladder, then the close at expiry', () => {
    expect(QUERY_LADDER_SECONDS.length + 1).toBeLessThanOrEqual(8);
  });

  it('retries exponentially up to a cap', () => {
    expect(retryDelay(1)).toBeLessThanOrEqual(36);
    expect(retryDelay(30)).toBeLessThanOrEqual(6 * 3600 * 1.2);
    expect(retryDelay(30)).toBeGreaterThanOrEqual(6 * 3600 * 0.8);
  });
});
