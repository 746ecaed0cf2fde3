// Reconciliation end to end: payments and refunds made through the BFF at the channel sandbox, the sandbox's daily
// bills (real formats, real download paths) with injected discrepancies, and the day run through the operator API,
// the CLI and the daily job; results read through the merchant and operator APIs. Every discrepancy type of issue 6
// item 5 is detected from real bills, unmatched lines wait one day, re-runs change nothing, resolutions stay.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HTTP } from '../../bff/channels/index.ts';
import type { Deps } from '../../bff/deps.ts';
import { HANDLERS } from '../../bff/jobs/handlers.ts';
import { startWorker } from '../../bff/jobs/worker.ts';
import { reconcileRef, scheduleReconciliation, settleRunningReconciliations } from '../../bff/reconcile/job.ts';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { SANDBOX_FEE_TERMS } from '../../demo/sandbox/bills.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { UNKNOWN, billAvailableAt, clearingDay, clearingWindow, shiftDay } from '../../shared/channels/index.ts';
import { feeCharged } from '../../shared/fees/index.ts';

const KEY = 'sk_test_reconcile_0123456789';
const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHANNELS = ['wechatpay', 'alipay', 'unionpay'] as const;
type Channel = (typeof CHANNELS)[number];
const OPTION: Record<Channel, string> = { wechatpay: 'wechatpay:native', alipay: 'alipay:precreate', unionpay: 'unionpay:app' };
/** The amount of the extra line injected in each channel's bill: no order of ours has it. */
const EXTRA_AMOUNT = 999;

let sandbox: TestSandbox;
let bff: RunningBff;

interface Payment {
  readonly orderId: string;
  /** Channel order number: the key of its bill line. */
  readonly no: string;
  readonly amount: number;
  readonly fee: number;
}
interface Refund {
  readonly id: string;
  /** Our refund number at the channel: the key of its bill line. */
  readonly no: string;
  readonly amount: number;
  readonly fee: number;
}
interface Case {
  /** The clearing day of every payment and refund of the channel. */
  day: string;
  readonly payments: { missing: Payment; amount: Payment; fee: Payment; status?: Payment; clean: Payment; full: Payment };
  /** partial: clean; full: fee differs on the bill; missing: not on the bill. */
  readonly refunds: { partial: Refund; full: Refund; missing: Refund };
}
const cases = {} as Record<Channel, Case>;

interface ApiItem {
  id: string;
  kind: 'payment' | 'refund';
  key: string;
  type: string;
  state: string;
  orderId: string | null;
  ours: { amount: number; fee: number | null; status: string } | null;
  theirs: { amount: number; fee: number | null; status: string } | null;
  resolution?: string;
  createdAt: string;
}

const clock = () => sandbox.sandbox.context.clock;

/** While set, WeChat Pay's bill downloads fail as if the channel could not be reached. */
let wechatBillsDown = false;
const channelFetch: typeof fetch = (input, init) => {
  const request = new Request(input, init);
  if (wechatBillsDown && new URL(request.url).pathname.startsWith('/v3/bill/')) return Promise.reject(new TypeError('fetch failed'));
  return fetch(request);
};

async function call(path: string, options: { token?: string; body?: unknown; idempotencyKey?: string; method?: string } = {}) {
  const response = await fetch(`${bff.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${options.token ?? KEY}`,
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, any> };
}

const ops = (path: string, method = 'GET') => call(`/ops/v1${path}`, { token: OPERATOR, method });
const run = (channel: Channel, day: string) => ops(`/reconciliation/days/${channel}/${day}/run`, 'POST');

async function control(path: string, body: unknown) {
  const response = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json();
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json;
}

/** Moves the sandbox clock (the channels', and the adapters' with it) to `at`. */
async function advanceTo(at: Date): Promise<void> {
  const seconds = Math.ceil((at.getTime() - clock().now().getTime()) / 1000);
  if (seconds > 0) await control('/control/clock', { advanceSeconds: seconds });
}

/** Items of a day, every state, through the merchant API (or the operator's). */
async function items(channel: Channel, day: string, token = KEY): Promise<ApiItem[]> {
  const prefix = token === KEY ? '/v1' : '/ops/v1';
  const answer = await call(`${prefix}/reconciliation/days/${channel}/${day}?limit=500`, { token });
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  return answer.json.items as ApiItem[];
}

