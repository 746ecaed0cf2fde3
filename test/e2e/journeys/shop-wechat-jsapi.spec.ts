import { expect, test } from '@playwright/test';
import { playWeChat } from '../fixtures/hosts.ts';
import { PROFILES } from '../fixtures/profiles.ts';
import { ShopSite } from './fixtures/shop-site.ts';

// The shop opened inside WeChat (a link shared in a chat), as `npm start` runs it, with WeChat's web view played by
// test/e2e/fixtures/hosts.ts: the teas bought, JSAPI first at the shop's checkout; paying signs the payer in with
// WeChat (away to the BFF's OAuth and back to the shop's checkout page), WeChat's own sheet pays, and the shop's
// order page shows the order paid, from its records and a webhook whose signature its server verified.

for (const [name, profile] of [
  ['WeChat on iOS', PROFILES.wechatIos],
  ['WeChat on Android', PROFILES.wechatAndroid],
] as const) {
  test.describe(name, () => {
    test.use(profile);

    test('buy in the shop → WeChat sign-in → WeChat’s pay sheet → paid in the shop, with a verified webhook', async ({ page }) => {
      const wechat = await playWeChat(page);
      const shop = new ShopSite(page);
      await shop.openTeas();
      await shop.add('tieguanyin');
      await shop.openCart();
      const widget = await shop.checkout();
      const no = shop.orderNo();
      expect(await widget.optionIds()).toEqual(['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff']);
      await widget.option('wechatpay:jsapi').click();
      await expect(widget.payButton).toHaveText(/CN¥68\.50/);
      await widget.expectAccessible();
      if (name === 'WeChat on iOS') await shop.screenshot('shop-wechat-jsapi');

      // The first try needs the payer's openid: WeChat's sign-in (silent inside WeChat) takes the page away and back
      // to the shop's checkout, where the widget goes on with the same payment into WeChat's sheet.
      const visited: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) visited.push(request.url());
      });
      await widget.payButton.click();
      await page.waitForURL(new RegExp(`/orders/${no}\\?paid=1$`), { timeout: 15_000 });
      const signIn = visited.findIndex((url) => url.includes('/cashier/v1/wechat/oauth?'));
      expect(signIn).toBeGreaterThanOrEqual(0);
      expect(visited.slice(signIn).some((url) => new RegExp(`/checkout/${no}\\?.*cashier_oauth=ok`).test(url))).toBe(true);
      expect(wechat.sheets).toHaveLength(1);
      expect(wechat.sheets[0]).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });

      await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
      await expect(page.getByText(/^Paid with WeChat Pay/)).toBeVisible();
      await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
      // The orders page counts the webhook against the order.
      await page.goto('/orders');
      const row = page.locator(`tr[data-order="${no}"]`);
      await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'succeeded');
      await expect(row.locator('td').last()).not.toHaveText('0');
      widget.expectClean();
    });
  });
}
