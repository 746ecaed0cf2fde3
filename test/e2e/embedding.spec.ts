import { expect, test } from '@playwright/test';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// How a merchant embeds the widget: data attributes, Cashier.mount with a theme and onEvent, the custom element,
// two widgets on one page, unmount, the page's language — all under the test page's strict CSP.

test.use(PROFILES.pcChrome);

test('two widgets on one page are independent, and unmount stops every request', async ({ page }) => {
  const shop = new Shop(page);
  const second = new Shop(page, 'w2');
  await page.goto('/widget-test.html?mode=two');
  await shop.expectOptions();
  await second.expectOptions();
  const tokens = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('[data-cashier-session]')].map((el) => el.dataset.cashierSession));
  expect(new Set(tokens).size).toBe(2);

  await shop.pay('wechatpay:native');
  await expect(shop.qr).toBeVisible();
  await expect(second.widget.locator('[data-part="options"]')).toBeVisible();
  await second.option('unionpay:gateway').click();
  await expect(shop.qr).toBeVisible();
  await shop.screenshot('pc-chrome-two-widgets');

  // Unmount the one showing a QR code (its status stream open): nothing of it is left, and it asks nothing more.
  const byToken = (token: string | undefined) => shop.apiRequests.filter((r) => r.headers().authorization === `Bearer ${token}`).length;
  await page.evaluate(() => (window as unknown as { Cashier: { unmount(el: Element): void } }).Cashier.unmount(document.getElementById('w1') as Element));
  await expect(shop.widget.locator('section')).toHaveCount(0);
  const after = byToken(tokens[0]);
  await page.waitForTimeout(2500);
  expect(byToken(tokens[0])).toBe(after);
  await expect(second.option('unionpay:gateway').locator('input')).toBeChecked();
  shop.expectClean();
});

test('Cashier.mount with a theme and onEvent; without a nonce its styles come in a constructed stylesheet the CSP allows', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ mode: 'mount' });
  await expect(shop.payButton).toHaveCSS('background-color', 'rgb(122, 62, 0)');
  expect(await page.evaluate(() => (window as unknown as { onEventCalls?: number }).onEventCalls)).toBe(1);
  expect((await shop.events()).map((e) => e.type)).toEqual(['ready']);
  await shop.expectAccessible();
  shop.expectClean();
});

test('the <cashier-checkout> element mounts from its attributes and unmounts when removed', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ mode: 'element' });
  expect(await shop.optionIds()).toContain('wechatpay:native');
  await shop.pay('wechatpay:native');
  await expect(shop.qr).toBeVisible();
  await page.evaluate(() => document.getElementById('w1')?.remove());
  const after = shop.apiRequests.length;
  await page.waitForTimeout(2500);
  expect(shop.apiRequests.length).toBe(after);
  shop.expectClean();
});

test('speaks the page’s language: zh-CN from <html lang>', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ lang: 'zh-CN' });
  await expect(shop.widget.getByRole('heading', { name: '选择支付方式' })).toBeVisible();
  await expect(shop.widget.locator('.amount')).toHaveText('应付金额 ¥1,280.00');
  await expect(shop.payButton).toHaveText(/支付 ¥1,280.00/);
  shop.expectClean();
});

test('text from the order is shown as text, never run as markup', async ({ page }) => {
  const shop = new Shop(page);
  const subject = '<img src=x onerror="window.hacked=1">Tea & <b>cups</b>';
  await shop.open({ subject });
  await expect(shop.widget.locator('.subject')).toHaveText(subject);
  await expect(shop.widget.locator('img, b')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();
  shop.expectClean();
});

test('the BFF’s hand-off page opens the widget for a session, under its own strict CSP', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open();
  const session = new URL(page.url()).searchParams.get('session') ?? '';
  const response = await page.goto(`${shop.bffUrl}/checkout?session=${encodeURIComponent(session)}&channel=alipay`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'nonce-");
  const handoff = new Shop(page, 'cashier');
  await handoff.expectOptions();
  // The channel the customer chose before the hand-off is selected.
  await expect(handoff.option('alipay:page').locator('input')).toBeChecked();
  handoff.expectClean();
});

test('the ES module build, imported from the BFF, finds its BFF and its QR chunk by itself', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ mode: 'esm' });
  await shop.pay('wechatpay:native');
  await expect(shop.qr).toBeVisible();
  expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending']);
  shop.expectClean();
});
