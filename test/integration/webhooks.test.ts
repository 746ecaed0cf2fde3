// Merchant webhooks from the outbox, over real HTTP: signed as documented, retried until the merchant answers 2xx,
// every try listed, replayable with the same event id.

import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBff, type RunningBff } from '../../bff/server.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { SIGNATURE_HEADER, verifyWebhook } from '../../shared/webhooks/index.ts';

const KEY = 'sk_test_webhooks_0123456789';
const SECRET = 'whsec_test_0123456789abcdef';

let sandbox: TestSandbox;
let bff: RunningBff;
let receiver: Server;
let receiverUrl: string;
const received: { id: string; type: string; verified: boolean; body: Record<string, unknown> }[] = [];
let failuresToGive = 0;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', async () => {
      const verification = await verifyWebhook(body, request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, [SECRET]);
      const parsed = JSON.parse(body) as { id: string; type: string };
      received.push({ id: parsed.id, type: parsed.type, verified: verification.ok, body: parsed });
      if (failuresToGive > 0) {
        failuresToGive -= 1;
        response.writeHead(503).end('busy');
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  sandbox = await startTestSandbox();
  const dataDir = join(sandbox.credentialsDir, '..');
  writeFileSync(
    join(dataDir, 'merchants.json'),
    JSON.stringify([
      { id: 'mch_hooks', name: 'Hooks Tea', apiKey: KEY, settings: { channels: [{ id: 'wechatpay' }, { id: 'alipay' }] }, webhookUrl: receiverUrl, webhookSecrets: [SECRET] },
    ]),
  );
  bff = await startBff({
    dataDir,
    port: 0,
    hostname: '127.0.0.1',
    log: () => undefined,
    timeScale: 0.0005,
    workerOptions: { pollMs: 20 },
  });
}, 60_000);

afterAll(async () => {
  await bff?.close();
  await sandbox?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

async function merchant(path: string, body?: unknown) {
  const response = await fetch(`${bff.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

describe('merchant webhooks', () => {
  it('delivers each order event, signed, retrying until the merchant answers 2xx', async () => {
    failuresToGive = 2;
    const created = await merchant('/v1/orders', { merchantOrderNo: `WH${Date.now()}`, amount: 2800, subject: 'Tea' });
    const orderId = created.json.order.id as string;
    await merchant(`/v1/orders/${orderId}/close`, {});
    await vi.waitFor(() => expect(received.filter((r) => r.body.orderId === orderId && r.type === 'order.closed' && r !== undefined).length).toBeGreaterThanOrEqual(1), {
      timeout: 15_000,
      interval: 50,
    });
    const forOrder = received.filter((r) => r.body.orderId === orderId);
    expect(forOrder.every((r) => r.verified)).toBe(true);
    expect(new Set(forOrder.map((r) => r.type))).toEqual(new Set(['order.created', 'order.closed']));
    const closed = forOrder.find((r) => r.type === 'order.closed')!;
    expect(closed.body).toMatchObject({ object: { type: 'order', id: orderId, version: 2 }, data: { order: { status: 'closed' } } });

    await vi.waitFor(async () => {
      const deliveries = await merchant(`/v1/webhooks/deliveries?orderId=${orderId}`);
      expect(deliveries.json.deliveries.every((d: { deliveredAt: string | null }) => d.deliveredAt !== null)).toBe(true);
    });
    const deliveries = await merchant(`/v1/webhooks/deliveries?orderId=${orderId}`);
    const tries = deliveries.json.deliveries.flatMap((d: { tries: { status: number }[] }) => d.tries.map((t) => t.status));
    expect(tries.filter((status: number) => status === 503)).toHaveLength(2);
    expect(tries.filter((status: number) => status === 200)).toHaveLength(2);
  });

  it('replays an event with the same id', async () => {
    const created = await merchant('/v1/orders', { merchantOrderNo: `WR${Date.now()}`, amount: 2800, subject: 'Tea' });
    const orderId = created.json.order.id as string;
    await vi.waitFor(() => expect(received.some((r) => r.body.orderId === orderId)).toBe(true), { timeout: 10_000, interval: 50 });
    const eventId = received.find((r) => r.body.orderId === orderId)!.id;
    const replay = await merchant(`/v1/webhooks/events/${eventId}/replay`, {});
    expect(replay.status).toBe(202);
    await vi.waitFor(() => expect(received.filter((r) => r.id === eventId)).toHaveLength(2), { timeout: 10_000, interval: 50 });
    expect((await merchant('/v1/webhooks/events/evt_nope/replay', {})).status).toBe(404);
  });
});
