// The BFF killed with SIGKILL at random points during a stream of payments, and restarted, on PostgreSQL: every
// payment the sandbox recorded as paid ends `succeeded`, and every merchant event is delivered at least once with
// an id to deduplicate by. The BFF runs as a real child process; the sandbox and the merchant's webhook receiver
// run here.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { SIGNATURE_HEADER, verifyWebhook } from '../../shared/webhooks/index.ts';

const KEY = 'sk_test_crash_0123456789abcdef';
const SECRET = 'whsec_crash_0123456789abcdef';
const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('a BFF killed with SIGKILL mid-stream', () => {
  let sandbox: TestSandbox;
  let receiver: Server;
  let bff: ChildProcess | undefined;
  let port = 0;
  let base = '';
  const delivered = new Set<string>();
  const env: Record<string, string> = {};

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', async () => {
        const ok = await verifyWebhook(body, request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, [SECRET]);
        if (ok.ok) delivered.add((JSON.parse(body) as { id: string }).id);
        response.writeHead(ok.ok ? 200 : 400).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    sandbox = await startTestSandbox({ timeScale: 0.001 });
    const dataDir = join(sandbox.credentialsDir, '..');
    writeFileSync(
      join(dataDir, 'merchants.json'),
      JSON.stringify([
        {
          id: 'mch_crash',
          name: 'Crash Tea',
          apiKey: KEY,
          settings: { channels: [{ id: 'wechatpay' }, { id: 'alipay', products: ['precreate'] }] },
          webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
          webhookSecrets: [SECRET],
        },
      ]),
    );
    // The BFF keeps one port across its restarts (the channels notify that address). Below Linux's ephemeral range
    // (32768–60999), so no other test's port-0 server can be handed it while the BFF is down.
    port = 20_000 + Math.floor(Math.random() * 10_000);
    base = `http://127.0.0.1:${port}`;
    Object.assign(env, {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: url!,
      DATABASE_SCHEMA: `crash_${randomBytes(5).toString('hex')}`,
      TIME_SCALE: '0.002',
    });
    await start();
  }, 60_000);

  afterAll(async () => {
    bff?.kill('SIGKILL');
    await sandbox?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  async function start(): Promise<void> {
    bff = spawn(process.execPath, ['--import', 'tsx', 'bff/server.ts'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await vi.waitFor(async () => expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true }), { timeout: 30_000, interval: 100 });
  }

  function kill(): void {
    bff?.kill('SIGKILL');
    bff = undefined;
  }

  /** A call that rides out the BFF's deaths: retried (same Idempotency-Key) until it gets an answer. */
  async function call(path: string, options: { token?: string; body?: unknown; key?: string } = {}) {
    const key = options.key ?? crypto.randomUUID();
    const until = Date.now() + 120_000;
    for (;;) {
      try {
        const response = await fetch(`${base}${path}`, {
          method: options.body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${options.token ?? KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(5000),
        });
        const json = (await response.json()) as Record<string, any>;
        // The same key still held by the process that died: its lease runs out, then the retry runs.
        if (json.error?.code === 'idempotency_key_in_flight' || response.status >= 500) throw new Error(`HTTP ${response.status}`);
        return json;
      } catch (error) {
        if (Date.now() > until) throw error;
        if (!bff) await start();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  it('loses nothing', async () => {
    const payments = 20;
    let kills = 0;
    const orders: { orderId: string; channel: 'wechatpay' | 'alipay'; key?: string }[] = [];
    // The killer: during about half the payments (every fourth for sure), a SIGKILL lands at a random moment in the
    // middle of its calls; every death is followed by a restart.
    const killDuring = async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
      kill();
      kills += 1;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      await start();
    };
    for (let i = 0; i < payments; i++) {
      const killer = i % 4 === 1 || Math.random() < 0.4 ? killDuring() : Promise.resolve();
      const channel = i % 2 === 0 ? 'wechatpay' : 'alipay';
      const merchantOrderNo = `CR${i}${randomBytes(4).toString('hex')}`;
      const created = await call('/v1/orders', { body: { merchantOrderNo, amount: 1000 + i, subject: 'Tea' }, key: `create-${merchantOrderNo}` });
      const orderId = created.order.id as string;
      const session = await call(`/v1/orders/${orderId}/cashier-sessions`, { body: {}, key: `session-${merchantOrderNo}` });
      const paid = await call('/cashier/v1/pay', { token: session.token, body: { optionId: channel === 'wechatpay' ? 'wechatpay:native' : 'alipay:precreate' } });
      orders.push({ orderId, channel });
      // The customer pays at the channel whatever the BFF is doing.
      if (paid.attemptId) {
        const channelOrders = sandbox.sandbox.context.orders.list().filter((o) => o.channel === channel && o.amount === 1000 + i);
        for (const order of channelOrders) {
          if (order.status === 'pending') await sandbox.sandbox.channels[channel].pay(order.key);
        }
      }
      await killer;
    }
    if (!bff) await start();

    const paidAtChannel = sandbox.sandbox.context.orders.list().filter((o) => o.status === 'paid' && o.amount >= 1000 && o.amount < 1000 + payments);
    const paidOrders = new Set(paidAtChannel.map((o) => o.amount - 1000));
    await vi.waitFor(
      async () => {
        for (const [i, order] of orders.entries()) {
          if (!paidOrders.has(i)) continue;
          const current = await call(`/v1/orders/${order.orderId}`);
          expect(current.order.status, `order ${i}`).toBe('succeeded');
        }
      },
      { timeout: 60_000, interval: 250 },
    );
    // Every merchant-facing event of these orders reached the merchant at least once.
    const expected = new Set<string>();
    for (const order of orders) {
      const list = await call(`/v1/orders/${order.orderId}/events`);
      for (const event of list.events as { id: string; type: string }[]) {
        if (event.type.startsWith('order.') || event.type.startsWith('refund.') || event.type === 'payment_attempt.duplicate') expected.add(event.id);
      }
    }
    await vi.waitFor(() => expect([...expected].filter((id) => !delivered.has(id))).toEqual([]), { timeout: 60_000, interval: 250 });
    console.log(`crash test: ${payments} payments, ${paidAtChannel.length} paid at the channel, ${kills} SIGKILLs, ${expected.size} merchant events, 0 lost`);
    expect(kills).toBeGreaterThanOrEqual(payments / 4);
  }, 180_000);
});
