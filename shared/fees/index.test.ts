import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS } from '../channels/index.ts';
import { isRuleError } from '../errors/index.ts';
import { feeCharged, feeRefunds } from './index.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isRuleError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('fee charged', () => {
  it('is amount × rate half up, exactly', () => {
    expect(feeCharged('wechatpay', 2500, { rate: '0.0062' })).toBe(16); // 15.5 → 16
    expect(feeCharged('wechatpay', 2499, { rate: '0.0062' })).toBe(15); // 15.4938
    expect(feeCharged('alipay', 10_000, { rate: '0.006' })).toBe(60);
  });

  it('adds the fixed part', () => {
    expect(feeCharged('paypal', 10_000, { rate: '0.034', fixedFee: 30 })).toBe(370);
  });

  it('charges UnionPay at least 0.08', () => {
    expect(feeCharged('unionpay', 1000, { rate: '0.006' })).toBe(8); // 6 → 8
    expect(feeCharged('unionpay', 10_000, { rate: '0.006' })).toBe(60);
  });
});

describe('fee returned on refunds (article 一.4)', () => {
  const wechat = { amount: 1000, fee: 6, rate: '0.006' };

  it('WeChat old fund flow: refund × rate, half up, each time', () => {
    expect(feeRefunds('wechatpay', { ...wechat, fundFlow: 'old' }, [500])).toEqual([3]);
    expect(feeRefunds('wechatpay', { ...wechat, fundFlow: 'old' }, [250, 250])).toEqual([2, 2]); // 1.5 → 2
    // Pieces below the smallest unit return nothing, and the old flow never makes that up.
    expect(feeRefunds('wechatpay', { ...wechat, fundFlow: 'old' }, [80, 80, 840])).toEqual([0, 0, 5]);
  });

  it('WeChat new fund flow (the default): the whole fee is back once the order is fully refunded', () => {
    expect(feeRefunds('wechatpay', wechat, [80, 80, 840])).toEqual([0, 0, 6]);
    expect(feeRefunds('wechatpay', { ...wechat, fundFlow: 'new' }, [80, 80])).toEqual([0, 0]);
    expect(feeRefunds('wechatpay', wechat, [1000])).toEqual([6]);
    expect(feeRefunds('wechatpay', { amount: 1000, fee: 6, rate: '0.006' }, [250, 250, 250, 250])).toEqual([2, 2, 2, 0]);
  });

  it('UnionPay: refund × rate half up, keeping the 0.08 minimum fee', () => {
    const payment = { amount: 10_000, fee: 60, rate: '0.006' };
    expect(feeRefunds('unionpay', payment, [5000])).toEqual([30]);
    expect(feeRefunds('unionpay', payment, [10_000])).toEqual([52]);
    expect(feeRefunds('unionpay', payment, [5000, 5000])).toEqual([30, 22]);
    // A small payment charged the minimum returns nothing: refund × rate never lifts it above 0.08.
    expect(feeRefunds('unionpay', { amount: 1000, fee: 8, rate: '0.006' }, [1000])).toEqual([0]);
  });

  it('CMB: in proportion to the refund; two partial pieces below 0.01 return nothing', () => {
    const small = { amount: 100, fee: 1, rate: '0.006' };
    expect(feeRefunds('cmb', small, [50, 50])).toEqual([0, 0]); // 0.005 each
    expect(feeRefunds('cmb', small, [100])).toEqual([1]); // the whole refund takes the whole fee
    expect(feeRefunds('cmb', { amount: 1000, fee: 6, rate: '0.006' }, [500, 500])).toEqual([3, 3]);
    expect(feeRefunds('cmb', { amount: 1000, fee: 6, rate: '0.006' }, [250, 750])).toEqual([2, 4]); // 1.5→2, 4.5→5 capped
    expect(feeRefunds('cmb', { amount: 300, fee: 2, rate: '0.006' }, [100, 200])).toEqual([0, 1]); // 0.67 is below 0.01; 1.33 → 1
  });

  it('Baidu Wallet: refund × rate half up; partial pieces below 0.01 return nothing', () => {
    const payment = { amount: 100, fee: 1, rate: '0.006' };
    expect(feeRefunds('baidu', payment, [50, 50])).toEqual([0, 0]); // 0.3 each
    expect(feeRefunds('baidu', payment, [100])).toEqual([1]); // 0.6 → 1 on a single full refund
    expect(feeRefunds('baidu', { amount: 10_000, fee: 60, rate: '0.006' }, [2500])).toEqual([15]);
  });

  it('QQ Wallet per-transaction mode: rate × refund', () => {
    expect(feeRefunds('qqwallet', { amount: 10_000, fee: 60, rate: '0.006' }, [2500, 7500])).toEqual([15, 45]);
  });

  it('PayPal: the percentage part only; the fixed fee is kept', () => {
    const payment = { amount: 10_000, fee: 370, rate: '0.034', fixedFee: 30 };
    expect(feeRefunds('paypal', payment, [10_000])).toEqual([340]);
    expect(feeRefunds('paypal', payment, [5000, 5000])).toEqual([170, 170]);
    expect(feeRefunds('paypal', { ...payment, fixedFee: 0 }, [2525])).toEqual([86]); // 85.85
  });

  it.each(['alipay', 'jdpay', 'yeepay', 'netbank-b2b'] as const)('%s returns nothing', (channel) => {
    expect(feeRefunds(channel, { amount: 10_000, fee: 60, rate: '0.006' }, [5000, 5000])).toEqual([0, 0]);
  });

  it.each(['abc', 'ccb', 'bestpay'] as const)('%s has no known rule and says so', (channel) => {
    expect(codeOf(() => feeRefunds(channel, { amount: 100, fee: 1, rate: '0.006' }, [100]))).toBe('fee_rule_unknown');
  });

  it('refuses refunds past the amount paid, zero refunds and bad rates', () => {
    expect(codeOf(() => feeRefunds('wechatpay', wechat, [600, 500]))).toBe('refund_exceeds_payment');
    expect(codeOf(() => feeRefunds('wechatpay', wechat, [0]))).toBe('invalid_refund');
    expect(() => feeRefunds('wechatpay', { ...wechat, rate: '0.6%' }, [1])).toThrow(/decimal fraction/);
    expect(codeOf(() => feeRefunds('paypal', { amount: 100, fee: 3, rate: '0.03', fixedFee: 5 }, [1]))).toBe('invalid_fee');
  });

  it('never returns more than the fee charged, whatever the refunds', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const rates = ['0.006', '0.0038', '0.02', '0.034', '0.1'];
    const known = CHANNEL_IDS.filter((id) => !['abc', 'ccb', 'bestpay'].includes(id));
    for (let i = 0; i < 3000; i++) {
      const channel = known[random(known.length)]!;
      const amount = 1 + random(50_000);
      const rate = rates[random(rates.length)]!;
      const fixedFee = channel === 'paypal' ? random(40) : 0;
      const fee = feeCharged(channel, amount, { rate, fixedFee });
      const refunds: number[] = [];
      let left = amount;
      while (left > 0 && refunds.length < 50) {
        const refund = refunds.length === 49 ? left : 1 + random(left);
        refunds.push(refund);
        left -= refund;
      }
      const returned = feeRefunds(channel, { amount, fee, rate, fixedFee }, refunds);
      const total = returned.reduce((a, b) => a + b, 0);
      expect(returned.every((piece) => Number.isSafeInteger(piece) && piece >= 0)).toBe(true);
      expect(total).toBeLessThanOrEqual(fee);
      if (channel === 'wechatpay' && left === 0) expect(total).toBe(fee);
    }
  });
});
