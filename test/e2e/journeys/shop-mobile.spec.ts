import { expect, test } from '@playwright/test';
import { PROFILES } from '../fixtures/profiles.ts';
import { ShopSite, payOnSandboxPage } from './fixtures/shop-site.ts';

// The shop on phones, as `npm start` runs it: the widget offers what the phone can pay with (H5/WAP in a browser,
// in-client pay inside Alipay), the customer leaves for the channel's page, pays, comes back to the shop's checkout
// page and lands on the order page, paid; Huabei instalments end to end, the plan on Alipay's page.

const PHONE_OPTIONS = ['wechatpay:h5', 'alipay:wap', 'alipay:wap:huabei-3', 'alipay:wap:huabei-6', 'alipay:wap:huabei-12', 'unionpay:wap'];

test.describe('iPhone Safari', () => {
  test.use(PROFILES.iphoneSafari);

  test('WeChat Pay H5: the phone’s options, WeChat’s page, back in the shop, paid', async ({ page }) => {
    const shop = new ShopSite(page);
    await shop.openTeas();
    await shop.add('puer');
    await shop.openCart();
    const widget = await shop.checkout();
    const no = shop.orderNo();
    expect(await widget.optionIds()).toEqual(PHONE_OPTIONS);
    await widget.expectAccessible();
    await shop.screenshot('shop-mobile-h5');

    await widget.pay('wechatpay:h5');
    await page.waitForURL(/\/pay\/wechatpay\/h5/);
    await payOnSandboxPage(page);
    // WeChat sends the customer back to the shop's checkout page (redirect_url): the widget there confirms the payment
    // with the cashier and goes on to the order page (or the shop's server, already told, goes there at once).
    await page.waitForURL(new RegExp(`/orders/${no}(\\?paid=1)?$`), { timeout: 15_000 });
    await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
    await expect(page.getByText('Paid with WeChat Pay')).toBeVisible();
    await expect(shop.webhook('order.succeeded')).toBeVisible({ timeout: 10_000 });
    await shop.screenshot('shop-mobile-paid');
    widget.expectClean();
  });

  test('Huabei in 6 instalments: the plan on the button and on Alipay’s page, paid, the shop receives the price', async ({ page }) => {
    const shop = new ShopSite(page);
    await shop.openTeas();
    await shop.add('longjing');
    await shop.openCart();
    const widget = await shop.checkout();
    const no = shop.orderNo();
    await widget.option('alipay:wap:huabei-6').click();
    // ¥128.00 + 4.5 % (¥5.76) paid by the buyer over 6 periods.
    await expect(widget.payButton).toHaveText(/Pay CN¥133\.76/);
    await expect(widget.option('alipay:wap:huabei-6')).toContainText('× 6');
    await shop.screenshot('shop-huabei');

    await widget.pay('alipay:wap:huabei-6');
    await page.waitForURL(/\/gateway\.do/);
    // The channel order carries the plan: hb_fq_num=6, the buyer bearing the fee (hb_fq_seller_percent=0).
    await expect(page.getByText('hb_fq_num=6, hb_fq_seller_percent=0')).toBeVisible();
    await shop.screenshot('shop-huabei-alipay');
    await payOnSandboxPage(page);
    await page.waitForURL(new RegExp(`/orders/${no}(\\?paid=1)?$`), { timeout: 15_000 });
    await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
    await expect(page.getByText('Paid with Alipay')).toBeVisible();
    // The merchant's order is the price of the tea; the instalment fee is the buyer's, paid to Huabei.
    await expect(page.getByTestId('order-total')).toHaveText('CN¥128.00');
    widget.expectClean();
  });
});

test.describe('inside the Alipay client', () => {
  test.use(PROFILES.alipayClient);

  test('the shop’s checkout offers in-client pay with Huabei first, the other wallets as hand-offs', async ({ page }) => {
    const shop = new ShopSite(page);
    await shop.openTeas();
    await shop.add('silver-needle');
    await shop.openCart();
    const widget = await shop.checkout();
    expect(await widget.optionIds()).toEqual([
      'alipay:inapp',
      'alipay:inapp:huabei-3',
      'alipay:inapp:huabei-6',
      'alipay:inapp:huabei-12',
      'wechatpay:handoff',
      'unionpay:handoff',
    ]);
    widget.expectClean();
  });
});
