import { expect, test } from '@playwright/test';
import { playMiniProgram } from '../fixtures/hosts.ts';
import { PROFILES } from '../fixtures/profiles.ts';
import { ShopSite } from './fixtures/shop-site.ts';

// The shop inside a WeChat mini-program's web-view (the merchant's mini-program opens the shop's pages), as
// `npm start` runs it, the mini-program played by test/e2e/fixtures/hosts.ts: the shop's checkout offers WeChat Pay
// alone; the widget hands off to the mini-program's native pay page (the shipped template, widget/miniprogram, run as
// the mini-program would: wx.login, the BFF, wx.requestPayment), which goes back; the checkout, shown again, asks the
// BFF and takes the customer to the shop's order page, paid, with the verified webhook.

test.use(PROFILES.miniProgram);

test('checkout in the mini-program → its native pay page → back → paid in the shop', async ({ page }) => {
  const host = await playMiniProgram(page);
  const shop = new ShopSite(page);
  await shop.openTeas();
  await shop.add('silver-needle');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  expect(await widget.optionIds()).toEqual(['wechatpay:miniprogram']);
  await expect(widget.option('wechatpay:miniprogram')).toContainText('Pay in the mini-program');
  await expect(widget.widget.locator('[data-part="unavailable"]')).toContainText('Alipay cannot be used here');
  await widget.expectAccessible();
  await shop.screenshot('shop-miniprogram');

  const session = (await page.locator('#cashier').getAttribute('data-session')) ?? '';
  await widget.payButton.click();
  // Paid on the native page, back at the web-view: the checkout sees it paid and goes to the order page.
  await page.waitForURL(new RegExp(`/orders/${no}\\?paid=1$`), { timeout: 20_000 });
  expect(host.opened).toHaveLength(1);
  const [path, query] = (host.opened[0] ?? '').split('?');
  expect(path).toBe('/pages/cashier/pay');
  expect(Object.fromEntries(new URLSearchParams(query))).toMatchObject({ session, optionId: 'wechatpay:miniprogram' });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(page.getByText(/^Paid with WeChat Pay/)).toBeVisible();
  await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
  widget.expectClean();
});
