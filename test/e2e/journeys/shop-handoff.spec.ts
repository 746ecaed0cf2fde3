import { expect, test } from '@playwright/test';
import { playWeChat } from '../fixtures/hosts.ts';
import { PROFILES } from '../fixtures/profiles.ts';
import { Shop } from '../fixtures/shop.ts';
import { ShopSite, payOnSandboxPage } from './fixtures/shop-site.ts';

// A hand-off from the shop inside WeChat, resumed in the phone's browser, as `npm start` runs it: at the shop's
// checkout in WeChat the customer picks Alipay, which WeChat blocks; the hand-off sheet gives the order's link, opened
// in Safari (the BFF's hand-off page, the same order with Alipay chosen), paid on Alipay's page; back in WeChat, the
// shop's checkout, which kept watching, goes to the order page, paid, with the webhook the shop's server verified.

test.use(PROFILES.wechatIos);

test('inside WeChat: Alipay → the hand-off sheet → its link paid in Safari → paid in WeChat and in the shop', async ({ page, browser }) => {
  await playWeChat(page);
  const shop = new ShopSite(page);
  await shop.openTeas();
  await shop.add('puer');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  await widget.option('alipay:handoff').click();
  await widget.payButton.click();

  const sheet = widget.widget.locator('[data-part="handoff"]');
  await expect(sheet.getByRole('heading', { name: 'Pay with Alipay in your browser' })).toBeFocused();
  await expect(sheet.locator('[data-part="hint"]')).toHaveAttribute('data-kind', 'safari');
  await expect(sheet.locator('[data-part="qr"][data-ready="true"]')).toBeVisible();
  const link = await sheet.getByRole('textbox', { name: 'Link to this order' }).inputValue();
  expect(link).toMatch(/\/checkout\?session=[^&]+&channel=alipay$/);
  await widget.expectAccessible();
  await shop.screenshot('shop-handoff', page.locator('section.pay'));

  // In Safari: the BFF's page resumes the same order (¥188.00 of pu’er), Alipay chosen; paid on Alipay's page.
  const safari = await browser.newContext(PROFILES.iphoneSafari);
  const tab = await safari.newPage();
  await tab.goto(link);
  const resumed = new Shop(tab, 'cashier');
  await resumed.expectOptions();
  await expect(resumed.option('alipay:wap').locator('input')).toBeChecked();
  await expect(resumed.widget.getByText('¥188.00').first()).toBeVisible();
  await resumed.pay('alipay:wap');
  await tab.waitForURL(/\/gateway\.do/);
  await payOnSandboxPage(tab);
  await tab.waitForURL(/\/checkout\?session=/);
  await expect(resumed.result('succeeded')).toBeVisible({ timeout: 15_000 });
  resumed.expectClean();
  await safari.close();

  // Back in WeChat: the shop's checkout saw it paid and went to the order page.
  await page.waitForURL(new RegExp(`/orders/${no}\\?paid=1$`), { timeout: 15_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(page.getByText(/^Paid with Alipay/)).toBeVisible();
  await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
  widget.expectClean();
});
