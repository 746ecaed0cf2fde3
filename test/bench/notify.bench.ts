// Notifications on this machine with the embedded store: WeChat Pay TRANSACTION.SUCCESS notifications verified,
// decrypted, stored, cross-checked, acknowledged and applied per second, their acknowledgement latency, beside the
// raw verify-plus-decrypt rate of the same crypto in the same run; and the channel calls an abandoned order costs.

import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../bff/app.ts';
import { aeadDecrypt, aeadEncrypt, signResponse, verifyResponse } from '../../bff/channels/wechatpay/crypto.ts';
import { createAdapters } from '../../bff/channels/index.ts';
import type { Deps } from '../../bff/deps.ts';
import { HANDLERS } from '../../bff/jobs/handlers.ts';
import { startWorker } from '../../bff/jobs/worker.ts';
import { loadCredentials } from '../../bff/keys/index.ts';
import { insertAttempt } from '../../bff/store/attempts.ts';
import { openDb } from '../../bff/store/db.ts';
import { createMerchant, insertOrder, transitionOrder } from '../../bff/store/orders.ts';
import { ensureDemoCredentials } from '../../demo/credentials.ts';
import { startTestSandbox } from '../../demo/sandbox/testing.ts';
import { formatBeijingRfc3339 } from '../../shared/channels/beijing-time.ts';
import { newChannelOrderNumber } from '../../shared/channels/index.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function throughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cashier-notify-bench-'));
  const { credentialsDir, sandbox: secrets } = ensureDemoCredentials(dir, 'http://127.0.0.1:9');
  const credentials = loadCredentials(credentialsDir);
  const db = await openDb();
  await createMerchant(db, { id: 'mch_bench', name: 'Bench', apiKey: 'sk_bench_notify_0123456789', settings: { channels: [{ id: 'wechatpay' }] } });
  const deps: Deps = { db, adapters: createAdapters(credentials), publicUrl: 'http://127.0.0.1:8787', now: () => new Date(), log: () => undefined };
  const app = createApp(deps);

  // Paying orders, one attempt each, and the notification WeChat would send for each.
  const count = 2000;
  const wechat = secrets.wechatpay;
  const notifications: { headers: Record<string, string>; body: string }[] = [];
  for (let i = 0; i < count; i++) {
    const channelOrderNo = newChannelOrderNumber(['wechatpay']);
    await db.transaction(async (tx) => {
      const { order } = await insertOrder(tx, {
        merchantId: 'mch_bench',
        merchantOrderNo: `N${i}`,
        amount: 1000 + i,
        currency: 'CNY',
        subject: 'Tea',
        expiresAt: new Date(Date.now() + 3_600_000),
        requestHash: `h${i}`,
      });
      await insertAttempt(tx, order, { channel: 'wechatpay', product: 'native', optionId: 'wechatpay:native', channelOrderNo, expiresAt: order.expires_at, feeCharged: null });
      await transitionOrder(tx, order.id, 'paying', { event: 'order.paying' });
    });
    const nonce = randomUUID().replace(/-/g, '').slice(0, 12);
    const transaction = {
      appid: credentials.wechatpay!.appid,
      mchid: wechat.mchid,
      out_trade_no: channelOrderNo,
      transaction_id: `4200000000${String(i).padStart(18, '0')}`,
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      success_time: formatBeijingRfc3339(new Date()),
      amount: { total: 1000 + i, payer_total: 1000 + i, currency: 'CNY', payer_currency: 'CNY' },
    };
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: formatBeijingRfc3339(new Date()),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aeadEncrypt({ key: wechat.apiV3Key, nonce, associatedData: 'transaction', plaintext: JSON.stringify(transaction) }),
        associated_data: 'transaction',
        nonce,
      },
    });
    const signed = signResponse(wechat.platformPrivateKey, body);
    notifications.push({
      body,
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': signed.timestamp,
        'wechatpay-nonce': signed.nonce,
        'wechatpay-signature': signed.signature,
        'wechatpay-serial': wechat.platformPublicKeyId,
      },
    });
  }

  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < notifications.length) {
        const notification = notifications[next++]!;
        const t = performance.now();
        const response = await app.request('/notify/wechatpay', { method: 'POST', headers: notification.headers, body: notification.body });
        await response.text();
        if (response.status !== 200) throw new Error(`notification answered ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Applying follows the acknowledgement: wait until every order has succeeded.
  for (;;) {
    const [applied] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE status = 'succeeded'");
    if (applied?.n === count) break;
    if (performance.now() - started > 300_000) throw new Error(`only ${applied?.n} of ${count} orders succeeded`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const appliedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const rate = count / seconds;
  console.log(`bench notify-throughput: ${Math.round(rate)} /s`);
  console.log(`bench notify-ack-p50: ${percentile(latencies, 50).toFixed(2)} ms`);
  console.log(`bench notify-ack-p99: ${percentile(latencies, 99).toFixed(2)} ms`);
  console.log(`bench notify-applied-throughput: ${Math.round(count / appliedSeconds)} /s`);

  // The same crypto alone: signature verification and AEAD decryption, no store, no HTTP.
  const keys = credentials.wechatpay!.platformPublicKeys;
  const cryptoStarted = performance.now();
  for (const notification of notifications) {
    const h = notification.headers;
    const verified = verifyResponse(
      { timestamp: h['wechatpay-timestamp']!, nonce: h['wechatpay-nonce']!, body: notification.body, signature: h['wechatpay-signature']!, serial: h['wechatpay-serial']! },
      keys,
      Math.floor(Date.now() / 1000),
    );
    const resource = (JSON.parse(notification.body) as { resource: { nonce: string; ciphertext: string; associated_data: string } }).resource;
    if (!verified.ok) throw new Error('bench notification does not verify');
    aeadDecrypt({ key: wechat.apiV3Key, nonce: resource.nonce, associatedData: resource.associated_data, ciphertext: resource.ciphertext });
  }
  const raw = count / ((performance.now() - cryptoStarted) / 1000);
  console.log(`bench notify-verify-decrypt-raw: ${Math.round(raw)} /s`);
  console.log(`bench notify-pipeline-vs-raw: ${(rate / raw).toFixed(3)} ratio`);
  await db.close();
}

/**
 * An order nobody pays, run for real against the sandbox with the job runner on a compressed clock (a 30-minute
 * order in 18 s): every call the BFF makes to the channel about it is counted, queries and the close at expiry.
 */
async function abandonedOrder(): Promise<void> {
  const scale = 0.01;
  const sandbox = await startTestSandbox();
  const calls: string[] = [];
  const counting: typeof fetch = async (input, init) => {
    calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(input, init);
  };
  const db = await openDb();
  await createMerchant(db, { id: 'mch_abandon', name: 'Abandon', apiKey: 'sk_bench_abandon_0123456789', settings: { channels: [{ id: 'wechatpay' }] } });
  const deps: Deps = {
    db,
    adapters: createAdapters(sandbox.credentials, { timeoutMs: 3000, readRetries: 0, fetch: counting }),
    publicUrl: 'http://127.0.0.1:9',
    now: () => new Date(),
    log: () => undefined,
    timeScale: scale,
  };
  const app = createApp(deps);
  const key = 'sk_bench_abandon_0123456789';
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const created = (await (
    await app.request('/v1/orders', { method: 'POST', headers: { ...headers, 'idempotency-key': 'a1' }, body: JSON.stringify({ merchantOrderNo: 'ABANDON', amount: 1000, subject: 'Tea' }) })
  ).json()) as { order: { id: string } };
  const expiresAt = new Date(Date.now() + 30 * 60_000 * scale);
  await db.query('UPDATE orders SET expires_at = $2 WHERE id = $1', [created.order.id, expiresAt]);
  await db.query("UPDATE jobs SET run_at = $2 WHERE kind = 'expire-order' AND ref = $1", [created.order.id, expiresAt]);
  const session = (await (await app.request(`/v1/orders/${created.order.id}/cashier-sessions`, { method: 'POST', headers: { ...headers, 'idempotency-key': 'a2' } })).json()) as { token: string };
  await app.request('/cashier/v1/pay', { method: 'POST', headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ optionId: 'wechatpay:native' }) });
  await db.query('UPDATE payment_attempts SET expires_at = $2 WHERE order_id = $1', [created.order.id, expiresAt]);
  const before = calls.length; // the pay itself
  const worker = startWorker(deps, HANDLERS, { pollMs: 20 });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [order] = await db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [created.order.id]);
    if (order?.status === 'closed') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await worker.stop();
  console.log(`bench abandoned-order-channel-calls: ${calls.length - before} calls`);
  await db.close();
  await sandbox.close();
}

export async function run(): Promise<void> {
  await throughput();
  await abandonedOrder();
}
