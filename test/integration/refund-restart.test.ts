// Refund idempotency across a BFF restart (issue 6 item 6): the Idempotency-Key and the merchant's refund number
// both survive the process, and a refund job cut off by a dying process — before its request left, or after the
// channel took it but before the answer came back — is finished by the next process with the same refund number,
// so the channel refunds exactly once. The store is on disk (PGlite data directory, or a PostgreSQL schema).

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HTTP } from '../../bff/channels/index.ts';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { refundsOf } from '../../demo/sandbox/wechatpay/refund-book.ts';

const KEY = 'sk_test_refund_restart_0123456789';
const REFUND_PATH = '/v3/refund/domestic/refunds';
const url = process.env.TEST_DATABASE_URL;
const schema = `rr_${randomBytes(5).toString('hex')}`;

let sandbox: TestSandbox;
let dataDir: string;
let bff: RunningBff | undefined;
/** One port for every BFF of this file: the channel notifies the address it was given, whichever process is there. */
const port = 20_000 + Math.floor(Math.random() * 10_000);

/** The out_refund_no of every refund request a BFF sent towards the channel. */
const refundRequests: string[] = [];
/**
 * What happens to the next refund request: `before` — the process "dies" before it leaves (it never reaches the
 * channel); `after` — the channel takes it, and the process "dies" before the answer is back.
 */
let cutNext: 'before' | 'after' | undefined;
let cut: Promise<void> = Promise.resolve();
let markCut: () => void = () => {};

const channelFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  if (request.method !== 'POST' || !new URL(request.url).pathname.endsWith(REFUND_PATH)) return fetch(request);
  const body = (await request.clone().json()) as { out_refund_no: string };
  refundRequests.push(body.out_refund_no);
  const mode = cutNext;
  cutNext = undefined;
  if (!mode) return fetch(request);
  if (mode === 'after') await (await fetch(request)).text();
  markCut();
  // No answer, ever: the process is gone. (Settles only when the dead process's client gives up.)
  return new Promise<Response>((_resolve, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
};

async function start(): Promise<RunningBff> {
  return startBff({
    dataDir,
    port,
    hostname: '127.0.0.1',
    http: { ...DEFAULT_HTTP, fetch: channelFetch },
    log: (line) => {
      if (line.level === 'error') console.error(JSON.stringify(line));
    },
    timeScale: 0.002,
    // A dead process's claims lapse quickly, so the next one picks its jobs up within the test.
    workerOptions: { pollMs: 20, leaseMs: 1000 },
    ...(url ? { databaseUrl: url, databaseSchema: schema } : {}),
  });
}

/**
 * A process that dies: it stops answering and its store is gone, so whatever it was doing writes nothing more. (Its
 * job runner is told to stop, so that it does not poll the closed store once the hung request gives up.)
 */
async function kill(running: RunningBff): Promise<void> {
  void running.worker?.stop();
  (running.server as Server).closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
  await running.deps.db.close();
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  dataDir = join(sandbox.credentialsDir, '..');
  const settings = { channels: [{ id: 'wechatpay' }], fees: { wechatpay: { rate: '0.006' } } };
  writeFileSync(join(dataDir, 'merchants.json'), JSON.stringify([{ id: 'mch_restart', name: 'Restart Tea', apiKey: KEY, settings }]));
  bff = await start();
}, 60_000);

afterAll(async () => {
  await bff?.close();
  await sandbox?.close();
});

async function call(path: string, options: { body?: unknown; idempotencyKey?: string; token?: string } = {}) {
  const response = await fetch(`${bff!.url}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? KEY}`,
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, any> };
}

/** A WeChat Pay order paid at the sandbox and succeeded on our side; with its channel order number. */
async function paidOrder(amount = 12_800): Promise<{ orderId: string; channelOrderNo: string }> {
  const created = await call('/v1/orders', { body: { merchantOrderNo: `RS${randomBytes(6).toString('hex')}`, amount, subject: 'Tea set' } });
  const orderId = created.json.order.id as string;
  const session = await call(`/v1/orders/${orderId}/cashier-sessions`, { body: {} });
  const paid = await call('/cashier/v1/pay', { token: session.json.token, body: { optionId: 'wechatpay:native' } });
  expect(paid.status, JSON.stringify(paid.json)).toBe(201);
  const [attempt] = await bff!.deps.db.query<{ channel_order_no: string }>('SELECT channel_order_no FROM payment_attempts WHERE id = $1', [paid.json.attemptId]);
  await sandbox.sandbox.channels.wechatpay.pay(attempt!.channel_order_no);
  await vi.waitFor(async () => expect((await call(`/v1/orders/${orderId}`)).json.order.status).toBe('succeeded'), { timeout: 20_000, interval: 50 });
  return { orderId, channelOrderNo: attempt!.channel_order_no };
}

