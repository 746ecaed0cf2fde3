// Reconciliation at scale: a generated WeChat trade bill of 100,000 and of 1,000,000 lines, downloaded (generated),
// parsed as a stream, loaded and matched against as many payments and refunds of ours in PGlite on disk, as the BFF
// runs by default. Each size runs in a child process of its own so that its peak memory is its own.
//   bench reconcile-1m-lines: S s            (target ≤ 60 s on this machine; parse + load + match, setup excluded)
//   bench reconcile-peak-rss: M MB           (1M lines; the 100k figure beside it shows memory stays bounded)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWechatBill, syntheticRow } from '../../bff/bills/generate.ts';
import { parseWechatTradeBill } from '../../bff/bills/wechatpay.ts';
import type { ChannelAdapter } from '../../bff/channels/types.ts';
import { reconcileDay } from '../../bff/reconcile/index.ts';
import { openDb } from '../../bff/store/db.ts';
import { createMerchant } from '../../bff/store/orders.ts';

const DAY = '2019-02-19'; // the synthetic bill's day (bff/bills/generate.ts)

interface Figures {
  readonly rows: number;
  readonly seconds: number;
  readonly setupSeconds: number;
  readonly rssMb: number;
  /** Peak RSS with PGlite open and migrated, before any data: what the store costs by itself. */
  readonly baseRssMb: number;
  readonly matched: number;
}

/** Runs one size in this process (the child's side). */
async function child(rows: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-'));
  try {
    const db = await openDb({ dataDir: dir });
    const baseRssMb = process.resourceUsage().maxRSS / 1024;
    const setupStarted = performance.now();
    await createMerchant(db, { id: 'mch_b', name: 'B', apiKey: 'sk_b', settings: { channels: [{ id: 'wechatpay' }] } });
    // Our side of every synthetic row (generate.ts syntheticRow): a settled payment, or a settled refund of the row before.
    const clock = `timestamptz '${DAY} 00:00:00+08' + make_interval(secs => (i % 86400)::double precision)`;
    await db.query(
      `INSERT INTO orders (id, merchant_id, merchant_order_no, amount, currency, subject, request_hash, status, expires_at)
       SELECT 'ord' || i, 'mch_b', 'm' || i, (i % 100000) + 1, 'CNY', 'Tea', 'h', 'succeeded', '2019-03-01'
       FROM generate_series(0, $1::int - 1) i WHERE i % 10 <> 9`,
      [rows],
    );
    await db.query(
      `INSERT INTO payment_attempts (id, order_id, channel, product, option_id, channel_order_no, amount, status, paid_at, expires_at, fee_charged)
       SELECT 'att' || i, 'ord' || i, 'wechatpay', 'native', 'wechatpay:native', 'ORD' || lpad(i::text, 10, '0'), (i % 100000) + 1,
         'succeeded', ${clock}, '2019-03-01', ((i % 100000) + 1) / 167
       FROM generate_series(0, $1::int - 1) i WHERE i % 10 <> 9`,
      [rows],
    );
    await db.query(
      `INSERT INTO refunds (id, order_id, attempt_id, merchant_refund_no, amount, fee_returned, status, channel, channel_refund_no, succeeded_at)
       SELECT 'rfd' || i, 'ord' || (i - 1), 'att' || (i - 1), 'r' || i, (i % 500) + 1, ((i % 500) + 1) / 167, 'succeeded', 'wechatpay',
         'RF' || lpad(i::text, 10, '0'), ${clock}
       FROM generate_series(0, $1::int - 1) i WHERE i % 10 = 9`,
      [rows],
    );
    const check = syntheticRow(9);
    if (check.kind !== 'refund' || check.fee !== Math.floor(check.amount / 167)) throw new Error('generate.ts changed: update this bench');
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const adapter = { id: 'wechatpay', bill: async () => ({ kind: 'ready', bill: parseWechatTradeBill(generateWechatBill(rows)) }) } as unknown as ChannelAdapter;
    const deps = { db, adapters: { wechatpay: adapter }, publicUrl: 'http://bench', now: () => new Date(), log: () => {} };
    const started = performance.now();
    const result = await reconcileDay(deps, 'wechatpay', DAY);
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 'done') throw new Error(`reconciliation ended ${result.status}`);
    if (result.counts.lines !== rows || result.counts.matched !== rows) {
      throw new Error(`expected ${rows} lines all matched, got ${JSON.stringify(result.counts)}`);
    }
    await db.close();
    return { rows, seconds, setupSeconds, rssMb: process.resourceUsage().maxRSS / 1024, baseRssMb, matched: result.counts.matched };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inChild(rows: number): Figures {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(rows)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Figures;
}

export async function run(): Promise<void> {
  const small = inChild(100_000);
  const large = inChild(1_000_000);
  console.log(`bench reconcile-100k-lines: ${small.seconds.toFixed(1)} s`);
  console.log(`bench reconcile-1m-lines: ${large.seconds.toFixed(1)} s (parse, load and match; setup of our 1M records ${large.setupSeconds.toFixed(0)} s not included)`);
  // PGlite (Postgres in WASM) reserves most of the process's memory by itself when it opens; the rest is the run's.
  console.log(`bench reconcile-peak-rss-100k: ${small.rssMb.toFixed(0)} MB (PGlite open: ${small.baseRssMb.toFixed(0)} MB)`);
  console.log(
    `bench reconcile-peak-rss: ${large.rssMb.toFixed(0)} MB (1M lines, PGlite open: ${large.baseRssMb.toFixed(0)} MB; ${(large.rssMb / small.rssMb).toFixed(2)}× the 100k figure for 10× the lines)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  console.log(JSON.stringify(await child(Number(process.argv[2]))));
}
