import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS, TERMINAL_KINDS, type TerminalKind } from '../channels/index.ts';
import type { MerchantSettings } from '../schemas/index.ts';
import { eligibility, quoteInstallment, type EligibilityInput } from './index.ts';

const settings: MerchantSettings = {
  channels: [{ id: 'alipay' }, { id: 'wechatpay' }, { id: 'unionpay' }, { id: 'paypal' }],
};
const order = { amount: 12_800, currency: 'CNY' } as const;

function ids(input: Partial<EligibilityInput> & { terminal: TerminalKind }): string[] {
  return eligibility({ order, settings, ...input }).options.map((o) => o.id);
}

function reasons(input: Partial<EligibilityInput> & { terminal: TerminalKind }) {
  return Object.fromEntries(
    eligibility({ order, settings, ...input })
      .unavailable.filter((u) => u.installment === undefined)
      .map((u) => [u.channel, u.reason]),
  );
}

describe('options per terminal (DESIGN §4)', () => {
  it('PC: QR for WeChat Pay, page pay for Alipay, the gateway form for UnionPay, in the merchant\u2019s order', () => {
    const result = eligibility({ terminal: 'pc', order, settings });
    expect(result.options.map((o) => [o.id, o.action])).toEqual([
      ['alipay:page', 'redirect'],
      ['wechatpay:native', 'qr'],
      ['unionpay:gateway', 'form'],
    ]);
    expect(result.options.map((o) => o.recommended)).toEqual([true, false, false]);
  });

  it('mobile browser: H5, WAP and the mobile gateway', () => {
    expect(ids({ terminal: 'wap' })).toEqual(['alipay:wap', 'wechatpay:h5', 'unionpay:wap']);
  });

  it('inside WeChat: JSAPI first, the others as hand-offs', () => {
    const result = eligibility({ terminal: 'wechat', order, settings });
    expect(result.options.map((o) => [o.id, o.action, o.product])).toEqual([
      ['wechatpay:jsapi', 'jsapi', 'jsapi'],
      ['alipay:handoff', 'handoff', null],
      ['unionpay:handoff', 'handoff', null],
    ]);
  });

  it('inside a mini-program: WeChat Pay only, every other channel refused as not allowed', () => {
    expect(ids({ terminal: 'miniprogram' })).toEqual(['wechatpay:miniprogram']);
    expect(reasons({ terminal: 'miniprogram' })).toMatchObject({ alipay: 'not-supported-here', unionpay: 'not-supported-here' });
  });

  it('inside the Alipay client: in-client pay first, WeChat Pay as a hand-off', () => {
    expect(ids({ terminal: 'alipay' })).toEqual(['alipay:inapp', 'wechatpay:handoff', 'unionpay:handoff']);
  });

  it('inside the merchant app: the SDK products, narrowed to what the bridge reports', () => {
    expect(ids({ terminal: 'app' })).toEqual(['alipay:app', 'wechatpay:app', 'unionpay:app']);
    expect(ids({ terminal: 'app', appChannels: ['alipay'] })).toEqual(['alipay:app']);
    expect(reasons({ terminal: 'app', appChannels: ['alipay'] })).toMatchObject({ wechatpay: 'not-supported-here' });
  });

  it.each(TERMINAL_KINDS)('on %s every channel is either offered or given a reason', (terminal) => {
    const result = eligibility({ terminal, order, settings });
    const offered = new Set(result.options.map((o) => o.channel));
    const refused = result.unavailable.filter((u) => u.installment === undefined).map((u) => u.channel);
    expect(new Set(refused).size).toBe(refused.length);
    for (const channel of refused) expect(offered.has(channel)).toBe(false);
    expect([...offered, ...refused].sort()).toEqual([...CHANNEL_IDS].sort());
  });
});

describe('reasons', () => {
  it('disabled channels, currency and amount', () => {
    expect(reasons({ terminal: 'pc' })).toMatchObject({ paypal: 'currency', jdpay: 'disabled', cmb: 'disabled' });
    const huge = { amount: 10_000_000_001, currency: 'CNY' } as const;
    expect(reasons({ terminal: 'pc', order: huge })).toMatchObject({ alipay: 'amount' });
    expect(ids({ terminal: 'pc', order: huge })).toEqual(['wechatpay:native', 'unionpay:gateway']);
    expect(ids({ terminal: 'pc', order: { amount: 10_000, currency: 'USD' } })).toEqual(['paypal:checkout']);
  });

  it('health: a channel that is down is hidden, a degraded one goes last', () => {
    const result = eligibility({ terminal: 'pc', order, settings, health: { alipay: 'degraded', unionpay: 'down' } });
    expect(result.options.map((o) => [o.id, o.degraded, o.recommended])).toEqual([
      ['wechatpay:native', false, true],
      ['alipay:page', true, false],
    ]);
    expect(result.unavailable).toContainEqual(expect.objectContaining({ channel: 'unionpay', reason: 'health' }));
  });

  it('products: only what the merchant activated is offered', () => {
    const qrOnly: MerchantSettings = { channels: [{ id: 'alipay', products: ['precreate'] }] };
    expect(eligibility({ terminal: 'pc', order, settings: qrOnly }).options.map((o) => [o.id, o.action])).toEqual([
      ['alipay:precreate', 'qr'],
    ]);
    expect(reasons({ terminal: 'wap', settings: qrOnly })).toMatchObject({ alipay: 'not-supported-here' });
    const both: MerchantSettings = { channels: [{ id: 'alipay', products: ['page', 'precreate'] }] };
    expect(ids({ terminal: 'pc', settings: both })).toEqual(['alipay:page', 'alipay:precreate']);
  });

  it('refuses settings that break the rulebook', () => {
    expect(() => eligibility({ terminal: 'pc', order, settings: { channels: [{ id: 'alipay', products: ['h5'] }] } })).toThrow(
      /product the channel does not have/,
    );
    const badPeriods = {
      channels: [{ id: 'alipay' as const }],
      installments: [{ provider: 'huabei' as const, plans: [{ periods: 4, rate: '0.03' }], feeBearer: 'buyer' as const }],
    };
    expect(() => eligibility({ terminal: 'pc', order, settings: badPeriods })).toThrow(/3, 6 or 12/);
    expect(() => eligibility({ terminal: 'pc', order, settings: { channels: [{ id: 'alipay' }, { id: 'alipay' }] } })).toThrow(
      /twice/,
    );
  });
});

