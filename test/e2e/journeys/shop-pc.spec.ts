import { expect, test } from '@playwright/test';
import { PROFILES } from '../fixtures/profiles.ts';
import { ShopSite, payOnSandboxPage } from './fixtures/shop-site.ts';

// The shop on a PC, end to end as `npm start` runs it: teas into the cart, quantities changed, checkout; the widget's
// QR paid on the sandbox's scan page from a phone; the shop's order page paid without a reload; the verified
// webhook on it; part refunded from the order page, and the refund and its fee return converging by themselves.

test.use(PROFILES.pcChrome);

test('PC: cart → checkout → QR paid on a phone → paid in the shop → webhook → part refunded, fee returned', async ({ page, browser }) => {
  const shop = new ShopSite(page);
  await shop.openTeas();
  await shop.add('longjing');
  await shop.add('tieguanyin');
  await shop.add('longjing');
  await shop.expectAccessible();
  await shop.screenshot('shop-products');

  await shop.openCart();
  // 2 × ¥128.00 + 1 × ¥68.50 = ¥324.50; the oolong doubled: ¥256.00 + ¥137.00 = ¥393.00 (fen throughout).
  await expect(shop.cartTotal).toHaveText('CN¥324.50');
  await shop.setQuantity('tieguanyin', 2);
  await expect(shop.cartLine('tieguanyin').getByTestId('line-amount')).toHaveText('CN¥137.00');
  await expect(shop.cartTotal).toHaveText('CN¥393.00');
  await expect(page.getByTestId('cart-count')).toHaveText('4');
  await shop.expectAccessible();
  await shop.screenshot('shop-cart');

  const widget = await shop.checkout();
  const no = shop.orderNo();
  await expect(page.getByTestId('order-total')).toHaveText('CN¥393.00');
  await expect(widget.widget.getByText('CN¥393.00').first()).toBeVisible();
  const action = await widget.pay('wechatpay:native');
  expect(action.kind).toBe('qr');
  await expect(widget.qr).toBeVisible();
  await widget.expectAccessible();
  await shop.screenshot('shop-pc-qr');

  // The customer scans the code with their phone: the sandbox's scan page, where they pay.
  const phone = await browser.newContext(PROFILES.iphoneSafari);
  const scan = await phone.newPage();
  await scan.goto(action.codeUrl ?? '');
  await payOnSandboxPage(scan);
  await expect(scan.getByText('支付成功')).toBeVisible();
  await phone.close();

  // The widget's `succeeded` takes the page to the order page by itself; no reload by the test.
  await page.waitForURL(new RegExp(`/orders/${no}\\?paid=1$`), { timeout: 15_000 });
  await expect(shop.orderStatus).toHaveAttribute('data-status', 'succeeded');
  await expect(page.getByTestId('order-status')).toHaveText('Thank you! Your payment has been received.');
  // The shop heard it from the cashier's signed webhook (verified on its server), not from the browser.
  await expect(shop.webhook('order.succeeded')).toContainText('signature verified', { timeout: 10_000 });
  await expect(page.getByTestId('channel-order-no')).not.toBeEmpty();
  // WeChat Pay's 0.6 % on ¥393.00 is ¥2.358, half up: ¥2.36 charged.
  await expect(page.getByTestId('fees')).toContainText('charged CN¥2.36 · returned CN¥0.00 · kept CN¥2.36');
  await shop.expectAccessible();
  await shop.screenshot('shop-pc-paid');
  widget.expectClean();

  await page.goto('/orders');
  await expect(page.locator(`tr[data-order="${no}"] [data-status]`)).toHaveAttribute('data-status', 'succeeded');
  await expect(page.locator(`tr[data-order="${no}"] td`).last()).not.toHaveText('0');
  await shop.screenshot('shop-orders');
  await page.locator(`tr[data-order="${no}"]`).getByRole('link').click();

  // Part refunded: ¥50.00 of ¥393.00; WeChat returns the fee on it, 0.6 % = ¥0.30.
  const refundNo = await shop.refund('50.00', 'one tin arrived dented');
  const row = shop.refundRow(refundNo);
  await expect(row).toContainText('CN¥50.00');
  await expect(row).toContainText('one tin arrived dented');
  // The channel settles the refund a moment later; its webhook and the shop's read of the fees arrive by themselves.
  await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 });
  await expect(row.getByTestId('refund-fee-returned')).toHaveText('CN¥0.30');
  await expect(page.getByTestId('fees')).toContainText('charged CN¥2.36 · returned CN¥0.30 · kept CN¥2.06', { timeout: 10_000 });
  await expect(shop.webhook('refund.succeeded')).toContainText('signature verified');
  await expect(page.getByTestId('amount-refunded')).toHaveText('CN¥50.00');
  await expect(page.getByTestId('refundable')).toHaveText('Up to CN¥343.00 can be refunded.');
  await shop.expectAccessible();
  await shop.screenshot('shop-refund');

  // The same refund form sent again (a double click, a retry after a lost answer) refunds nothing more.
  const again = await page.request.post(`/orders/${no}/refunds`, { form: { merchantRefundNo: refundNo, amount: '50.00', reason: 'one tin arrived dented' } });
  expect(again.url()).toContain(`notice=refund-requested&refund=${refundNo}`);
  await page.reload();
  await expect(page.locator('#live tr[data-refund]')).toHaveCount(1);
  await expect(page.getByTestId('amount-refunded')).toHaveText('CN¥50.00');
});
