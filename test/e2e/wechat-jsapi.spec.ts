import { expect, test, type Page } from '@playwright/test';
import { playWeChat } from './fixtures/hosts.ts';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// Inside WeChat (iOS, Android, the desktop client): WeChat Pay's JSAPI first, the other wallets as hand-offs. Paying
// signs the payer in with WeChat (the BFF's OAuth through the sandbox's silent snsapi_base page) on the first try,
// comes back to the same page and goes on by itself: WeChat's own pay sheet, through WeixinJSBridge, paid at the
// sandbox's wallet; success shown once the BFF has it, never on the sheet's word alone.

const WECHAT_OPTIONS = ['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff'];

async function payJsapi(shop: Shop, page: Page): Promise<void> {
  await shop.option('wechatpay:jsapi').click();
  await shop.payButton.click();
}

const TERMINALS = [
  ['WeChat on iOS', PROFILES.wechatIos, 'wechat-ios'],
  ['WeChat on Android', PROFILES.wechatAndroid, 'wechat-android'],
  ['desktop WeChat', PROFILES.desktopWechat, 'desktop-wechat'],
] as const;

for (const [name, profile, shot] of TERMINALS) {
  test.describe(name, () => {
    test.use(profile);

    test('JSAPI first; signs in with WeChat, pays in WeChat’s sheet, success from the BFF', async ({ page }) => {
      const wechat = await playWeChat(page);
      const shop = new Shop(page);
      await shop.open();
      expect(await shop.optionIds()).toEqual(WECHAT_OPTIONS);
      await expect(shop.option('wechatpay:jsapi')).toContainText('Pay in WeChat Pay');
      await expect(shop.option('alipay:handoff')).toContainText('Continue in your browser or on another device');
      await shop.expectAccessible();
      await shop.screenshot(`${shot}-options`);

      const session = new URL(page.url()).searchParams.get('session');
      await payJsapi(shop, page);
      // Away to WeChat's sign-in and back: the same page, the same session, the payment picked up again.
      await expect(shop.result('succeeded')).toBeVisible({ timeout: 20_000 });
      const back = new URL(page.url());
      expect(back.searchParams.get('session')).toBe(session);
      // The sign-in markers are gone from the address: a reload will not pay again.
      expect([...back.searchParams.keys()]).toEqual(['session']);
      expect(wechat.sheets).toHaveLength(1);
      expect(wechat.sheets[0]).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });
      expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
      await shop.expectAccessible();
      await shop.screenshot(`${shot}-succeeded`);
      shop.expectClean();
    });
  });
}

test.describe('WeChat on iOS, changing one’s mind', () => {
  test.use(PROFILES.wechatIos);

  test('cancelled in WeChat’s sheet: back to the options; paying again needs no second sign-in', async ({ page }) => {
    const wechat = await playWeChat(page);
    wechat.choice = 'cancel';
    const shop = new Shop(page);
    await shop.open();
    await payJsapi(shop, page);
    await expect.poll(() => wechat.sheets.length, { timeout: 20_000 }).toBe(1);
    await shop.expectOptions();
    await expect.poll(async () => (await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'cancelled']);
    const cancelled = (await shop.events()).at(-1);
    expect(cancelled).toMatchObject({ optionId: 'wechatpay:jsapi', attemptId: expect.stringMatching(/^att_/) });

    wechat.choice = 'pay';
    const url = page.url();
    await payJsapi(shop, page);
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    expect(page.url()).toBe(url);
    // The same channel order both times (the BFF reuses the open attempt), so one prepay_id.
    expect(wechat.sheets.map((params) => params.package)).toEqual([wechat.sheets[0]?.package, wechat.sheets[0]?.package]);
    shop.expectClean();
  });
});
