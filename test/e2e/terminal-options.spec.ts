import { expect, test } from '@playwright/test';
import { playAlipayClient } from './fixtures/hosts.ts';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// The Alipay client and WeCom: the options each is offered, in order, and a payment where the terminal allows one.
// (WeChat, its mini-programs and the merchant app have specs of their own; the hand-offs too.)

test.describe('inside the Alipay client', () => {
  test.use(PROFILES.alipayClient);

  test('in-client pay with Huabei first, the other wallets as hand-offs', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    expect(await shop.optionIds()).toEqual([
      'alipay:inapp',
      'alipay:inapp:huabei-3',
      'alipay:inapp:huabei-6',
      'alipay:inapp:huabei-12',
      'wechatpay:handoff',
      'unionpay:handoff',
    ]);
    await expect(shop.option('wechatpay:handoff')).toContainText('Continue in your browser or on another device');
    await shop.expectAccessible();
    await shop.screenshot('alipay-client-options');
    shop.expectClean();
  });

  test('pays in the client’s own sheet (AlipayJSBridge tradePay), success from the BFF', async ({ page }) => {
    await playAlipayClient(page);
    const shop = new Shop(page);
    await shop.open();
    const action = await shop.pay('alipay:inapp');
    expect(action).toMatchObject({ kind: 'jsapi', bridge: 'AlipayJSBridge' });
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
    await shop.screenshot('alipay-client-succeeded');
    shop.expectClean();
  });

  test('a cancelled Huabei plan in the client’s sheet goes back to the options', async ({ page }) => {
    const client = await playAlipayClient(page);
    client.choice = 'cancel';
    const shop = new Shop(page);
    await shop.open();
    await shop.pay('alipay:inapp:huabei-6');
    await expect.poll(async () => (await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'cancelled']);
    await shop.expectOptions();
    shop.expectClean();
  });
});

test.describe('inside WeCom', () => {
  test.use(PROFILES.wecom);

  test('is a phone browser, not WeChat: H5 and WAP, no JSAPI', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    const ids = await shop.optionIds();
    expect(ids.filter((id) => !id.includes('huabei'))).toEqual(['wechatpay:h5', 'alipay:wap', 'unionpay:wap']);
    expect(ids).not.toContain('wechatpay:jsapi');
    await shop.expectAccessible();
    await shop.screenshot('wecom-options');
    shop.expectClean();
  });

  test('pays with Alipay’s mobile web cashier and comes back paid', async ({ page }) => {
    const shop = new Shop(page);
    await shop.open();
    await shop.pay('alipay:wap');
    await page.waitForURL(/\/gateway\.do/);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/widget-test\.html/);
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    await shop.screenshot('wecom-succeeded');
    shop.expectClean();
  });
});
