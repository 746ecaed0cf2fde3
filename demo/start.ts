// `npm start`: everything on one machine with the embedded store, on separate origins so CORS is real:
// the channel sandbox (8788), the BFF (8787) and the page server (3000: the demo shop at /, its orders and
// reconciliation, the terminal preview at /preview, the widget test page). The first run makes demo credentials and a
// demo merchant under .data/; later runs reuse them. Flags: --reset (start from an empty .data), --no-build (serve
// what `npm run build` left in dist/), --watch (rebuild the page on change, for `npm run dev`).
// Ports: PORT (page), BFF_PORT, SANDBOX_PORT; HOST (default 127.0.0.1); DATA_DIR (default .data); DATABASE_URL and
// DATABASE_SCHEMA (PostgreSQL instead of PGlite); SHOP_WIDGET_URL (the BFF the shop's pages load the widget from,
// by default this one). DEMO_TEST_CONTROLS=1 (end-to-end tests only) adds POST /__demo/bff/stop and /__demo/bff/start.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { shopApp } from './shop/index.ts';
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
ensureDemoMerchant(dataDir, [pageOrigin, `http://127.0.0.1:${ports.page}`, `http://localhost:${ports.page}`], `${pageOrigin}/webhooks/cashier`);

const sandbox = startSandbox({ dataDir, port: ports.sandbox, hostname });
ensureOperatorToken(dataDir);
const bffOptions = { dataDir, port: ports.bff, hostname, databaseUrl: process.env.DATABASE_URL, databaseSchema: process.env.DATABASE_SCHEMA, log: quietLog };
let bff = await startBff(bffOptions);
const operator = () => operatorToken(process.env, dataDir);

const page = new Hono()
  .route(
    '/',
    shopApp({ bffUrl: bff.url, widgetUrl: process.env.SHOP_WIDGET_URL, sandboxUrl, merchantsFile: join(dataDir, 'merchants.json'), dataDir: join(dataDir, 'shop'), operatorToken: operator }),
  )
  // The terminal preview (the foundation's page) moved here when the shop took /.
  .get('/preview', (c) => c.html(readFileSync(join(dist, 'index.html'), 'utf8')))
  .route('/', previewApp())
  .route('/', widgetTestApp({ bffUrl: bff.url, sandboxUrl, merchantsFile: join(dataDir, 'merchants.json') }))
  .route('/', appHostApp({ sandboxUrl }))
  .route('/', reconciliationApp({ bffUrl: bff.url, path: '/ops/reconciliation', scope: 'operator', operatorToken: operator, sandboxUrl }))
  .route('/__demo', process.env.DEMO_TEST_CONTROLS === '1' ? bffControls() : new Hono())
  .use('/*', serveStatic({ root: dist }));
const pageServer = serve({ fetch: page.fetch, port: ports.page, hostname });

console.log(`Unified cashier demo (${process.env.DATABASE_URL ? 'PostgreSQL' : `embedded store in ${dataDir}`}):
  shop        ${pageOrigin}/   (Celadon Tea House: teas, cart, checkout with the widget)
  orders      ${pageOrigin}/orders   (the shop's orders, verified webhooks, refunds and fees)
  reconcile   ${pageOrigin}/reconciliation   (the shop's daily bills against its orders; operator view: /ops/reconciliation)
  preview     ${pageOrigin}/preview   (what the cashier would offer this browser)
  widget      ${pageOrigin}/widget-test.html   (the widget's test page: a new order, the widget by script tag)
  app         ${pageOrigin}/app-host/   (the widget's test page inside a demo merchant app, with its SDK bridge)
  BFF         ${bff.url}/openapi.json
  sandbox     ${sandbox.publicUrl}/   (channel orders, pay / fail / abandon, bills, notifications)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    sandbox.sandbox.stop();
    pageServer.close();
    sandbox.server.close();
    void bff.close().then(() => process.exit(0));
  });
}

/**
 * The demo merchant, made once: a random secret key kept in .data/merchants.json (as a real deploy would in its
 * secrets), its webhooks going to the shop's receiver, signed with a random secret. A file made before the shop
 * existed gets the webhook URL and secret added; everything else in it is kept.
 */
function ensureDemoMerchant(dir: string, origins: string[], webhookUrl: string): void {
  const file = join(dir, 'merchants.json');
  const webhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;
  if (existsSync(file)) {
    const merchants = JSON.parse(readFileSync(file, 'utf8')) as MerchantConfig[];
    const demo = merchants.find((merchant) => merchant.id === 'mch_demo');
    if (!demo || (demo.webhookUrl && demo.webhookSecrets?.length)) return;
    demo.webhookUrl ??= webhookUrl;
    if (!demo.webhookSecrets?.length) demo.webhookSecrets = [webhookSecret()];
    writeFileSync(file, JSON.stringify(merchants, null, 2), { mode: 0o600 });
    return;
  }
  const merchant: MerchantConfig = {
    id: 'mch_demo',
    name: 'Celadon Tea House',
    apiKey: `sk_demo_${randomBytes(24).toString('base64url')}`,
    // The fee terms the sandbox's channels have contracted with this merchant, so its bills reconcile.
    settings: { ...DEMO_SETTINGS, channels: DEMO_SETTINGS.channels.filter((channel) => channel.id !== 'paypal'), fees: { ...SANDBOX_FEE_TERMS } },
    allowedOrigins: [...new Set(origins)],
    webhookUrl,
    webhookSecrets: [webhookSecret()],
  };
  writeFileSync(file, JSON.stringify([merchant], null, 2), { mode: 0o600 });
}

/**
 * End-to-end tests only: stop the BFF (as a crash or a deploy would) and start it again on the same port and store,
 * so a journey can pay while it is down and see the payment converge once it is back.
 */
function bffControls() {
  return new Hono()
    .post('/bff/stop', async (c) => {
      await bff.close();
      return c.json({ stopped: true });
    })
    .post('/bff/start', async (c) => {
      bff = await startBff(bffOptions);
      return c.json({ url: bff.url });
    });
}

/** The operator's token for the BFF's /ops API (reconciliation of every merchant), kept beside the store. */
function ensureOperatorToken(dir: string): void {
  const file = join(dir, 'operator-token');
  if (!existsSync(file)) writeFileSync(file, `op_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
}

function quietLog(line: Record<string, unknown>): void {
  if (line.level !== 'info') console.error(JSON.stringify(line));
}
