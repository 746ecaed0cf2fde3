import { expect, test, type Page } from '@playwright/test';
import { PROFILES } from './fixtures/profiles.ts';
import { Shop } from './fixtures/shop.ts';

// Inside the merchant's own app: the demo app (demo/app-host) injects CashierAppBridge into its web view and
// carries CashierApp/1.0 in its user agent. The widget offers the channels' app products, posts the SDK parameters
// over the bridge (widget/app-bridge/README.md), the app's "App SDK" sheet pays at the sandbox's SDK stand-ins, the
// app answers with the SDK's result, and the widget has the BFF confirm it.

test.use(PROFILES.merchantApp);

/** The app's SDK sheet, drawn by the app over the page. */
const sdkSheet = (page: Page) => page.locator('[data-app-sdk]');

test('the app products; WeChat Pay through the app’s SDK, success from the BFF', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ app: '1' });
  const ids = await shop.optionIds();
  expect(ids.filter((id) => !id.includes('huabei'))).toEqual(['wechatpay:app', 'alipay:app', 'unionpay:app']);
  await expect(shop.option('wechatpay:app')).toContainText('Pay in the app');
  await shop.expectAccessible();
  await shop.screenshot('merchant-app-options');

  const action = await shop.pay('wechatpay:app');
  expect(action.kind).toBe('app');
  await expect(sdkSheet(page)).toHaveAttribute('data-app-sdk', 'wechatpay');
  await expect(sdkSheet(page).getByRole('dialog', { name: /App SDK · WeChat Pay/ })).toBeVisible();
  await expect(shop.widget.locator('[data-part="in-app"]')).toContainText('Complete the payment in WeChat Pay');
  await expect(shop.widget.getByRole('status')).toHaveText('Complete the payment in WeChat Pay…');
  await shop.expectAccessible();
  await shop.screenshot('merchant-app-sdk-sheet');
  await sdkSheet(page).getByRole('button', { name: 'Pay', exact: true }).click();
  await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
  expect((await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'succeeded']);
  await shop.expectAccessible();
  await shop.screenshot('merchant-app-succeeded');
  shop.expectClean();
});

for (const [option, name] of [
  ['alipay:app', 'Alipay'],
  ['unionpay:app', 'UnionPay'],
] as const) {
  test(`${name} through the app’s SDK`, async ({ page }) => {
    const shop = new Shop(page);
    await shop.open({ app: '1' });
    await shop.pay(option);
    await expect(sdkSheet(page).getByRole('dialog', { name: new RegExp(`App SDK · ${name}`) })).toBeVisible();
    await sdkSheet(page).getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(shop.result('succeeded')).toBeVisible({ timeout: 15_000 });
    shop.expectClean();
  });
}

test('cancelled in the SDK: back to the options; a failing SDK says so and nothing is charged', async ({ page }) => {
  const shop = new Shop(page);
  await shop.open({ app: '1' });
  await shop.pay('unionpay:app');
  await sdkSheet(page).getByRole('button', { name: 'Cancel' }).click();
  await shop.expectOptions();
  await expect.poll(async () => (await shop.events()).map((e) => e.type)).toEqual(['ready', 'option-selected', 'pending', 'cancelled']);

  await shop.pay('wechatpay:app');
  await sdkSheet(page).getByRole('button', { name: 'Make the SDK fail' }).click();
  await expect(shop.widget.getByRole('alert')).toContainText('The payment did not go through');
  const failed = (await shop.events()).at(-1);
  expect(failed).toMatchObject({ type: 'failed', optionId: 'wechatpay:app', code: 'app:fail' });
  await shop.screenshot('merchant-app-failed');
  shop.expectClean();
});
