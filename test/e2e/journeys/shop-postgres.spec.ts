import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { PROFILES } from '../fixtures/profiles.ts';
import { startBffProcess, startDemo, freePort, type BffProcess, type DemoProcess } from './fixtures/demo-process.ts';
import { ShopSite, payOnSandboxPage } from './fixtures/shop-site.ts';

// Production's shape: the store on a real PostgreSQL and two BFF processes sharing it. The demo (demo/start.ts,
// DATABASE_URL) runs BFF A in-process; BFF B is a second process (bff/server.ts) on the same database, whose public
// URL is A's — the channels' notifications reach "the service" at A, as several instances behind one address would.
// The shop's pages load the widget from B (SHOP_WIDGET_URL), so the channel order is made by B, its notification is
// taken by A, the jobs are shared, and the payment converges in the shop. Needs TEST_DATABASE_URL (CI sets it).

const url = process.env.TEST_DATABASE_URL;
const schema = `e2e_shop_${randomBytes(5).toString('hex')}`;

test.use(PROFILES.pcChrome);
test.skip(!url && !process.env.CI, 'no PostgreSQL to run against: set TEST_DATABASE_URL (bash .ci/postgres.sh starts one and prints it)');

let demo: DemoProcess | undefined;
let second: BffProcess | undefined;

test.beforeAll(async () => {
  if (!url) throw new Error('TEST_DATABASE_URL must be set in CI: .ci/run starts PostgreSQL');
  const client = new pg.Client({ connectionString: url });
  const reachable = await client.connect().then(
    () => true,
    () => false,
  );
  await client.end().catch(() => undefined);
  if (!reachable && process.env.CI) throw new Error(`PostgreSQL at TEST_DATABASE_URL is not reachable`);
  test.skip(!reachable, `PostgreSQL at TEST_DATABASE_URL is not reachable`);
  const port = await freePort();
  const database = { DATABASE_URL: url, DATABASE_SCHEMA: schema };
  demo = await startDemo('postgres', { ...database, SHOP_WIDGET_URL: `http://127.0.0.1:${port}` });
  second = await startBffProcess(demo.dataDir, { ...database, PUBLIC_URL: demo.bff }, port);
});

test.afterAll(async () => {
  await second?.stop();
  await demo?.stop();
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
});

test('two BFF processes on one PostgreSQL: the widget on one, the notification to the other, paid in the shop', async ({ page, browser, request }) => {
  if (!demo || !second) throw new Error('the demo did not start');
  const shop = new ShopSite(page, demo.shop);
  await shop.openTeas();
  await shop.add('puer');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  const action = await widget.pay('wechatpay:native');
  await expect(widget.qr).toBeVisible();
  // Everything the widget asked went to B.
  expect(widget.apiRequests.length).toBeGreaterThan(0);
  expect(widget.apiRequests.filter((r) => !r.url().startsWith(`${second?.url}/cashier/v1/`)).map((r) => r.url())).toEqual([]);

  const phone = await browser.newContext(PROFILES.iphoneSafari);
  const scan = await phone.newPage();
  await scan.goto(action.codeUrl ?? '');
  await payOnSandboxPage(scan);
  await expect(scan.getByText('支付成功')).toBeVisible();
  await phone.close();

  await page.waitForURL(new RegExp(`/orders/${no}`), { timeout: 15_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
  // WeChat's notification went to A (B's public URL) and was acknowledged there; none went to B's own address.
  const log = (await (await request.get(`${demo.sandbox}/control/notifications`)).json()) as { url: string; acknowledged: boolean }[];
  expect(log.filter((delivery) => delivery.url.startsWith(`${demo?.bff}/notify/`) && delivery.acknowledged)).toHaveLength(1);
  expect(log.filter((delivery) => delivery.url.startsWith(second?.url ?? '-'))).toEqual([]);
  await shop.screenshot('shop-postgres-paid');
});
