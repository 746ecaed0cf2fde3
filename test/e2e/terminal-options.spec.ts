import { expect, test } from '@playwright/test';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// Terminals whose payment steps come with the in-app work (phase 2): the options each is offered, in order.

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
});
