import { expect, test } from '@playwright/test';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// Phones' browsers: H5/WAP options, away to the channel's page (a redirect, or UnionPay's form post), pay there,
// come back, and see success once the BFF confirms it; or come back without paying and say so.

const PHONE_OPTIONS = ['wechatpay:h5', 'alipay:wap', 'alipay:wap:huabei-3', 'alipay:wap:huabei-6', 'alipay:wap:huabei-12', 'unionpay:wap'];

test.describe('iPhone Safari', () => {
  test.use(PROFILES.iphoneSafari);

  test('Alipay WAP: the options, Alipay’s cashier, back to the shop paid', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    expect(await shop.optionIds()).toEqual(PHONE_OPTIONS);
    await expect(shop.option('wechatpay:h5')).toContainText('Continue on WeChat Pay’s page');
    await shop.expectAccessible();
    await shop.screenshot('iphone-safari-options');

    await shop.pay('alipay:wap');
    await page.waitForURL(/\/gateway\.do/);
    await expect(page.getByText('支付宝 · 手机网站收银台').first()).toBeVisible();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    // Alipay sends the customer back to the page they left, with its signed return parameters.
    await page.waitForURL(/widget-test\.html\?session=.*&out_trade_no=/);
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    await shop.expectAccessible();
    await shop.screenshot('iphone-safari-succeeded');
    shop.expectClean();
  });

  test('a Huabei plan: the total with the fee on the button, the plan on Alipay’s page, paid', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    await shop.option('alipay:wap:huabei-6').click();
    await expect(shop.payButton).toHaveText(/Pay CN¥1,337\.60/);
    await shop.pay('alipay:wap:huabei-6');
    await page.waitForURL(/\/gateway\.do/);
    // The channel order carries the plan: hb_fq_num=6, the buyer bearing the fee (hb_fq_seller_percent=0).
    await expect(page.getByText('hb_fq_num=6, hb_fq_seller_percent=0')).toBeVisible();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/widget-test\.html/);
    // The merchant received the order's amount; the fee is the buyer's, paid to Huabei with the instalments.
    await expect(shop.result('succeeded')).toContainText('has received CN¥1,280.00', { timeout: 15_000 });
    shop.expectClean();
  });

  test('WeChat H5: WeChat’s page, back through redirect_url, paid', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    await shop.pay('wechatpay:h5');
    await page.waitForURL(/\/pay\/wechatpay\/h5/);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/widget-test\.html/);
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    shop.expectClean();
  });
});

test.describe('Android Chrome', () => {
  test.use(PROFILES.androidChrome);

  test('UnionPay WAP: a form posted to the gateway, back by UnionPay’s front notification, paid', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    expect(await shop.optionIds()).toEqual(PHONE_OPTIONS);
    await shop.expectAccessible();
    await shop.screenshot('android-chrome-options');

    await shop.pay('unionpay:wap');
    await page.waitForURL(/\/gateway\//);
    await expect(page.getByText('Mobile gateway (channelType 08)')).toBeVisible();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    // UnionPay's return is a form POST to frontUrl: the shop's page, which answers POST as well.
    await page.getByRole('button', { name: /Return to the merchant/ }).click();
    await page.waitForURL(/widget-test\.html/);
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    await shop.screenshot('android-chrome-succeeded');
    shop.expectClean();
  });

  test('back without paying: “I have paid” re-checks, “I had a problem” returns to the options', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    await shop.pay('alipay:wap');
    await page.waitForURL(/\/gateway\.do/);
    await page.getByRole('button', { name: 'Abandon', exact: true }).click();
    await expect(page.getByText('您已离开收银台')).toBeVisible();
    await page.goBack();
    await page.goBack();

    const returned = shop.widget.locator('[data-part="returned"]');
    await expect(returned).toBeVisible();
    await expect(returned.getByRole('heading', { name: 'Did you complete the payment?' })).toBeVisible();
    const before = shop.apiRequests.length;
    await returned.getByRole('button', { name: 'I have paid' }).click();
    await expect(returned).toContainText('We have not received the payment yet');
    expect(shop.apiRequests.slice(before).map((r) => `${r.method()} ${new URL(r.url()).pathname}`)).toContain('POST /cashier/v1/status/refresh');
    await shop.expectAccessible();
    await shop.screenshot('android-chrome-returned');

    await returned.getByRole('button', { name: 'I had a problem' }).click();
    await shop.expectOptions();
    expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'cancelled']);
    shop.expectClean();
  });
});
