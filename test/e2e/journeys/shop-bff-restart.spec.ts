import { expect, test } from '@playwright/test';
import { PROFILES } from '../fixtures/profiles.ts';
import { startDemo, type DemoProcess } from './fixtures/demo-process.ts';
import { ShopSite, payOnSandboxPage } from './fixtures/shop-site.ts';

// The BFF goes down in the middle of a payment (a crash, a deploy) and the customer pays all the same: the channel's
// notification finds nobody, yet once the BFF is back the payment converges — its query job, overdue, asks the
// channel — and the shop hears of it by webhook. A demo of this spec's own (stopping the shared one's BFF would
// break the other specs), with the test-only controls that stop and start the BFF inside demo/start.ts.

test.use(PROFILES.pcChrome);

let demo: DemoProcess | undefined;

test.beforeAll(async () => {
  demo = await startDemo('bff-restart', { DEMO_TEST_CONTROLS: '1' });
});

test.afterAll(async () => {
  await demo?.stop();
});

test('a payment made while the BFF is down ends succeeded in the shop', async ({ page, browser, request }) => {
  if (!demo) throw new Error('the demo did not start');
  const shop = new ShopSite(page, demo.shop);
  await shop.openTeas();
  await shop.add('silver-needle');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  const action = await widget.pay('wechatpay:native');
  await expect(widget.qr).toBeVisible();

  expect((await request.post(`${demo.shop}/__demo/bff/stop`)).ok()).toBe(true);
  const down = await request.get(`${demo.bff}/openapi.json`).then(
    () => 'answered',
    () => 'down',
  );
  expect(down).toBe('down');

  // The customer pays on their phone while the BFF is away: WeChat's notification to it fails.
  const phone = await browser.newContext(PROFILES.iphoneSafari);
  const scan = await phone.newPage();
  await scan.goto(action.codeUrl ?? '');
  await payOnSandboxPage(scan);
  await expect(scan.getByText('支付成功')).toBeVisible();
  await phone.close();
  await expect
    .poll(async () => {
      const log = (await (await request.get(`${demo?.sandbox}/control/notifications`)).json()) as { url: string; acknowledged: boolean; error?: string }[];
      const tries = log.filter((delivery) => delivery.url.startsWith(demo?.bff ?? '-'));
      return tries.length > 0 && tries.every((delivery) => !delivery.acknowledged);
    })
    .toBe(true);
  // The shop knows nothing yet: its order page (open in the staff's tab) says so.
  const staff = new ShopSite(await page.context().newPage(), demo.shop);
  await staff.openOrder(no);
  await expect(staff.orderStatus).toHaveAttribute('data-status', /^(open|paying)$/);

  expect((await request.post(`${demo.shop}/__demo/bff/start`)).ok()).toBe(true);
  // Back up, it converges by itself: the customer's widget, which kept asking, confirms and goes to the order page;
  // the staff's order page (updating from the shop's records, no reload) shows it paid, by a verified webhook.
  await page.waitForURL(new RegExp(`/orders/${no}`), { timeout: 30_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(staff.orderStatus).toHaveAttribute('data-status', 'succeeded', { timeout: 10_000 });
  await expect(staff.webhook('order.succeeded')).toContainText('signature verified');
  await expect(staff.page.getByText('Paid with WeChat Pay')).toBeVisible();
});