const shape = (list: readonly ApiItem[]) =>
  list
    .map((i) => ({ kind: i.kind, key: i.key, type: i.type, state: i.state, ours: i.ours?.amount ?? null, theirs: i.theirs?.amount ?? null }))
    .sort((a, b) => `${a.kind}${a.key}${a.type}`.localeCompare(`${b.kind}${b.key}${b.type}`));

const identity = (list: readonly ApiItem[]) => list.map((i) => ({ id: i.id, type: i.type, state: i.state })).sort((a, b) => a.id.localeCompare(b.id));
/** When each item was first raised, by id. */
const raised = (list: readonly ApiItem[]) => Object.fromEntries(list.map((i) => [i.id, i.createdAt]));

/** A paid order: created, paid at the sandbox, succeeded on our side; with its channel order number and fee. */
async function pay(channel: Channel, amount: number): Promise<Payment> {
  const created = await call('/v1/orders', { body: { merchantOrderNo: `RC${randomBytes(6).toString('hex')}`, amount, subject: 'Tea set' } });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const orderId = created.json.order.id as string;
  const session = await call(`/v1/orders/${orderId}/cashier-sessions`, { body: {} });
  const paid = await call('/cashier/v1/pay', { token: session.json.token, body: { optionId: OPTION[channel], ...(channel === 'unionpay' ? { evidence: { hasAppBridge: true } } : {}) } });
  expect(paid.status, JSON.stringify(paid.json)).toBe(201);
  const [attempt] = await bff.deps.db.query<{ channel_order_no: string }>('SELECT channel_order_no FROM payment_attempts WHERE id = $1', [paid.json.attemptId]);
  await sandbox.sandbox.channels[channel].pay(attempt!.channel_order_no);
  await vi.waitFor(async () => expect((await call(`/v1/orders/${orderId}`)).json.order.status).toBe('succeeded'), { timeout: 20_000, interval: 50 });
  const [row] = await bff.deps.db.query<{ fee_charged: number | null; paid_at: Date }>(
    "SELECT fee_charged, paid_at FROM payment_attempts WHERE order_id = $1 AND status = 'succeeded'",
    [orderId],
  );
  // The fee we recorded is the contracted one: the same terms as the sandbox's (SANDBOX_FEE_TERMS).
  expect(Number(row?.fee_charged)).toBe(feeCharged(channel, amount, SANDBOX_FEE_TERMS[channel]));
  return { orderId, no: attempt!.channel_order_no, amount, fee: Number(row!.fee_charged) };
}

/** A refund through the merchant API, succeeded on our side. */
async function refund(payment: Payment, amount: number): Promise<Refund> {
  const made = await call(`/v1/orders/${payment.orderId}/refunds`, { body: { merchantRefundNo: `RR${randomBytes(4).toString('hex')}`, amount } });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  const id = made.json.refund.id as string;
  await vi.waitFor(async () => expect((await call(`/v1/refunds/${id}`)).json.refund.status).toBe('succeeded'), { timeout: 20_000, interval: 50 });
  const [row] = await bff.deps.db.query<{ channel_refund_no: string; fee_returned: number | null; succeeded_at: Date | null }>(
    'SELECT channel_refund_no, fee_returned, succeeded_at FROM refunds WHERE id = $1',
    [id],
  );
  expect(row?.fee_returned).not.toBeNull();
  expect(row?.succeeded_at).not.toBeNull();
  return { id, no: row!.channel_refund_no, amount, fee: Number(row!.fee_returned) };
}

/**
 * Payments are made on the channels' real clock: if a clearing day ends within the next half minute (midnight
 * Beijing, or UnionPay's 23:00), wait it out so that one channel's payments and refunds share a day.
 */
