import { expect, test } from '@playwright/test';
import { playMiniProgram } from './fixtures/hosts.ts';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// A WeChat mini-program's web-view (iOS, whose user agent does not say so: only __wxjs_environment, set once
// WeixinJSBridge is ready, does). WeChat Pay alone, paid on the mini-program's own page: the widget opens it with
// wx.miniProgram.navigateTo; the page (the shipped template, run as the mini-program) signs in with wx.login,
// asks the BFF for the parameters, pays with wx.requestPayment at the sandbox's wallet and goes back; shown again,
// the widget asks the BFF.

test.use(PROFILES.miniProgram);

test('WeChat Pay only; paid on the mini-program’s page, success from the BFF once back', async ({ page }) => {
  const host = await playMiniProgram(page);
  const shop = new Shop(page);
  await shop.open();
  expect(await shop.optionIds()).toEqual(['wechatpay:miniprogram']);
  await expect(shop.option('wechatpay:miniprogram')).toContainText('Pay in the mini-program');
  // Why the others are missing, since the customer may look for them.
  await expect(shop.widget.locator('[data-part="unavailable"]')).toContainText('Alipay cannot be used here');
  await shop.expectAccessible();
  await shop.screenshot('miniprogram-options');

  const session = new URL(page.url()).searchParams.get('session') ?? '';
  await shop.payButton.click();
  await expect(shop.result('succeeded')).toBeVisible({ timeout: 20_000 });
  expect(host.opened).toHaveLength(1);
  const [path, query] = (host.opened[0] ?? '').split('?');
  expect(path).toBe('/pages/cashier/pay');
  expect(Object.fromEntries(new URLSearchParams(query))).toMatchObject({ session, optionId: 'wechatpay:miniprogram' });
  const events = await shop.events();
  expect(events.map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
  // The attempt the mini-program's page made is named in the events.
  expect(events.at(-1)).toMatchObject({ optionId: 'wechatpay:miniprogram', attemptId: expect.stringMatching(/^att_/) });
  await shop.expectAccessible();
  await shop.screenshot('miniprogram-succeeded');
  shop.expectClean();
});

test('cancelled on the mini-program’s page: back at the web-view, “Did you complete the payment?”', async ({ page }) => {
  const host = await playMiniProgram(page);
  host.choice = 'cancel';
  const shop = new Shop(page);
  await shop.open();
  await shop.payButton.click();
  const returned = shop.widget.locator('[data-part="returned"]');
  await expect(returned).toBeVisible({ timeout: 20_000 });
  await returned.getByRole('button', { name: 'I have paid' }).click();
  await expect(returned).toContainText('We have not received the payment yet');
  await shop.screenshot('miniprogram-returned');
  await returned.getByRole('button', { name: 'I had a problem' }).click();
  await shop.expectOptions();

  // Paid on the second try, on a new visit to the page.
  host.choice = 'pay';
  await shop.payButton.click();
  await expect(shop.result('succeeded')).toBeVisible({ timeout: 20_000 });
  expect(host.opened).toHaveLength(2);
  shop.expectClean();
});
