import { expect, test } from '@playwright/test';
import { PROFILES } from '../fixtures/profiles.ts';
import { playMerchantApp } from './fixtures/merchant-app.ts';
import { ShopSite } from './fixtures/shop-site.ts';

// The shop inside the merchant's own app, as `npm start` runs it: the demo app (demo/app-host) shows the shop in its
// web view with its bridge injected and CashierApp/1.0 in the user agent. The shop's checkout offers the channels'
// app products; the widget hands the SDK parameters to the app, whose "App SDK" sheet pays at the sandbox; the widget
// has the BFF confirm it, and the shop's order page shows the order paid, with the verified webhook.

test.use(PROFILES.merchantApp);

test('the shop in the merchant app: Alipay through the app’s SDK → paid in the shop', async ({ page }) => {
  await playMerchantApp(page);
  const shop = new ShopSite(page);
  await shop.openTeas();
  await shop.add('longjing');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  expect((await widget.optionIds()).filter((id) => !id.includes('huabei'))).toEqual(['wechatpay:app', 'alipay:app', 'unionpay:app']);

  const action = await widget.pay('alipay:app');
  expect(action.kind).toBe('app');
  const sdk = page.locator('[data-app-sdk="alipay"]');
  await expect(sdk.getByRole('dialog', { name: /App SDK · Alipay/ })).toBeVisible();
  await sdk.getByRole('button', { name: 'Pay', exact: true }).click();

  await page.waitForURL(new RegExp(`/orders/${no}\\?paid=1$`), { timeout: 15_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(page.getByText(/^Paid with Alipay/)).toBeVisible();
  await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
  widget.expectClean();
});