/** The refunds the channel holds for a payment. */
const channelRefunds = (channelOrderNo: string) => refundsOf(sandbox.sandbox.context.orders.get('wechatpay', channelOrderNo)!);

async function ourRefundNo(refundId: string): Promise<string> {
  const [row] = await bff!.deps.db.query<{ channel_refund_no: string }>('SELECT channel_refund_no FROM refunds WHERE id = $1', [refundId]);
  return row!.channel_refund_no;
}

describe('refunds across a BFF restart', () => {
  it('replays the same Idempotency-Key and finds the same merchantRefundNo after a restart, refunding once', async () => {
    const { orderId, channelOrderNo } = await paidOrder();
    const idempotencyKey = `restart-${randomBytes(4).toString('hex')}`;
    const body = { merchantRefundNo: 'RESTART-1', amount: 5000, reason: 'one cup broken' };
    const first = await call(`/v1/orders/${orderId}/refunds`, { body, idempotencyKey });
    expect(first.status, JSON.stringify(first.json)).toBe(201);

    // Closed right after the POST: the refund job may not have run yet; the next process carries on.
    await bff!.close();
    bff = await start();

    const replayed = await call(`/v1/orders/${orderId}/refunds`, { body, idempotencyKey });
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toEqual(first.json);
    const again = await call(`/v1/orders/${orderId}/refunds`, { body });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.json.refund.id).toBe(first.json.refund.id);
    // The same key with another body is not a replay.
    const other = await call(`/v1/orders/${orderId}/refunds`, { body: { ...body, amount: 4000 }, idempotencyKey });
    expect(other.status).toBe(422);

    await vi.waitFor(async () => expect((await call(`/v1/refunds/${first.json.refund.id}`)).json.refund.status).toBe('succeeded'), {
      timeout: 20_000,
      interval: 50,
    });
    const atChannel = channelRefunds(channelOrderNo);
    expect(atChannel).toHaveLength(1);
    expect(atChannel[0]).toMatchObject({ outRefundNo: await ourRefundNo(first.json.refund.id), amount: 5000, status: 'SUCCESS' });
    expect((await call(`/v1/orders/${orderId}/refunds`)).json.refunds).toHaveLength(1);
    expect((await call(`/v1/orders/${orderId}`)).json.order.amountRefunded).toBe(5000);
  });

  it.each([
    ['before its request left', 'before'],
    ['after the channel took it, before the answer came back', 'after'],
  ] as const)('finishes a refund whose process died %s, exactly once at the channel', async (_name, mode) => {
    const { orderId, channelOrderNo } = await paidOrder();
    // No refund notification: the outcome must come from the restarted process's own refund job.
    const fault = await fetch(`${sandbox.url}/control/faults/wechatpay/${channelOrderNo}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drop: true }),
    });
    expect(fault.status).toBe(200);
    const sentBefore = refundRequests.length;
    cut = new Promise((resolve) => (markCut = resolve));
    cutNext = mode;
    const made = await call(`/v1/orders/${orderId}/refunds`, { body: { merchantRefundNo: `CUT-${mode}`, amount: 12_800 } });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    const refundNo = await ourRefundNo(made.json.refund.id);
    await cut;
    expect(channelRefunds(channelOrderNo)).toHaveLength(mode === 'after' ? 1 : 0);
    await kill(bff!);
    bff = await start();

    await vi.waitFor(async () => expect((await call(`/v1/refunds/${made.json.refund.id}`)).json.refund.status).toBe('succeeded'), {
      timeout: 20_000,
      interval: 50,
    });
    // Sent twice, both times under the one refund number; refunded once.
    expect(refundRequests.slice(sentBefore)).toEqual([refundNo, refundNo]);
    const atChannel = channelRefunds(channelOrderNo);
    expect(atChannel).toHaveLength(1);
    expect(atChannel[0]).toMatchObject({ outRefundNo: refundNo, amount: 12_800, status: 'SUCCESS' });
    expect((await call(`/v1/orders/${orderId}`)).json.order.amountRefunded).toBe(12_800);
    const events = (await call(`/v1/orders/${orderId}/events`)).json.events.map((e: { type: string }) => e.type).filter((t: string) => t.startsWith('refund.'));
    expect(events.filter((t: string) => t === 'refund.created')).toHaveLength(1);
    expect(events.at(-1)).toBe('refund.succeeded');
  });
});
