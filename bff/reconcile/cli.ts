// `npm run reconcile -- --channel wechatpay --date 2026-11-26`: reconciles a clearing day now and prints the result.
// When a BFF is running (BFF_URL, default http://127.0.0.1:8787) it asks that BFF through the operator API — PGlite
// is one process's store, so the CLI must not open it beside a running BFF. With no BFF answering, it opens the store
// itself (DATABASE_URL, or PGlite in DATA_DIR) with the credentials in DATA_DIR/credentials (or CASHIER_CREDENTIALS).

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RULEBOOK, type ChannelId } from '../../shared/channels/index.ts';
import { formatYuan } from '../../shared/money/index.ts';
import { createAdapters, DEFAULT_HTTP } from '../channels/index.ts';
import type { Deps } from '../deps.ts';
import { loadCredentials } from '../keys/index.ts';
import { operatorToken } from '../server.ts';
import { openDb } from '../store/db.ts';
import { listDays, listItems } from '../store/reconciliation.ts';
import { toApiItem } from '../routes/reconciliation.ts';
import { reconcileDay, type ReconcileResult } from './index.ts';
import { latestBillDay } from './job.ts';

const USAGE = `usage: npm run reconcile -- [--channel wechatpay|alipay|unionpay] [--date YYYY-MM-DD] [--all-items] [--json]
  Reconciles the clearing day (default: the newest whose bill is out) of one channel (default: every configured one).
  env: BFF_URL (a running BFF, default http://127.0.0.1:8787), CASHIER_OPERATOR_TOKEN or DATA_DIR/operator-token,
       DATA_DIR (default .data), DATABASE_URL, CASHIER_CREDENTIALS`;

type Item = ReturnType<typeof toApiItem>;
interface DayReport {
  readonly result: ReconcileResult | { status: string; [key: string]: unknown };
  readonly items: readonly Item[];
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        channel: { type: 'string' },
        date: { type: 'string' },
        'all-items': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.channel !== undefined && !(args.channel in RULEBOOK)) {
    console.error(`unknown channel ${JSON.stringify(args.channel)}\n${USAGE}`);
    return 2;
  }
  if (args.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(args.date)) {
    console.error(`--date is a day such as 2026-11-26\n${USAGE}`);
    return 2;
  }
  const env = process.env;
  const dataDir = resolve(env.DATA_DIR ?? '.data');
  const bffUrl = (env.BFF_URL ?? 'http://127.0.0.1:8787').replace(/\/$/, '');
  const states = args['all-items'] ? undefined : ['waiting', 'open'];

  const reports = (await bffAnswers(bffUrl))
    ? await throughBff(bffUrl, operatorToken(env, dataDir), args.channel as ChannelId | undefined, args.date, states)
    : await directly(dataDir, args.channel as ChannelId | undefined, args.date, states);
  if (args.json) console.log(JSON.stringify(reports, null, 2));
  else for (const report of reports) print(report);
  return reports.every((report) => report.result.status === 'done') ? 0 : 1;
}

async function bffAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

async function throughBff(url: string, token: string | undefined, channel: ChannelId | undefined, date: string | undefined, states: string[] | undefined): Promise<DayReport[]> {
  if (!token) throw new Error(`a BFF answers at ${url}: the operator token is needed (CASHIER_OPERATOR_TOKEN or DATA_DIR/operator-token)`);
  const headers = { authorization: `Bearer ${token}` };
  const channels: ChannelId[] = channel ? [channel] : ['wechatpay', 'alipay', 'unionpay'];
  const reports: DayReport[] = [];
  for (const id of channels) {
    const day = date ?? latestBillDay(id, new Date());
    if (!day) continue;
    const run = await fetch(`${url}/ops/v1/reconciliation/days/${id}/${day}/run`, { method: 'POST', headers });
    const result = (await run.json()) as DayReport['result'];
    if (run.status === 404 && !channel) continue; // a channel this BFF has no credentials for
    const items: Item[] = [];
    for (const state of states ?? [undefined]) {
      const query = new URLSearchParams({ limit: '500', ...(state ? { state } : {}) });
      const answer = await fetch(`${url}/ops/v1/reconciliation/days/${id}/${day}?${query}`, { headers });
      if (answer.ok) items.push(...((await answer.json()) as { items: Item[] }).items);
    }
    reports.push({ result: 'channel' in result ? result : { ...result, channel: id, day }, items });
  }
  return reports;
}

async function directly(dataDir: string, channel: ChannelId | undefined, date: string | undefined, states: string[] | undefined): Promise<DayReport[]> {
  const db = await openDb(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(dataDir, 'pglite') });
  try {
    const adapters = createAdapters(loadCredentials(process.env.CASHIER_CREDENTIALS ?? join(dataDir, 'credentials'), process.env), DEFAULT_HTTP);
    const deps: Deps = { db, adapters, publicUrl: process.env.PUBLIC_URL ?? '', now: () => new Date(), log: () => {} };
    const channels = channel ? [channel] : (Object.keys(adapters) as ChannelId[]);
    const reports: DayReport[] = [];
    for (const id of channels) {
      const day = date ?? latestBillDay(id, new Date());
      if (!day) continue;
      const result = await reconcileDay(deps, id, day);
      const [known] = await listDays(db, { operator: true }, { channel: id, from: day, to: day }, 1);
      const items = known
        ? (await Promise.all((states ?? [undefined]).map((state) => listItems(db, { operator: true }, id, day, { state, limit: 500 })))).flat()
        : [];
      reports.push({ result, items: items.map(toApiItem) });
    }
    return reports;
  } finally {
    await db.close();
  }
}

function print(report: DayReport): void {
  const r = report.result as ReconcileResult;
  const head = `${r.channel} ${r.day}:`;
  switch (r.status) {
    case 'done': {
      const c = r.counts;
      const types = Object.entries(c.items).filter(([, n]) => n > 0).map(([type, n]) => `${type} ${n}`).join(', ');
      console.log(`${head} ${c.lines} lines, ${c.matched} matched; ${c.open} open, ${c.waiting} waiting for the next day's bill, ${c.resolved} resolved${types ? ` (${types})` : ''}`);
      break;
    }
    case 'not-ready':
      console.log(`${head} the bill is not out yet (${r.message})`);
      break;
    case 'busy':
      console.log(`${head} another process is reconciling this day right now`);
      break;
    case 'failed':
      console.log(`${head} failed: ${r.code}: ${r.message}`);
      break;
    default:
      console.log(`${head} ${JSON.stringify(report.result)}`);
  }
  for (const item of report.items) {
    const amount = (side: Record<string, unknown> | null) => (side && typeof side.amount === 'number' ? formatYuan(side.amount) : '—');
    const fee = (side: Record<string, unknown> | null) => (side && typeof side.fee === 'number' ? formatYuan(side.fee) : '—');
    console.log(
      `  ${item.state.padEnd(8)} ${item.type.padEnd(16)} ${item.kind.padEnd(7)} ${item.key.padEnd(32)} ours ${amount(item.ours)} fee ${fee(item.ours)} ${String(item.ours?.status ?? '')}` +
        ` | bill ${amount(item.theirs)} fee ${fee(item.theirs)} ${String(item.theirs?.status ?? '')}`,
    );
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  return 1;
});