async function awayFromCutoffs(): Promise<void> {
  const now = clock().now();
  const soon = new Date(now.getTime() + 30_000);
  let until = 0;
  for (const channel of CHANNELS) {
    const later = clearingDay(channel, soon);
    if (later === UNKNOWN || later === clearingDay(channel, now)) continue;
    const window = clearingWindow(channel, later);
    if (window !== UNKNOWN) until = Math.max(until, window.start.getTime() + 2000);
  }
  if (until > 0) await new Promise((resolve) => setTimeout(resolve, until - now.getTime()));
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const dataDir = join(sandbox.credentialsDir, '..');
  const fees = { wechatpay: SANDBOX_FEE_TERMS.wechatpay, alipay: SANDBOX_FEE_TERMS.alipay, unionpay: SANDBOX_FEE_TERMS.unionpay };
  const channels = [{ id: 'wechatpay' }, { id: 'alipay', products: ['precreate'] }, { id: 'unionpay' }];
  writeFileSync(join(dataDir, 'merchants.json'), JSON.stringify([{ id: 'mch_reconcile', name: 'Reconcile Tea', apiKey: KEY, settings: { channels, fees } }]));
  const url = process.env.TEST_DATABASE_URL;
  bff = await startBff({
    dataDir,
    port: 0,
    hostname: '127.0.0.1',
    env: { ...process.env, CASHIER_OPERATOR_TOKEN: OPERATOR },
    // The adapters sign with the channels' clock (WeChat refuses a timestamp 5 min off), which the test moves on to
    // make bills available; the BFF's own clock stays real.
    http: { ...DEFAULT_HTTP, fetch: channelFetch, now: () => clock().now() },
    log: (line) => {
      if (line.level === 'error') console.error(JSON.stringify(line));
    },
    timeScale: 0.002,
    workerOptions: { pollMs: 20 },
    ...(url ? { databaseUrl: url, databaseSchema: `rc_${randomBytes(5).toString('hex')}` } : {}),
  });
  await awayFromCutoffs();
  await Promise.all(
    CHANNELS.map(async (channel) => {
      const [missing, amount, fee, clean, full, status] = await Promise.all([
        pay(channel, 10_000),
        pay(channel, 12_800),
        pay(channel, 15_000),
        pay(channel, 20_000),
        pay(channel, 6_600),
        ...(channel === 'wechatpay' ? [pay(channel, 8_800)] : []),
      ]);
      const [partial, fullRefund, missingRefund] = await Promise.all([refund(clean!, 5_000), refund(full!, 6_600), refund(amount!, 2_000)]);
      const payments = { missing: missing!, amount: amount!, fee: fee!, clean: clean!, full: full!, ...(status ? { status } : {}) };
      const times = await bff.deps.db.query<{ at: Date }>(
        `SELECT paid_at AS at FROM payment_attempts WHERE status = 'succeeded' AND channel = $1
         UNION ALL SELECT succeeded_at FROM refunds WHERE channel = $1`,
        [channel],
      );
      const days = new Set(times.map((row) => clearingDay(channel, new Date(row.at))));
      expect(days.size).toBe(1);
      cases[channel] = { day: [...days][0] as string, payments, refunds: { partial: partial!, full: fullRefund!, missing: missingRefund! } };
    }),
  );
}, 90_000);

afterAll(async () => {
  await bff?.close();
  await sandbox?.close();
});

/** What each channel's day D should hold for the merchant, by the discrepancies injected. */
function expected(channel: Channel, state: { waiting: string }) {
  const { payments: p, refunds: r } = cases[channel];
  const list = [
    { kind: 'payment', key: p.missing.no, type: 'ours_only', state: state.waiting, ours: p.missing.amount, theirs: null },
    { kind: 'payment', key: p.amount.no, type: 'amount_mismatch', state: 'open', ours: p.amount.amount, theirs: p.amount.amount + 100 },
    { kind: 'payment', key: p.fee.no, type: 'fee_mismatch', state: 'open', ours: p.fee.amount, theirs: p.fee.amount },
    { kind: 'refund', key: r.full.no, type: 'fee_mismatch', state: 'open', ours: r.full.amount, theirs: r.full.amount },
    { kind: 'refund', key: r.missing.no, type: 'ours_only', state: state.waiting, ours: r.missing.amount, theirs: null },
    ...(p.status ? [{ kind: 'payment', key: p.status.no, type: 'status_mismatch', state: state.waiting, ours: p.status.amount, theirs: p.status.amount }] : []),
  ];
  return list.sort((a, b) => `${a.kind}${a.key}${a.type}`.localeCompare(`${b.kind}${b.key}${b.type}`));
}

