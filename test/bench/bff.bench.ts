// The BFF on this machine, embedded store: latency of the cashier-session read (what every widget load pays),
// create-order throughput, and the channels' request signing beside raw RSA-2048 signing in the same run.

import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../bff/app.ts';
import { signParams } from '../../bff/channels/alipay/crypto.ts';
import { createAdapters } from '../../bff/channels/index.ts';
import { authorization } from '../../bff/channels/wechatpay/crypto.ts';
import { loadCredentials } from '../../bff/keys/index.ts';
import { openDb } from '../../bff/store/db.ts';
import { createMerchant } from '../../bff/store/orders.ts';
import { ensureDemoCredentials } from '../../demo/credentials.ts';
import { DEMO_SETTINGS } from '../../demo/preview/index.ts';
import { measure } from './measure.ts';

const KEY = 'sk_bench_0123456789abcdef';
const UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2f) NetType/WIFI Language/zh_CN';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cashier-bench-'));
  const { credentialsDir } = ensureDemoCredentials(dir, 'http://127.0.0.1:9');
  const credentials = loadCredentials(credentialsDir);
  const db = await openDb();
  await createMerchant(db, { id: 'mch_bench', name: 'Bench', apiKey: KEY, settings: { ...DEMO_SETTINGS, channels: DEMO_SETTINGS.channels.filter((c) => c.id !== 'paypal') } });
  const app = createApp({ db, adapters: createAdapters(credentials), publicUrl: 'http://127.0.0.1:8787', now: () => new Date(), log: () => undefined });
  const merchantHeaders = (key: string) => ({ authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': key });

  // Create-order throughput (sequential, in-process: the BFF and its store, no network).
  const orders = 400;
  const started = performance.now();
  let lastOrderId = '';
  for (let i = 0; i < orders; i++) {
    const response = await app.request('/v1/orders', {
      method: 'POST',
      headers: merchantHeaders(`bench-${i}`),
      body: JSON.stringify({ merchantOrderNo: `B${i}`, amount: 12_800 + i, subject: 'Tea set' }),
    });
    lastOrderId = ((await response.json()) as { order: { id: string } }).order.id;
  }
  console.log(`bench create-order-throughput: ${Math.round((orders * 1000) / (performance.now() - started))} /s`);

  const session = (await (
    await app.request(`/v1/orders/${lastOrderId}/cashier-sessions`, { method: 'POST', headers: merchantHeaders('bench-session') })
  ).json()) as { token: string };

  // Cashier-session read: terminal detection, eligibility with installment quotes, and the store reads.
  const samples: number[] = [];
  for (let i = 0; i < 1200; i++) {
    const t = performance.now();
    const response = await app.request('/cashier/v1/session?touch=5', { headers: { authorization: `Bearer ${session.token}`, 'user-agent': UA } });
    await response.arrayBuffer();
    if (i >= 200) samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`bench cashier-session-read-p50: ${percentile(samples, 50).toFixed(2)} ms`);
  console.log(`bench cashier-session-read-p99: ${percentile(samples, 99).toFixed(2)} ms`);
  await db.close();

  // Signing: the channels' request signatures beside the raw RSA-2048 signing rate of node:crypto.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const body = JSON.stringify({ appid: 'wx0123456789abcdef', mchid: '1900000109', description: 'Tea set', out_trade_no: '26112712000012345678', amount: { total: 12800 } });
  const raw = measure('rsa2048-sign-raw', () => rsaSign('sha256', Buffer.from(body), privateKey));
  const wechat = measure('wechatpay-request-sign', () =>
    authorization({ mchid: '1900000109', serialNo: 'ABCDEF0123456789', privateKey, method: 'POST', url: '/v3/pay/transactions/native', body }),
  );
  const alipay = measure('alipay-request-sign', () =>
    signParams(
      { app_id: '2021000000000000', method: 'alipay.trade.precreate', charset: 'utf-8', sign_type: 'RSA2', timestamp: '2026-11-27 12:00:00', version: '1.0', biz_content: body },
      privateKey,
    ),
  );
  console.log(`bench wechatpay-sign-vs-raw: ${(wechat / raw).toFixed(3)} ratio`);
  console.log(`bench alipay-sign-vs-raw: ${(alipay / raw).toFixed(3)} ratio`);
}
