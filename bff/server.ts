// The BFF process: configuration from the environment, the store (PGlite under the data directory, or PostgreSQL
// with DATABASE_URL), merchants from a JSON file, channel adapters from the credentials directory, and the Hono
// app on @hono/node-server. `node --import tsx bff/server.ts` runs it alone; demo/start.ts runs it with the rest.

import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import * as v from 'valibot';
import { MerchantSettingsSchema } from '../shared/schemas/index.ts';
import { createApp } from './app.ts';
import { sha256 } from './http.ts';
import { createAdapters, DEFAULT_HTTP, type HttpOptions } from './channels/index.ts';
import { wechatOAuth } from './channels/wechatpay/oauth.ts';
import type { Deps } from './deps.ts';
import { jsonLogger, type Logger } from './errors.ts';
import { HealthBoard, withHealth } from './health/index.ts';
import { HANDLERS } from './jobs/handlers.ts';
import { scheduleReconciliation, settleRunningReconciliations } from './reconcile/job.ts';
import { startWorker, type Worker, type WorkerOptions } from './jobs/worker.ts';
import { loadCredentials } from './keys/index.ts';
import { openDb, type Db } from './store/db.ts';
import { createMerchant } from './store/orders.ts';

export const MerchantConfigSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^mch_[a-z0-9_]{1,40}$/)),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  /** The secret key itself, or `env:NAME`. Only its hash reaches the database. */
  apiKey: v.pipe(v.string(), v.minLength(20)),
  settings: MerchantSettingsSchema,
  allowedOrigins: v.optional(v.array(v.pipe(v.string(), v.url())), []),
  webhookUrl: v.optional(v.pipe(v.string(), v.url())),
  /** Webhook signing secrets (or `env:NAME`), newest first; a second one overlaps while the first is rotated. */
  webhookSecrets: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(16))), v.maxLength(2)), []),
});
export type MerchantConfig = v.InferInput<typeof MerchantConfigSchema>;

export interface BffOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly hostname: string;
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL only: the schema to work in (tests share one server). */
  readonly databaseSchema?: string | undefined;
  readonly credentialsDir?: string | undefined;
  readonly merchantsFile?: string | undefined;
  readonly publicUrl?: string | undefined;
  readonly http?: HttpOptions | undefined;
  readonly log?: Logger | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Run the job runner in this process (the default); a pure API process can leave it to others. */
  readonly worker?: boolean | undefined;
  readonly workerOptions?: WorkerOptions | undefined;
  readonly timeScale?: number | undefined;
}

export interface RunningBff {
  readonly url: string;
  readonly deps: Deps;
  readonly server: ServerType;
  readonly worker: Worker | undefined;
  close(): Promise<void>;
}

export async function startBff(options: BffOptions): Promise<RunningBff> {
  const env = options.env ?? process.env;
  const log = options.log ?? jsonLogger;
  mkdirSync(options.dataDir, { recursive: true });
  const db = await openDb(
    options.databaseUrl ? { databaseUrl: options.databaseUrl, schema: options.databaseSchema } : { dataDir: join(options.dataDir, 'pglite') },
  );
  const webhookSecrets = await loadMerchants(db, options.merchantsFile ?? join(options.dataDir, 'merchants.json'), env);
  const credentials = loadCredentials(options.credentialsDir ?? join(options.dataDir, 'credentials'), env);
  const health = new HealthBoard();

  let url = options.publicUrl ?? '';
  const deps: Deps = {
    db,
    adapters: withHealth(createAdapters(credentials, options.http ?? DEFAULT_HTTP), health),
    get publicUrl() {
      return url;
    },
    now: () => new Date(),
    log,
    health,
    webhookSecrets,
    timeScale: options.timeScale,
    operatorTokenHash: operatorTokenHash(env, options.dataDir),
    wechatOAuth: credentials.wechatpay ? wechatOAuth(credentials.wechatpay, options.http ?? DEFAULT_HTTP) : undefined,
  };
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname });
  await new Promise<void>((ready) => server.once('listening', () => ready()));
  const address = server.address() as AddressInfo;
  url ||= `http://${options.hostname}:${address.port}`;
  const worker = options.worker === false ? undefined : startWorker(deps, HANDLERS, options.workerOptions);
  if (worker) await scheduleReconciliation(deps);
  log({ level: 'info', message: 'BFF listening', url, store: db.engine, channels: Object.keys(deps.adapters), worker: worker !== undefined });
  return {
    url,
    deps,
    server,
    worker,
    close: async () => {
      await worker?.stop();
      await settleRunningReconciliations();
      // Open event streams would hold the close forever.
      (server as import('node:http').Server).closeAllConnections?.();
      await new Promise<void>((done) => server.close(() => done()));
      await db.close();
    },
  };
}

/**
 * The operator token (CASHIER_OPERATOR_TOKEN, else the file `operator-token` in the data directory, which the demo
 * writes) as its SHA-256; without one the operator API stays off.
 */
export function operatorToken(env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  const file = join(dataDir, 'operator-token');
  const token = env.CASHIER_OPERATOR_TOKEN ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  return token && token.length >= 20 ? token : undefined;
}

function operatorTokenHash(env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  const token = operatorToken(env, dataDir);
  return token === undefined ? undefined : sha256(token);
}

/** Upserts the configured merchants; answers their webhook secrets, which stay in memory only. */
async function loadMerchants(db: Db, file: string, env: NodeJS.ProcessEnv): Promise<Map<string, string[]>> {
  const secrets = new Map<string, string[]>();
  if (!existsSync(file)) return secrets;
  const parsed = v.safeParse(v.array(MerchantConfigSchema), JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Error(`${file}: ${v.getDotPath(issue) ?? ''} ${issue.message}`);
  }
  const resolve = (value: string, what: string, id: string) => {
    const resolved = value.startsWith('env:') ? env[value.slice(4)] : value;
    if (!resolved) throw new Error(`${file}: ${id}'s ${what} names an unset environment variable`);
    return resolved;
  };
  for (const merchant of parsed.output) {
    const apiKey = resolve(merchant.apiKey, 'apiKey', merchant.id);
    secrets.set(merchant.id, merchant.webhookSecrets.map((secret) => resolve(secret, 'webhook secret', merchant.id)));
    await createMerchant(db, {
      id: merchant.id,
      name: merchant.name,
      apiKey,
      settings: merchant.settings,
      allowedOrigins: merchant.allowedOrigins,
      ...(merchant.webhookUrl ? { webhookUrl: merchant.webhookUrl } : {}),
    });
  }
  return secrets;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await startBff({
    databaseSchema: process.env.DATABASE_SCHEMA,
    ...(process.env.TIME_SCALE ? { timeScale: Number(process.env.TIME_SCALE) } : {}),
    dataDir: resolve(process.env.DATA_DIR ?? '.data'),
    port: Number(process.env.PORT ?? 8787),
    hostname: process.env.HOST ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    credentialsDir: process.env.CASHIER_CREDENTIALS,
    merchantsFile: process.env.CASHIER_MERCHANTS,
    publicUrl: process.env.PUBLIC_URL,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void running.close().then(() => process.exit(0)));
}
