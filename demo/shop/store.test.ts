import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRefund, refundableAmount, refundedAmount, ShopStore, type CashierEvent, type ShopOrder } from './store.ts';

function order(no: string, extra: Partial<ShopOrder> = {}): ShopOrder {
  return {
    no,
    lines: [{ teaId: 'longjing', name: 'West Lake Longjing', unitPrice: 12_800, quantity: 2, amount: 25_600 }],
    total: 25_600,
    currency: 'CNY',
    createdAt: '2026-11-27T02:00:00.000Z',
    cashierOrderId: `ord_${no}`,
    status: 'open',
    version: 1,
    webhooks: [],
    refunds: [],
    revision: 1,
    ...extra,
  };
}

function event(id: string, type: string, version: number, data: Record<string, unknown>, orderId = 'ord_A'): CashierEvent {
  const objectType = type.split('.')[0] ?? 'order';
  return { id, type, createdAt: '2026-11-27T02:01:00.000Z', object: { type: objectType, id: 'x', version }, orderId, data };
}

const now = new Date('2026-11-27T02:01:01Z');

describe('the shop’s records', () => {
  it('are written whole and read back by a new process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-'));
    const store = new ShopStore(join(dir, 'orders.json'));
    await store.add(order('A'));
    await Promise.all([store.update('A', (o) => void (o.status = 'paying')), store.update('A', (o) => void (o.channel = 'alipay'))]);
    expect(readdirSync(dir)).toEqual(['orders.json']); // no temporary file left behind
    const reread = new ShopStore(join(dir, 'orders.json'));
    expect(reread.get('A')).toMatchObject({ status: 'paying', channel: 'alipay', revision: 3 });
    expect(JSON.parse(readFileSync(join(dir, 'orders.json'), 'utf8')).orders).toHaveLength(1);
  });

  it('keep each webhook once, and never let an older version undo a newer one', async () => {
    const store = new ShopStore(join(mkdtempSync(join(tmpdir(), 'shop-')), 'orders.json'));
    await store.add(order('A'));
    const paid = event('evt_2', 'order.succeeded', 3, { order: { status: 'succeeded' }, channel: 'wechatpay' });
    expect(await store.applyEvent(paid, 1_800_000_000, now)).toBe('applied');
    expect(await store.applyEvent(paid, 1_800_000_000, now)).toBe('duplicate');
    // order.paying (v2) delivered late, after order.succeeded (v3): recorded, not applied.
    expect(await store.applyEvent(event('evt_1', 'order.paying', 2, { order: { status: 'paying' } }), 1_800_000_000, now)).toBe('applied');
    expect(store.get('A')).toMatchObject({ status: 'succeeded', channel: 'wechatpay', paidAt: '2026-11-27T02:01:00.000Z', version: 3 });
    expect(store.get('A')?.webhooks.map((w) => w.eventId)).toEqual(['evt_2', 'evt_1']);
    expect(await store.applyEvent(event('evt_3', 'order.succeeded', 3, {}, 'ord_someone_else'), 1_800_000_000, now)).toBe('not-ours');
  });

  it('follow a refund by its version from webhooks, and never backwards from the API (which has none)', () => {
    const target = order('A', { status: 'succeeded' });
    const refund = { merchantRefundNo: 'A-R1', id: 'rfd_1', amount: 5_000, status: 'processing', origin: 'merchant', feeReturned: 30 };
    expect(applyRefund(target, refund, 2)).toBe(true);
    expect(applyRefund(target, { ...refund, status: 'succeeded' }, 3)).toBe(true);
    expect(applyRefund(target, { ...refund, status: 'processing' }, 2)).toBe(false);
    expect(applyRefund(target, { ...refund, status: 'processing' }, undefined)).toBe(false);
    expect(target.refunds).toMatchObject([{ merchantRefundNo: 'A-R1', status: 'succeeded', feeReturned: 30, version: 3 }]);
    expect(refundedAmount(target)).toBe(5_000);
    // A refund in flight holds its amount; a failed one frees it.
    target.refunds.push({ merchantRefundNo: 'A-R2', amount: 600, status: 'requested', origin: 'merchant', version: 0, createdAt: '' });
    expect(refundableAmount(target)).toBe(25_600 - 5_600);
    expect(applyRefund(target, { merchantRefundNo: 'A-R2', amount: 600, status: 'failed' }, 1)).toBe(true);
    expect(refundableAmount(target)).toBe(25_600 - 5_000);
  });
});
