import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CreateOrderSchema, ErrorResponseSchema, MerchantSettingsSchema, PayActionSchema, TerminalEvidenceSchema } from './index.ts';

const order = { merchantOrderNo: 'SO-2026-0001', amount: 12_800, subject: 'Tea set' };

function issues(schema: v.GenericSchema, input: unknown): string[] {
  const result = v.safeParse(schema, input);
  return result.success ? [] : result.issues.map((issue) => `${v.getDotPath(issue) ?? ''}: ${issue.message}`);
}

describe('CreateOrderSchema', () => {
  it('accepts a minimal order and defaults the currency to CNY', () => {
    expect(v.parse(CreateOrderSchema, order)).toMatchObject({ currency: 'CNY', amount: 12_800 });
  });

  it.each([
    [{ amount: -1 }, 'amount'],
    [{ amount: 12.5 }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: '128.00' }, 'amount'],
    [{ amount: 2 ** 53 }, 'amount'],
    [{ currency: 'XXX' }, 'currency'],
    [{ merchantOrderNo: 'has space' }, 'merchantOrderNo'],
    [{ merchantOrderNo: 'x'.repeat(65) }, 'merchantOrderNo'],
    [{ subject: '   ' }, 'subject'],
    [{ expiresAt: '2026-11-27 10:00:00' }, 'expiresAt'],
    [{ expiresIn: 30 }, 'expiresIn'],
    [{ channels: ['wechat'] }, 'channels.0'],
    [{ allowedOrigins: ['https://shop.example/path'] }, 'allowedOrigins.0'],
    [{ unexpected: true }, 'unexpected'],
  ])('rejects %j at %s', (change, path) => {
    expect(issues(CreateOrderSchema, { ...order, ...change }).some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });

  it('rejects an absolute and a relative expiry together', () => {
    expect(issues(CreateOrderSchema, { ...order, expiresAt: '2026-11-27T10:00:00+08:00', expiresIn: 900 })).toEqual([
      ': give expiresAt or expiresIn, not both',
    ]);
  });

  it('accepts a complete order', () => {
    const full = {
      ...order,
      currency: 'CNY',
      description: 'Celadon, six cups',
      expiresIn: 900,
      attach: 'cart=42',
      metadata: { cart: '42' },
      channels: ['wechatpay', 'alipay'],
      installments: [{ provider: 'huabei', feeBearer: 'merchant', plans: [{ periods: 3, rate: '0.023' }] }],
      creditCardsAllowed: true,
      webhookUrl: 'https://shop.example/webhooks/cashier',
      allowedOrigins: ['https://shop.example', 'http://localhost:3000'],
    };
    expect(issues(CreateOrderSchema, full)).toEqual([]);
  });
});

describe('other contracts', () => {
  it('checks merchant settings against the rulebook', () => {
    expect(issues(MerchantSettingsSchema, { channels: [{ id: 'wechatpay', products: ['native', 'h5'] }] })).toEqual([]);
    expect(issues(MerchantSettingsSchema, { channels: [{ id: 'wechatpay', products: ['page'] }] })).toHaveLength(1);
    const baitiao = { channels: [{ id: 'jdpay' }], installments: [{ provider: 'baitiao', feeBearer: 'buyer', plans: [{ periods: 24, rate: '0.1' }] }] };
    expect(issues(MerchantSettingsSchema, baitiao)).toEqual([]); // the rulebook does not know Baitiao's periods
  });

  it('describes each next action by its kind', () => {
    expect(issues(PayActionSchema, { kind: 'qr', codeUrl: 'weixin://wxpay/bizpayurl?pr=abc', expiresAt: '2026-11-27T10:00:00Z' })).toEqual([]);
    expect(issues(PayActionSchema, { kind: 'form', action: 'https://gateway.example/pay', method: 'POST', fields: { a: '1' } })).toEqual([]);
    expect(issues(PayActionSchema, { kind: 'qr', url: 'https://x.example' })).not.toEqual([]);
    expect(issues(PayActionSchema, { kind: 'teleport' })).not.toEqual([]);
  });

  it('keeps the terminal evidence the widget reports small and typed', () => {
    expect(issues(TerminalEvidenceSchema, { wxjsEnvironment: 'miniprogram', maxTouchPoints: 5, appChannels: ['alipay'] })).toEqual([]);
    expect(issues(TerminalEvidenceSchema, { maxTouchPoints: 1e9 })).toHaveLength(1);
    expect(issues(TerminalEvidenceSchema, { userAgent: 'x' })).toHaveLength(1);
  });

  it('shapes errors as { error: { code, message, field? } }', () => {
    expect(issues(ErrorResponseSchema, { error: { code: 'invalid_amount', message: 'no', field: 'amount' } })).toEqual([]);
    expect(issues(ErrorResponseSchema, { error: { code: 'x', message: 'y', stack: '…' } })).toHaveLength(1);
  });
});