describe('installments up front', () => {
  const huabei = (feeBearer: 'buyer' | 'merchant', minAmount?: number): MerchantSettings => ({
    channels: [{ id: 'wechatpay' }, { id: 'alipay' }],
    installments: [
      {
        provider: 'huabei',
        feeBearer,
        plans: [
          { periods: 3, rate: '0.023' },
          { periods: 6, rate: '0.045' },
          { periods: 12, rate: '0.075' },
        ],
        ...(minAmount === undefined ? {} : { minAmount }),
      },
    ],
  });

  it('puts Huabei plans right beside Alipay, with exact per-period amounts and the fee', () => {
    const result = eligibility({ terminal: 'pc', order: { amount: 60_000, currency: 'CNY' }, settings: huabei('buyer') });
    expect(result.options.map((o) => o.id)).toEqual([
      'wechatpay:native',
      'alipay:page',
      'alipay:page:huabei-3',
      'alipay:page:huabei-6',
      'alipay:page:huabei-12',
    ]);
    expect(result.options[2]?.installment).toEqual({
      provider: 'huabei',
      periods: 3,
      rate: '0.023',
      feeBearer: 'buyer',
      fee: 1380,
      total: 61_380,
      perPeriod: 20_460,
      schedule: [
        { principal: 20_000, fee: 460 },
        { principal: 20_000, fee: 460 },
        { principal: 20_000, fee: 460 },
      ],
      interestFree: false,
    });
  });

  it('shows interest-free plans when the merchant bears the fee', () => {
    const result = eligibility({ terminal: 'wap', order: { amount: 60_000, currency: 'CNY' }, settings: huabei('merchant') });
    const twelve = result.options.find((o) => o.id === 'alipay:wap:huabei-12')?.installment;
    expect(twelve).toMatchObject({ fee: 4500, total: 60_000, perPeriod: 5000, interestFree: true });
  });

  it('offers Huabei inside the Alipay client, and not on a hand-off', () => {
    expect(ids({ terminal: 'alipay', settings: huabei('buyer') })).toContain('alipay:inapp:huabei-6');
    expect(ids({ terminal: 'wechat', settings: huabei('buyer') }).filter((id) => id.includes('huabei'))).toEqual([]);
  });

  it('keeps plans away below the minimum amount and when credit is refused, saying why', () => {
    const small = eligibility({ terminal: 'pc', order: { amount: 5000, currency: 'CNY' }, settings: huabei('buyer', 10_000) });
    expect(small.options.map((o) => o.id)).toEqual(['wechatpay:native', 'alipay:page']);
    expect(small.unavailable).toContainEqual({ channel: 'alipay', installment: 'huabei', reason: 'amount', detail: expect.any(String) });
    const refused = eligibility({
      terminal: 'pc',
      order: { amount: 60_000, currency: 'CNY' },
      settings: { ...huabei('buyer'), creditCardsAllowed: false },
    });
    expect(refused.options.map((o) => o.id)).toEqual(['wechatpay:native', 'alipay:page']);
    expect(refused.unavailable).toContainEqual(expect.objectContaining({ installment: 'huabei', reason: 'credit-refused' }));
  });

  it('quotes uneven amounts so the schedule still sums to the total', () => {
    const quote = quoteInstallment(10_000, 'huabei', 3, '0.023', 'buyer');
    expect(quote.fee).toBe(230);
    expect(quote.schedule).toEqual([
      { principal: 3334, fee: 78 },
      { principal: 3333, fee: 76 },
      { principal: 3333, fee: 76 },
    ]);
    expect(quote.perPeriod).toBe(3409);
    const sum = quote.schedule.reduce((a, p) => a + p.principal + p.fee, 0);
    expect(sum).toBe(quote.total);
    expect(quoteInstallment(2500, 'huabei', 6, '0.0062', 'buyer').fee).toBe(16); // 15.5 → 16
  });
});
