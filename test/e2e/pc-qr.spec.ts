import { expect, test } from '@playwright/test';
import { encodeQr } from '../../widget/qr/index.ts';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// A desktop browser: the options with Huabei plans up front, a QR code drawn by the lazily loaded chunk, paid on a
// phone at the sandbox's scan page, and success shown once the BFF says so.

test.use(PROFILES.pcChrome);

const PC_OPTIONS = ['wechatpay:native', 'alipay:page', 'alipay:page:huabei-3', 'alipay:page:huabei-6', 'alipay:page:huabei-12', 'unionpay:gateway'];

test('PC Chrome: options, a QR code, paid on the phone, success from the BFF', async ({ page, browser }) => {
  const shop = new Shop(page);
  const loaded: string[] = [];
  page.on('request', (request) => loaded.push(request.url()));
  await shop.open();
  // Before the options showed, the widget loaded only cashier.js (no QR chunk) and asked for the session.
  expect(loaded.filter((url) => url.startsWith(shop.bffUrl) && !url.includes('/cashier/v1/'))).toEqual([`${shop.bffUrl}/cashier.js`]);
  expect(await shop.optionIds()).toEqual(PC_OPTIONS);
  await expect(shop.option('wechatpay:native')).toContainText('Recommended');
  await expect(shop.option('alipay:page:huabei-3')).toContainText('CN¥436.47 × 3 instalments');
  await expect(shop.option('alipay:page:huabei-3')).toContainText('Fee CN¥29.44, paid by you · total CN¥1,309.44');
  await expect(shop.widget.getByText('CN¥1,280.00').first()).toBeVisible();
  await shop.expectAccessible();
  await shop.screenshot('pc-chrome-options');

  const action = await shop.pay('wechatpay:native');
  expect(action.kind).toBe('qr');
  await expect(shop.qr).toBeVisible();
  // The drawn code is the channel's code URL, module for module.
  await expect(shop.qr.locator('path')).toHaveAttribute('d', encodeQr(action.codeUrl ?? '').path);
  await expect(shop.qr).toHaveAttribute('aria-label', 'QR code to pay CN¥1,280.00 with WeChat Pay');
  expect(loaded.filter((url) => /\/cashier-qr\.[\w-]+\.js$/.test(url))).toHaveLength(1);
  const seconds = Number(await shop.widget.locator('[data-part="countdown"]').getAttribute('data-seconds'));
  expect(seconds).toBeGreaterThan(29 * 60);
  expect(seconds).toBeLessThanOrEqual(30 * 60);
  await expect(shop.widget.locator('[data-part="qr-view"]').getByText('Waiting for your payment…')).toBeVisible();
  await expect(shop.widget.getByRole('status')).toHaveText('Waiting for your payment…');
  await shop.expectAccessible();
  await shop.screenshot('pc-chrome-qr');

  // The customer scans it with their phone: the sandbox's scan page, where they pay.
  const phone = await browser.newContext(PROFILES.iphoneSafari);
  const scan = await phone.newPage();
  await scan.goto(action.codeUrl ?? '');
  await scan.getByRole('button', { name: 'Pay', exact: true }).click();
  await expect(scan.getByText('支付成功')).toBeVisible();
  await phone.close();

  await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
  await expect(shop.result('succeeded')).toContainText('Celadon Tea House has received CN¥1,280.00');
  await expect(shop.widget.locator('[data-part="status"]')).toHaveText('Payment received');
  expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
  await shop.screenshot('pc-chrome-succeeded');
  shop.expectClean();
});

test('a hidden tab asks nothing; back in view it checks at once', async ({ page, request }) => {
  const shop = new Shop(page);
  await shop.open();
  const action = await shop.pay('wechatpay:native');
  await expect(shop.qr).toBeVisible();

  await shop.setHidden(true);
  const hiddenAt = shop.apiRequests.length;
  // Paid on the phone while this tab is in the background.
  const paid = await request.post(action.codeUrl ?? '', { form: { outcome: 'pay' } });
  expect(paid.ok()).toBe(true);
  await page.waitForTimeout(3000);
  expect(shop.apiRequests.slice(hiddenAt).map((r) => r.url())).toEqual([]);
  await expect(shop.qr).toBeVisible();

  const back = Date.now();
  await shop.setHidden(false);
  await expect(shop.result('succeeded')).toBeVisible({ timeout: 5000 });
  expect(Date.now() - back).toBeLessThan(3000);
  const first = shop.apiRequests[hiddenAt];
  expect(`${first?.method()} ${first?.url()}`).toBe(`POST ${shop.bffUrl}/cashier/v1/status/refresh`);
  shop.expectClean();
});

test('keyboard only: arrows choose, Enter pays, focus follows to the QR code, and back', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open();
  await shop.option('wechatpay:native').locator('input').focus();
  await page.keyboard.press('ArrowDown');
  await expect(shop.option('alipay:page').locator('input')).toBeChecked();
  await page.keyboard.press('ArrowUp');
  await expect(shop.option('wechatpay:native').locator('input')).toBeChecked();
  await page.keyboard.press('Enter'); // submits the form: Pay
  await expect(shop.qr).toBeVisible();
  await expect(shop.widget.getByRole('heading', { name: 'Scan with WeChat Pay to pay' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(shop.widget.getByRole('button', { name: 'Choose another way to pay' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(shop.widget.getByRole('heading', { name: 'Choose how to pay' })).toBeFocused();
  expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'cancelled']);
  shop.expectClean();
});

test('PC Chrome: Alipay page pay leaves for Alipay’s cashier and comes back paid', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open();
  await shop.pay('alipay:page');
  await page.waitForURL(/\/gateway\.do/);
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await page.waitForURL(/widget-test\.html/);
  await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
  shop.expectClean();
});