describe('reconciliation against the sandbox bills', () => {
  it('answers 425 for a day whose bill is not out yet, and leaves no lines or items', async () => {
    for (const channel of CHANNELS) {
      const answer = await run(channel, cases[channel].day);
      expect(answer.status, JSON.stringify(answer.json)).toBe(425);
      expect(answer.json).toMatchObject({ status: 'not-ready', channel, day: cases[channel].day });
      expect(await items(channel, cases[channel].day, OPERATOR)).toEqual([]);
      const [day] = (await call(`/v1/reconciliation/days?channel=${channel}&from=${cases[channel].day}&to=${cases[channel].day}`)).json.days;
      expect(day).toMatchObject({ status: 'scheduled', billLines: null, matched: null, waiting: 0, open: 0 });
    }
    const [lines] = await bff.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reconciliation_lines');
    expect(lines?.n).toBe(0);
  });

  it('finds every discrepancy injected in each channel’s bill of day D, and waits a day before raising the unmatched', async () => {
    for (const channel of CHANNELS) {
      const { day, payments: p, refunds: r } = cases[channel];
      const inject = (body: unknown) => control(`/control/bills/${channel}/${day}/discrepancies`, body);
      await inject({ kind: 'missing', key: p.missing.no });
      await inject({ kind: 'extra', amount: EXTRA_AMOUNT });
      await inject({ kind: 'amount', key: p.amount.no, delta: 100 });
      await inject({ kind: 'fee', key: p.fee.no, delta: 5 });
      await inject({ kind: 'fee', key: r.full.no, delta: 3 });
      await inject({ kind: 'missing', key: r.missing.no });
      if (p.status) await inject({ kind: 'status', key: p.status.no, status: 'REVOKED' });
    }
    await advanceTo(new Date(Math.max(...CHANNELS.map((c) => (billAvailableAt(c, cases[c].day) as Date).getTime())) + 60_000));

    for (const channel of CHANNELS) {
      const { day, payments: p, refunds: r } = cases[channel];
      const answer = await run(channel, day);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      // Lines: every payment and refund but the two missing, plus the extra one.
      const lines = Object.keys(p).length + 3 - 2 + 1;
      // Matched: the clean payment, the fully refunded payment and the partial refund.
      expect(answer.json).toMatchObject({ status: 'done', counts: { lines, matched: 3 } });

      const mine = await items(channel, day);
      expect(shape(mine), channel).toEqual(expected(channel, { waiting: 'waiting' }));
      expect(mine.every((i) => i.orderId !== null)).toBe(true);
      // Fees on both sides of a fee mismatch: ours by the contracted terms, the bill's as injected.
      const feeItem = mine.find((i) => i.type === 'fee_mismatch' && i.kind === 'payment');
      expect(feeItem).toMatchObject({ orderId: p.fee.orderId, ours: { fee: p.fee.fee }, theirs: { fee: p.fee.fee + 5 } });
      const refundFee = mine.find((i) => i.type === 'fee_mismatch' && i.kind === 'refund');
      expect(refundFee).toMatchObject({ orderId: p.full.orderId, ours: { fee: r.full.fee }, theirs: { fee: r.full.fee + 3 } });

      // The extra line belongs to no order of ours: the merchant does not see it, the operator does.
      const all = await items(channel, day, OPERATOR);
      const extra = all.filter((i) => i.type === 'channel_only');
      expect(extra).toHaveLength(1);
      expect(extra[0]).toMatchObject({ kind: 'payment', state: 'waiting', orderId: null, ours: null, theirs: { amount: EXTRA_AMOUNT } });
      expect(identity(all.filter((i) => i.type !== 'channel_only'))).toEqual(identity(mine));

      const days = (await call('/v1/reconciliation/days')).json.days as Record<string, any>[];
      const summary = days.find((d) => d.channel === channel && d.date === day);
      const waiting = p.status ? 3 : 2;
      expect(summary).toMatchObject({
        status: 'done',
        // The merchant's own lines: the extra one belongs to no order of its.
        billLines: lines - 1,
        matched: 3,
        waiting,
        open: 3,
        resolved: 0,
        items: { ours_only: 2, channel_only: 0, amount_mismatch: 1, fee_mismatch: 2, status_mismatch: p.status ? 1 : 0 },
      });
      expect(summary).not.toHaveProperty('unattributed');
      const opsDay = (await ops(`/reconciliation/days?channel=${channel}&from=${day}&to=${day}`)).json.days[0];
      expect(opsDay).toMatchObject({ billLines: lines, matched: 3, waiting: waiting + 1, open: 3, unattributed: 1, items: { channel_only: 1 } });
    }
  });

  it('prints the same items through the CLI', async () => {
    const { day } = cases.wechatpay;
    const before = await items('wechatpay', day, OPERATOR);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bff/reconcile/cli.ts', '--channel', 'wechatpay', '--date', day, '--json'], {
      cwd: ROOT,
      env: { ...process.env, BFF_URL: bff.url, CASHIER_OPERATOR_TOKEN: OPERATOR, DATA_DIR: join(sandbox.credentialsDir, '..') },
      timeout: 20_000,
    });
    const reports = JSON.parse(stdout) as { result: Record<string, any>; items: ApiItem[] }[];
    expect(reports).toHaveLength(1);
    expect(reports[0]!.result).toMatchObject({ status: 'done', channel: 'wechatpay', day, counts: { matched: 3 } });
    expect(identity(reports[0]!.items)).toEqual(identity(before));
    expect(shape(reports[0]!.items)).toEqual(shape(before));
  });

  it('gives the same items when a day is run again, and keeps what the merchant resolved', async () => {
    for (const channel of CHANNELS) {
      const { day } = cases[channel];
      const before = await items(channel, day, OPERATOR);
      expect((await run(channel, day)).status).toBe(200);
      const after = await items(channel, day, OPERATOR);
      expect(identity(after)).toEqual(identity(before));
      // The same items, not new ones: raised when they were first found.
      expect(raised(after)).toEqual(raised(before));
    }
    // A channel this BFF has no credentials for is not there.
    expect((await run('qqwallet' as Channel, cases.wechatpay.day)).status).toBe(404);

    const { day, payments: p } = cases.wechatpay;
    const target = (await items('wechatpay', day)).find((i) => i.type === 'amount_mismatch' && i.key === p.amount.no)!;
    const idempotencyKey = crypto.randomUUID();
    const resolved = await call(`/v1/reconciliation/items/${target.id}/resolve`, { body: { note: 'the bill was corrected by the channel' }, idempotencyKey });
    expect(resolved.status, JSON.stringify(resolved.json)).toBe(200);
    expect(resolved.json.item).toMatchObject({ id: target.id, state: 'resolved', resolution: 'the bill was corrected by the channel' });
    const replay = await call(`/v1/reconciliation/items/${target.id}/resolve`, { body: { note: 'the bill was corrected by the channel' }, idempotencyKey });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json).toEqual(resolved.json);
    // Not the merchant's to resolve: the line that belongs to no order of ours.
    const extra = (await items('wechatpay', day, OPERATOR)).find((i) => i.type === 'channel_only')!;
    expect((await call(`/v1/reconciliation/items/${extra.id}/resolve`, { body: { note: 'mine?' } })).status).toBe(404);

    const before = await items('wechatpay', day, OPERATOR);
    expect((await run('wechatpay', day)).status).toBe(200);
    const after = await items('wechatpay', day, OPERATOR);
    expect(identity(after)).toEqual(identity(before));
    expect(after.find((i) => i.id === target.id)).toMatchObject({ state: 'resolved', resolution: 'the bill was corrected by the channel' });
    const summary = (await call(`/v1/reconciliation/days?channel=wechatpay&from=${day}&to=${day}`)).json.days[0];
    expect(summary).toMatchObject({ resolved: 1, open: 2, waiting: 3 });
  });

  it('raises day D’s waiting items once day D+1’s bill is in: through the operator API and the daily job', async () => {
    // WeChat's D+1 through the operator API, before and after its bill hour.
    const wechatNext = shiftDay(cases.wechatpay.day, 1);
    expect((await run('wechatpay', wechatNext)).status).toBe(425);
    await advanceTo(new Date(Math.max(...CHANNELS.map((c) => (billAvailableAt(c, shiftDay(cases[c].day, 1)) as Date).getTime())) + 60_000));
    const waitingBefore = await items('wechatpay', cases.wechatpay.day, OPERATOR);

    // A re-run of D that cannot reach the channel changes nothing of D: it stays done, with the error noted, so
    // D+1's run still raises D's waiting items.
    wechatBillsDown = true;
    try {
      const failed = await run('wechatpay', cases.wechatpay.day);
      expect(failed.status, JSON.stringify(failed.json)).toBe(502);
      expect(failed.json).toMatchObject({ status: 'failed' });
    } finally {
      wechatBillsDown = false;
    }
    const [kept] = (await ops(`/reconciliation/days?channel=wechatpay&from=${cases.wechatpay.day}&to=${cases.wechatpay.day}`)).json.days;
    expect(kept).toMatchObject({ status: 'done', matched: 3, lastError: { code: expect.any(String) } });
    expect(identity(await items('wechatpay', cases.wechatpay.day, OPERATOR))).toEqual(identity(waitingBefore));

    const next = await run('wechatpay', wechatNext);
    expect(next.status, JSON.stringify(next.json)).toBe(200);
    const wechat = await items('wechatpay', cases.wechatpay.day);
    expect(wechat.filter((i) => i.state === 'waiting')).toEqual([]);
    expect(shape(wechat.filter((i) => i.state !== 'resolved'))).toEqual(
      expected('wechatpay', { waiting: 'open' }).filter((i) => !(i.type === 'amount_mismatch' && i.kind === 'payment')),
    );
    const raisedNow = await items('wechatpay', cases.wechatpay.day, OPERATOR);
    expect(raisedNow.find((i) => i.type === 'channel_only')?.state).toBe('open');
    // Raised, not replaced: the same ids, first raised when D was run.
    expect(raised(raisedNow)).toEqual(raised(waitingBefore));

    // Alipay's and UnionPay's D+1 by the daily job alone: scheduled as a BFF starting just after each one's bill hour
    // would (the newest day whose bill is out), and run by a job runner on the channels' clock.
    const deps: Deps = { ...bff.deps, now: () => clock().now() };
    const worker = startWorker(deps, HANDLERS, { pollMs: 20 });
    try {
      for (const channel of ['alipay', 'unionpay'] as const) {
        const startedAt = new Date((billAvailableAt(channel, shiftDay(cases[channel].day, 1)) as Date).getTime() + 60_000);
        await scheduleReconciliation({ ...deps, adapters: { [channel]: bff.deps.adapters[channel]! }, now: () => startedAt });
      }
      await vi.waitFor(
        async () => {
          for (const channel of ['alipay', 'unionpay'] as const) {
            const [runRow] = await bff.deps.db.query<{ status: string }>(
              "SELECT status FROM reconciliation_runs WHERE channel = $1 AND bill_date = $2::date",
              [channel, shiftDay(cases[channel].day, 1)],
            );
            expect(runRow?.status).toBe('done');
          }
        },
        { timeout: 15_000, interval: 50 },
      );
      // Having finished a day, the job plans the next one for that day's bill hour (WeChat's, at least, is ahead).
      const ahead = CHANNELS.filter((channel) => (billAvailableAt(channel, shiftDay(cases[channel].day, 2)) as Date).getTime() > clock().now().getTime());
      expect(ahead).toContain('wechatpay');
      await scheduleReconciliation({ ...deps, adapters: { wechatpay: bff.deps.adapters.wechatpay! } });
      await vi.waitFor(
        async () => {
          for (const channel of ahead) {
            const after = shiftDay(cases[channel].day, 2);
            const [job] = await bff.deps.db.query<{ run_at: Date }>("SELECT run_at FROM jobs WHERE kind = 'reconcile' AND ref = $1", [reconcileRef(channel, after)]);
            expect(new Date(job!.run_at).getTime()).toBe((billAvailableAt(channel, after) as Date).getTime());
          }
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      await worker.stop();
      await settleRunningReconciliations();
    }
    for (const channel of ['alipay', 'unionpay'] as const) {
      expect(shape(await items(channel, cases[channel].day))).toEqual(expected(channel, { waiting: 'open' }));
    }
  });
});
