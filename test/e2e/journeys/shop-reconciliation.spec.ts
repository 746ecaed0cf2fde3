import { expect, test } from '@playwright/test';
import { PROFILES } from '../fixtures/profiles.ts';
import { ShopSite } from './fixtures/shop-site.ts';

// Reconciliation from the shop's side: a payment and a part refund, then today's WeChat Pay bill published early from
// the sandbox's control page with the payment's fee made wrong, the day reconciled from the shop's reconciliation
// page, the discrepancy found against that very order (a fee mismatch is raised at once), and resolved with a note.

test.use(PROFILES.pcChrome);

test('a paid and part-refunded order, a bill with a wrong fee, the item on the shop’s reconciliation page', async ({ page, request }) => {
  const shop = new ShopSite(page);
  await shop.openTeas();
  await shop.add('longjing');
  await shop.add('puer');
  await shop.openCart();
  const widget = await shop.checkout();
  const no = shop.orderNo();
  const action = await widget.pay('wechatpay:native');
  await expect(widget.qr).toBeVisible();
  // Paid from the phone (the scan page's form, posted directly).
  expect((await request.post(action.codeUrl ?? '', { form: { outcome: 'pay' } })).ok()).toBe(true);
  await page.waitForURL(new RegExp(`/orders/${no}`), { timeout: 15_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  const channelOrderNo = (await page.getByTestId('channel-order-no').textContent()) ?? '';
  expect(channelOrderNo).toMatch(/^[0-9A-Za-z]{8,32}$/);
  const refundNo = await shop.refund('31.60', 'short weight');
  await expect(shop.refundRow(refundNo).locator('[data-status]')).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 });

  // The sandbox's control page: today's WeChat Pay bill, with this payment's fee 5 fen too high, published now.
  const sandboxUrl = `http://127.0.0.1:${Number(new URL(page.url()).port) + 2}`;
  await page.goto(`${sandboxUrl}/`);
  const bills = page.locator('form#bills');
  await bills.getByLabel('Channel').selectOption('wechatpay');
  const day = await bills.getByLabel('Day').inputValue();
  await bills.getByLabel('or make it wrong:').selectOption('fee');
  await bills.getByLabel('order / refund no.').fill(channelOrderNo);
  await bills.getByLabel('amount / delta (fen)').fill('5');
  await bills.getByRole('button', { name: 'Add' }).click();
  await page.locator('form#bills').getByLabel('Channel').selectOption('wechatpay');
  await page.locator('form#bills').getByRole('button', { name: 'Publish the bill now' }).click();

  // The shop's reconciliation page: reconcile the day now, and the item is there, about this order.
  await page.goto('/reconciliation');
  await expect(page.getByText('publish today\'s bill early')).toBeVisible();
  const run = page.locator('form[action="/reconciliation/run"]');
  await run.getByLabel('Channel').selectOption('wechatpay');
  await run.getByLabel('Clearing day').fill(day);
  await run.getByRole('button', { name: 'Reconcile now' }).click();
  await expect(page.getByRole('status')).toHaveText(`wechatpay ${day} reconciled`);
  const item = page.locator(`tr[data-item="fee_mismatch"][data-key="${channelOrderNo}"]`);
  await expect(item).toContainText('fee differs');
  // Ours: 0.6 % of ¥316.00 is ¥1.896, half up ¥1.90; the bill says 5 fen more.
  await expect(item).toContainText('¥316.00');
  await expect(item).toContainText('fee ¥1.90');
  await expect(item).toContainText('fee ¥1.95');
  await expect(item.locator('[data-state]')).toHaveAttribute('data-state', 'open');
  await shop.expectAccessible();
  await shop.screenshot('shop-reconciliation');

  await item.getByLabel('How it was resolved').fill('WeChat corrected the fee');
  await item.getByRole('button', { name: 'Resolve' }).click();
  await expect(item.locator('[data-state]')).toHaveAttribute('data-state', 'resolved');
  await expect(item).toContainText('WeChat corrected the fee');

  // The operator's view (every merchant's items, bill lines of no order too) shows the same item, resolved.
  await page.goto(`/ops/reconciliation?channel=wechatpay&date=${day}`);
  await expect(page.locator(`tr[data-item="fee_mismatch"][data-key="${channelOrderNo}"] [data-state]`)).toHaveAttribute('data-state', 'resolved');
});
