// `npm start`: everything on one machine with the embedded store, on separate origins so CORS is real:
// the channel sandbox (8788), the BFF (8787) and the demo page (3000). The first run makes demo credentials and a
// demo merchant under .data/; later runs reuse them. Flags: --reset (start from an empty .data), --no-build (serve
// what `npm run build` left in dist/), --watch (rebuild the page on change, for `npm run dev`).
// Ports: PORT (page), BFF_PORT, SANDBOX_PORT; HOST (default 127.0.0.1); DATA_DIR (default .data).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { build } from 'vite';
import { operatorToken, startBff, type MerchantConfig } from '../bff/server.ts';
import { ensureDemoCredentials } from './credentials.ts';
import { DEMO_SETTINGS, previewApp } from './preview/index.ts';
import { reconciliationApp } from './reconciliation/index.ts';
import { SANDBOX_FEE_TERMS } from './sandbox/bills.ts';
import { startSandbox } from './sandbox/server.ts';
import { appHostApp } from './app-host/index.ts';
import { widgetTestApp } from './widget-test/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist/demo');
const args = new Set(process.argv.slice(2));
const hostname = process.env.HOST ?? '127.0.0.1';
const shown = hostname === '0.0.0.0' ? 'localhost' : hostname;
const ports = {
  page: Number(process.env.PORT ?? 3000),
  bff: Number(process.env.BFF_PORT ?? 8787),
  sandbox: Number(process.env.SANDBOX_PORT ?? 8788),
};
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));

if (args.has('--reset')) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

if (args.has('--watch')) {
  const watcher = await build({ configFile: `${root}/vite.config.ts`, logLevel: 'warn', build: { watch: {} } });
  // Serve once the first build is out; later builds replace the files in place.
  await new Promise<void>((ready) => {
    if (!('on' in watcher)) return ready();
    watcher.on('event', (event: { code: string }) => {
      if (event.code === 'END') ready();
    });
  });
} else if (!args.has('--no-build')) {
  await build({ configFile: `${root}/vite.config.ts`, logLevel: 'warn' });
}
if (!existsSync(`${dist}/index.html`)) {
  console.error(`No built page in ${dist}: run \`npm run build\` first, or start without --no-build.`);
  process.exit(1);
}

const pageOrigin = `http://${shown}:${ports.page}`;
const sandboxUrl = `http://${shown}:${ports.sandbox}`;
ensureDemoCredentials(dataDir, sandboxUrl);
ensureDemoMerchant(dataDir, [pageOrigin, `http://127.0.0.1:${ports.page}`, `http://localhost:${ports.page}`]);

const sandbox = startSandbox({ dataDir, port: ports.sandbox, hostname });
ensureOperatorToken(dataDir);
const bff = await startBff({ dataDir, port: ports.bff, hostname, databaseUrl: process.env.DATABASE_URL, log: quietLog });

const page = new Hono()
  .route('/', previewApp())
  .route('/', widgetTestApp({ bffUrl: bff.url, sandboxUrl, merchantsFile: join(dataDir, 'merchants.json') }))
  .route('/', appHostApp({ sandboxUrl }))
  .route('/', reconciliationApp({ bffUrl: bff.url, operatorToken: () => operatorToken(process.env, dataDir) }))
  .use('/*', serveStatic({ root: dist }));
const pageServer = serve({ fetch: page.fetch, port: ports.page, hostname });

console.log(`Unified cashier demo (embedded store in ${dataDir}):
  demo page   ${pageOrigin}/
  widget      ${pageOrigin}/widget-test.html   (a test shop page: a new order, the widget by script tag)
  app         ${pageOrigin}/app-host/   (the widget's test page inside a demo merchant app, with its SDK bridge)
  BFF         ${bff.url}/openapi.json
  reconcile   ${pageOrigin}/reconciliation   (each channel's daily bill against our records)
  sandbox     ${sandbox.publicUrl}/   (channel orders, pay / fail / abandon, notifications)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    sandbox.sandbox.stop();
    pageServer.close();
    sandbox.server.close();
    void bff.close().then(() => process.exit(0));
  });
}

/** The demo merchant, made once: a random secret key kept in .data/merchants.json (as a real deploy would in its secrets). */
function ensureDemoMerchant(dir: string, origins: string[]): void {
  const file = join(dir, 'merchants.json');
  if (existsSync(file)) return;
  const merchant: MerchantConfig = {
    id: 'mch_demo',
    name: 'Celadon Tea House',
    apiKey: `sk_demo_${randomBytes(24).toString('base64url')}`,
    // The fee terms the sandbox's channels have contracted with this merchant, so its bills reconcile.
    settings: { ...DEMO_SETTINGS, channels: DEMO_SETTINGS.channels.filter((channel) => channel.id !== 'paypal'), fees: { ...SANDBOX_FEE_TERMS } },
    allowedOrigins: [...new Set(origins)],
  };
  writeFileSync(file, JSON.stringify([merchant], null, 2), { mode: 0o600 });
}

/** The operator's token for the BFF's /ops API (reconciliation of every merchant), kept beside the store. */
function ensureOperatorToken(dir: string): void {
  const file = join(dir, 'operator-token');
  if (!existsSync(file)) writeFileSync(file, `op_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
}

function quietLog(line: Record<string, unknown>): void {
  if (line.level !== 'info') console.error(JSON.stringify(line));
}
