import { expect, test } from '@playwright/test';
import { encodeQr } from '../../widget/qr/index.ts';
import { playAlipayClient, playWeChat } from './fixtures/hosts.ts';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// A channel the client blocks (Alipay or UnionPay inside WeChat, WeChat Pay inside the Alipay client): the hand-off
// sheet, from its own chunk. Open the order in the phone's browser (a picture of ··· then "Open in Safari/Browser"),
// copy the link, or scan a QR code with another device; all three go to the BFF's hand-off page, which resumes the
// same order with the chosen channel, and the page left behind sees it paid.

const CHECKOUT = /\/checkout\?session=[^&]+&channel=alipay$/;

test.describe('inside WeChat on iOS', () => {
  test.use(PROFILES.wechatIos);

  test('Alipay: the hand-off sheet; the link opened in Safari resumes the order, and WeChat’s page sees it paid', async ({ page, browser, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await playWeChat(page);
    const shop = new Shop(page);
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(request.url()));
    await shop.open();
    expect(loaded.some((url) => /cashier-handoff\./.test(url))).toBe(false);
    await shop.option('alipay:handoff').click();
    await shop.payButton.click();

    const sheet = shop.widget.locator('[data-part="handoff"]');
    await expect(sheet.getByRole('heading', { name: 'Pay with Alipay in your browser' })).toBeFocused();
    await expect(sheet).toContainText('Alipay cannot be used inside WeChat');
    // The picture for WeChat on iOS: ··· then "Open in Safari".
    await expect(sheet.locator('[data-part="hint"]')).toHaveAttribute('data-kind', 'safari');
    await expect(sheet.getByRole('img', { name: /the ··· button at the top right, then “Open in Safari”/ })).toBeVisible();
    await expect(sheet.getByRole('listitem')).toHaveText(['Tap “Continue” below.', 'Tap ··· at the top right.', 'Choose “Open in Safari”.']);
    const link = await sheet.getByRole('textbox', { name: 'Link to this order' }).inputValue();
    expect(link).toMatch(CHECKOUT);
    await expect(sheet.getByRole('link', { name: 'Continue' })).toHaveAttribute('href', link);

    await sheet.getByRole('button', { name: 'Copy link' }).click();
    await expect(sheet.locator('[data-part="copied"]')).toHaveText('Link copied. Paste it into your browser’s address bar.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    // The QR code is the same link, drawn by the lazily loaded QR chunk.
    await expect(sheet.locator('[data-part="qr"] path')).toHaveAttribute('d', encodeQr(link).path);
    expect(loaded.filter((url) => /cashier-(handoff|qr)\.[\w-]+\.js$/.test(url))).toHaveLength(2);
    expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending']);
    await shop.expectAccessible();
    await shop.screenshot('wechat-ios-handoff');

    // In Safari: the same order, Alipay chosen, paid on Alipay's page and back at the hand-off page.
    const safari = await browser.newContext(PROFILES.iphoneSafari);
    const tab = await safari.newPage();
    await tab.goto(link);
    const resumed = new Shop(tab, 'cashier');
    await resumed.expectOptions();
    await expect(resumed.option('alipay:wap').locator('input')).toBeChecked();
    // The BFF's page is in Chinese (<html lang="zh-CN">).
    await expect(resumed.widget.getByText('¥1,280.00').first()).toBeVisible();
    await resumed.screenshot('handoff-page-safari');
    await resumed.pay('alipay:wap');
    await tab.waitForURL(/\/gateway\.do/);
    await tab.getByRole('button', { name: 'Pay', exact: true }).click();
    await tab.waitForURL(/\/checkout\?session=/);
    await expect(resumed.result('succeeded')).toBeVisible({ timeout: 15_000 });
    resumed.expectClean();
    await safari.close();

    // Back in WeChat, the sheet was watching the order.
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
    shop.expectClean();
  });
});

test.describe('inside WeChat on Android', () => {
  test.use(PROFILES.wechatAndroid);

  test('UnionPay: “Continue” opens the hand-off page inside WeChat, which shows how to open itself in the browser', async ({ page }) => {
    await playWeChat(page);
    const shop = new Shop(page);
    await shop.open();
    await shop.option('unionpay:handoff').click();
    await shop.payButton.click();
    const sheet = shop.widget.locator('[data-part="handoff"]');
    await expect(sheet.locator('[data-part="hint"]')).toHaveAttribute('data-kind', 'browser');
    await expect(sheet.getByRole('listitem').last()).toHaveText('Choose “Open in Browser”.');
    await shop.screenshot('wechat-android-handoff');
    shop.expectClean();

    // From here the page is the BFF's, checked by a page object of its own.
    await sheet.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL(/\/checkout\?session=[^&]+&channel=unionpay$/);
    const handoff = new Shop(page, 'cashier');
    const here = handoff.widget.locator('[data-part="handoff"]');
    // This page (in Chinese, as the BFF serves it) is the one to open in the browser: no "Continue" step, its own
    // address to copy and scan.
    await expect(here.getByRole('heading', { name: '前往浏览器使用银联' })).toBeVisible();
    await expect(here.getByRole('listitem')).toHaveText(['点击右上角的“···”。', '选择“在浏览器打开”。']);
    await expect(here.getByRole('link', { name: '继续' })).toHaveCount(0);
    expect(await here.getByRole('textbox', { name: '此订单的链接' }).inputValue()).toBe(page.url());
    await handoff.expectAccessible();
    await handoff.screenshot('wechat-android-handoff-page');

    await here.getByRole('button', { name: '选择其他支付方式' }).click();
    await handoff.expectOptions();
    expect(await handoff.optionIds()).toEqual(['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff']);
    handoff.expectClean();
  });
});

test.describe('inside the Alipay client', () => {
  test.use(PROFILES.alipayClient);

  test('WeChat Pay: the hand-off sheet in Chinese, with the Alipay client’s menu', async ({ page }) => {
    await playAlipayClient(page);
    const shop = new Shop(page);
    await shop.open({ lang: 'zh-CN' });
    await shop.option('wechatpay:handoff').click();
    await page.getByRole('button', { name: /^支付 / }).click();
    const sheet = shop.widget.locator('[data-part="handoff"]');
    await expect(sheet.getByRole('heading', { name: '前往浏览器使用微信支付' })).toBeVisible();
    await expect(sheet).toContainText('支付宝内无法使用微信支付');
    await expect(sheet.locator('[data-part="hint"]')).toHaveAttribute('data-kind', 'browser');
    await expect(sheet.getByRole('listitem').last()).toHaveText('选择“在浏览器打开”。');
    await expect(sheet.locator('[data-part="qr"][data-ready="true"]')).toBeVisible();
    await shop.expectAccessible();
    await shop.screenshot('alipay-client-handoff');

    await sheet.getByRole('button', { name: '选择其他支付方式' }).click();
    await shop.expectOptions();
    expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'cancelled']);
    shop.expectClean();
  });
});
