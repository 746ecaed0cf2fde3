import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isRuleError } from '../errors/index.ts';
import { formatBeijingRfc3339, formatBeijingStamp, formatBeijingTime, parseBeijingStamp, parseBeijingTime } from './beijing-time.ts';
import {
  CHANNEL_IDS,
  ChannelRulesSchema,
  RULEBOOK,
  billAvailableAt,
  cleanDescription,
  clearingDay,
  clearingWindow,
  shiftDay,
  newChannelOrderNumber,
  orderNumberProblems,
  productsFor,
  refundDeadline,
  type ChannelId,
  type TerminalKind,
} from './index.ts';

describe('the rulebook', () => {
  it('has exactly the thirteen channels of DESIGN §5, each under its own id', () => {
    expect(Object.keys(RULEBOOK).sort()).toEqual([...CHANNEL_IDS].sort());
    expect(CHANNEL_IDS).toHaveLength(13);
    for (const id of CHANNEL_IDS) expect(RULEBOOK[id].id).toBe(id);
  });

  it.each(CHANNEL_IDS)('%s carries every field, each valid or the literal "unknown"', (id) => {
    const result = v.safeParse(ChannelRulesSchema, RULEBOOK[id]);
    expect(result.issues?.map((issue) => `${v.getDotPath(issue)}: ${issue.message}`) ?? []).toEqual([]);
    for (const field of Object.keys(ChannelRulesSchema.entries)) expect(RULEBOOK[id]).toHaveProperty(field);
  });

  it('rejects an entry with a field missing or misspelt', () => {
    const { refund: _refund, ...withoutRefund } = RULEBOOK.wechatpay;
    expect(v.safeParse(ChannelRulesSchema, withoutRefund).success).toBe(false);
    expect(v.safeParse(ChannelRulesSchema, { ...RULEBOOK.wechatpay, refundWindow: 1 }).success).toBe(false);
    expect(v.safeParse(ChannelRulesSchema, { ...RULEBOOK.wechatpay, amountUnit: 'cents' }).success).toBe(false);
  });

  // DESIGN §5, from the article's refund table (一.4).
  it.each([
    ['wechatpay', { amount: 365, unit: 'day' }, 'wechat-fund-flow'],
    ['alipay', { amount: 3, unit: 'month' }, 'none'],
    ['unionpay', { amount: 11, unit: 'month' }, 'rate'],
    ['cmb', { amount: 180, unit: 'day' }, 'proportional'],
    ['jdpay', { amount: 6, unit: 'month' }, 'none'],
    ['baidu', { amount: 3, unit: 'month' }, 'rate'],
    ['yeepay', { amount: 3, unit: 'month' }, 'none'],
    ['qqwallet', { amount: 1, unit: 'year' }, 'per-transaction-or-net'],
    ['netbank-b2b', { amount: 330, unit: 'day' }, 'none'],
    ['paypal', { amount: 180, unit: 'day' }, 'percentage-part'],
    ['abc', 'unknown', 'unknown'],
    ['ccb', 'unknown', 'unknown'],
    ['bestpay', 'unknown', 'unknown'],
  ] as const)('%s: refund window %j, fee policy %s', (id, window, fee) => {
    expect(RULEBOOK[id].refund.window).toEqual(window);
    expect(RULEBOOK[id].refund.fee.kind).toBe(fee);
  });

  it('keeps the per-order refund limits and fee details of the article', () => {
    expect(RULEBOOK.wechatpay.refund.maxRefundsPerOrder).toBe(50);
    expect(RULEBOOK.unionpay.refund.fee).toMatchObject({ kind: 'rate', minimumFee: 8 });
    expect(RULEBOOK.cmb.refund.fee).toMatchObject({ pieceBelowOneUnitReturnsNothing: true });
    expect(RULEBOOK.baidu.refund.fee).toMatchObject({ pieceBelowOneUnitReturnsNothing: true });
    expect(RULEBOOK.wechatpay.refund.fee).toMatchObject({ defaultFundFlow: 'new' });
  });

  // DESIGN §5, from the article's clearing table (一.5(4)).
  it.each([
    ['wechatpay', '00:00', { dayOffset: 1, time: '10:00' }],
    ['alipay', '00:00', { dayOffset: 1, time: '09:00' }],
    ['unionpay', '23:00', { dayOffset: 1, time: '09:00' }],
    ['qqwallet', '00:00', { dayOffset: 1, time: '10:00' }],
    ['abc', '00:00', { dayOffset: 1, time: '00:00' }],
    ['ccb', '00:00', { dayOffset: 1, time: '10:00' }],
    ['bestpay', '00:00', { dayOffset: 1, time: '01:00' }],
    ['cmb', 'unknown', 'unknown'],
  ] as const)('%s clears from %s and bills from %j', (id, cutoff, available) => {
    expect(RULEBOOK[id].bill.clearingCutoff).toBe(cutoff);
    expect(RULEBOOK[id].bill.availableAt).toEqual(available);
  });

  it('keeps the notification retry ladders', () => {
    const wechat = RULEBOOK.wechatpay.notification.retryLadderSeconds;
    const alipay = RULEBOOK.alipay.notification.retryLadderSeconds;
    if (wechat === 'unknown' || alipay === 'unknown') return expect.unreachable();
    expect(wechat).toHaveLength(15);
    expect(wechat.reduce((a, b) => a + b, 0)).toBe(24 * 3600 + 4 * 60); // "总计 24h4m"
    expect(alipay).toHaveLength(7); // 8 notifications in all
    expect(alipay.reduce((a, b) => a + b, 0)).toBeLessThan(25 * 3600);
  });

  it('lists Huabei with 3/6/12 periods and both fee bearers, and JD Baitiao', () => {
    expect(RULEBOOK.alipay.installments[0]).toMatchObject({
      provider: 'huabei',
      periods: [3, 6, 12],
      feeBearers: ['buyer', 'merchant'],
      newOrderNumberOnPlanChange: true,
    });
    expect(RULEBOOK.jdpay.installments[0]?.provider).toBe('baitiao');
  });

  it('keeps payout and split limits', () => {
    expect(RULEBOOK.wechatpay.payout.payees).toEqual(['consumer']);
    expect(RULEBOOK.alipay.payout.payees).toEqual(['consumer', 'business']);
    expect(RULEBOOK.wechatpay.split.maxReceivers).toBe(5);
    expect(RULEBOOK.alipay.split.maxReceivers).toBe(10);
    expect(RULEBOOK.ccb.payeeName).toBe('request-field');
  });
});

describe('products per terminal (DESIGN §4)', () => {
  const ids = (channel: ChannelId, terminal: TerminalKind) => productsFor(channel, terminal).map((p) => p.id);

  it('gives WeChat Pay one product per terminal, and none in the Alipay client', () => {
    expect(ids('wechatpay', 'pc')).toEqual(['native']);
    expect(ids('wechatpay', 'wap')).toEqual(['h5']);
    expect(ids('wechatpay', 'wechat')).toEqual(['jsapi']);
    expect(ids('wechatpay', 'miniprogram')).toEqual(['miniprogram']);
    expect(ids('wechatpay', 'app')).toEqual(['app']);
    expect(ids('wechatpay', 'alipay')).toEqual([]);
  });

  it('gives Alipay page pay and precreate on PC, WAP on phones, in-client pay, and nothing in WeChat', () => {
    expect(ids('alipay', 'pc')).toEqual(['page', 'precreate']);
    expect(ids('alipay', 'wap')).toEqual(['wap']);
    expect(ids('alipay', 'alipay')).toEqual(['inapp']);
    expect(ids('alipay', 'wechat')).toEqual([]);
    expect(ids('alipay', 'miniprogram')).toEqual([]);
  });

  it('gives no channel but WeChat Pay anything inside a mini-program', () => {
    for (const id of CHANNEL_IDS) if (id !== 'wechatpay') expect(ids(id, 'miniprogram')).toEqual([]);
  });

  it('uses a form for UnionPay on PC and phone, and the tn hand-over in apps', () => {
    expect(productsFor('unionpay', 'pc').map((p) => p.action)).toEqual(['form']);
    expect(productsFor('unionpay', 'wap').map((p) => p.action)).toEqual(['form']);
    expect(productsFor('unionpay', 'app').map((p) => p.action)).toEqual(['app']);
  });
});

describe('order numbers', () => {
  it('applies each channel rule', () => {
    expect(orderNumberProblems('wechatpay', 'A1_b-|*')).toEqual([]);
    expect(orderNumberProblems('wechatpay', '12345')).toEqual(['shorter than 6 characters']);
    expect(orderNumberProblems('wechatpay', 'x'.repeat(33))).toEqual(['longer than 32 characters']);
    expect(orderNumberProblems('alipay', 'A1-2')).toEqual(['has characters outside [0-9A-Za-z_]']);
    expect(orderNumberProblems('unionpay', 'ORDER_123')).toEqual(['has characters outside [0-9A-Za-z]']);
    expect(orderNumberProblems('cmb', '2026112612AB')).toEqual(['has characters outside [0-9]']);
  });

  it('generates 20-character numbers that fit every channel in use: Beijing time to the second, then random', () => {
    const now = new Date('2026-11-26T16:30:05Z'); // 2026-11-27 00:30:05 Beijing
    const main: ChannelId[] = ['wechatpay', 'alipay', 'unionpay'];
    // A seeded generator as the random source makes the run repeatable: uniqueness is checked without luck.
    let seed = 7;
    const sequence = (size: number) =>
      Uint8Array.from({ length: size }, () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed >>> 23;
      });
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const number = newChannelOrderNumber(main, now, sequence);
      expect(number).toMatch(/^261127003005[0-9A-Z]{8}$/);
      seen.add(number);
    }
    expect(seen.size).toBe(2000);
    // Letters are used when every channel takes them; rejection sampling keeps bytes 252–255 out.
    expect(newChannelOrderNumber(main, now, () => new Uint8Array(20).fill(35))).toBe('261127003005ZZZZZZZZ');
    expect(newChannelOrderNumber(main, now, (size) => new Uint8Array(size).fill(255).map((b, i) => (i === size - 1 ? 1 : b)))).toMatch(/^2611270030051/);
  });

  it('falls back to digits when a channel takes only digits or does not say', () => {
    expect(newChannelOrderNumber(['wechatpay', 'cmb'])).toMatch(/^[0-9]{20}$/);
    expect(newChannelOrderNumber(['baidu'])).toMatch(/^[0-9]{20}$/);
  });
});

describe('descriptions', () => {
  it('replaces the characters that break Alipay and says so', () => {
    const clean = cleanDescription('alipay', 'Tea & cups / set=2');
    expect(clean.text).toBe('Tea cups set 2');
    expect(clean.changes).toEqual([{ kind: 'removed-breaking-characters', detail: '/ = & replaced by spaces' }]);
  });

  it('cuts WeChat descriptions to 127 characters, counting Chinese characters as one', () => {
    const clean = cleanDescription('wechatpay', '茶'.repeat(130));
    expect(clean.text).toBe('茶'.repeat(127));
    expect(clean.changes.map((c) => c.kind)).toEqual(['truncated']);
    expect(clean.shownToCustomer).toBe(true);
  });

  it('removes control characters everywhere and emoji where the channel does not say what breaks it', () => {
    expect(cleanDescription('wechatpay', 'Tea\u0000\u202e set\n2').text).toBe('Tea set 2');
    const unionpay = cleanDescription('unionpay', 'Tea 🍵 set');
    expect(unionpay.text).toBe('Tea set');
    expect(unionpay.changes.map((c) => c.kind)).toEqual(['removed-emoji']);
    expect(cleanDescription('alipay', 'Tea 🍵').text).toBe('Tea 🍵');
  });

  it('refuses a description with nothing left', () => {
    try {
      cleanDescription('alipay', ' /&= ');
      expect.unreachable();
    } catch (error) {
      expect(isRuleError(error) && error.code).toBe('invalid_description');
    }
  });
});

describe('time rules in Beijing time', () => {
  it('computes refund deadlines by each window', () => {
    const paid = new Date('2026-11-30T04:00:00Z'); // 12:00 Beijing, 30 November
    expect(refundDeadline('wechatpay', paid)).toEqual(new Date('2027-11-30T04:00:00Z'));
    expect(refundDeadline('alipay', paid)).toEqual(new Date('2027-02-28T04:00:00Z'));
    expect(refundDeadline('unionpay', paid)).toEqual(new Date('2027-10-30T04:00:00Z'));
    expect(refundDeadline('qqwallet', paid)).toEqual(new Date('2027-11-30T04:00:00Z'));
    expect(refundDeadline('abc', paid)).toBe('unknown');
  });

  it('puts UnionPay transactions from 23:00 into the next clearing day', () => {
    expect(clearingDay('unionpay', new Date('2026-11-26T14:59:59Z'))).toBe('2026-11-26'); // 22:59:59
    expect(clearingDay('unionpay', new Date('2026-11-26T15:00:00Z'))).toBe('2026-11-27'); // 23:00
    expect(clearingDay('wechatpay', new Date('2026-11-26T15:59:59Z'))).toBe('2026-11-26'); // 23:59:59
    expect(clearingDay('wechatpay', new Date('2026-11-26T16:00:00Z'))).toBe('2026-11-27'); // midnight
    expect(clearingDay('cmb', new Date())).toBe('unknown');
  });

  it('gives each clearing day its window, the inverse of clearingDay', () => {
    expect(clearingWindow('wechatpay', '2026-11-26')).toEqual({
      start: new Date('2026-11-25T16:00:00Z'), // 00:00 Beijing
      end: new Date('2026-11-26T16:00:00Z'),
    });
    expect(clearingWindow('unionpay', '2026-12-01')).toEqual({
      start: new Date('2026-11-30T15:00:00Z'), // 23:00 Beijing, the day before
      end: new Date('2026-12-01T15:00:00Z'),
    });
    for (const channel of ['wechatpay', 'unionpay'] as const) {
      const window = clearingWindow(channel, '2026-11-26');
      if (window === 'unknown') throw new Error('known cut-off');
      expect(clearingDay(channel, window.start)).toBe('2026-11-26');
      expect(clearingDay(channel, new Date(window.end.getTime() - 1))).toBe('2026-11-26');
      expect(clearingDay(channel, window.end)).toBe('2026-11-27');
    }
    expect(clearingWindow('cmb', '2026-11-26')).toBe('unknown');
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01');
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28');
    expect(() => clearingWindow('wechatpay', '2026-13-01')).toThrow(/not a date/);
  });

  it('knows when each bill becomes available', () => {
    expect(billAvailableAt('wechatpay', '2026-11-26')).toEqual(new Date('2026-11-27T02:00:00Z'));
    expect(billAvailableAt('alipay', '2026-11-26')).toEqual(new Date('2026-11-27T01:00:00Z'));
    expect(billAvailableAt('unionpay', '2026-11-30')).toEqual(new Date('2026-12-01T01:00:00Z'));
    expect(billAvailableAt('abc', '2026-12-31')).toEqual(new Date('2026-12-31T16:00:00Z'));
    expect(billAvailableAt('bestpay', '2026-11-26')).toEqual(new Date('2026-11-26T17:00:00Z'));
    expect(billAvailableAt('jdpay', '2026-11-26')).toBe('unknown');
    expect(() => billAvailableAt('wechatpay', '2026-02-30')).toThrow(/not a date/);
  });
});

describe('Beijing wall-clock formats', () => {
  const at = new Date('2026-12-31T16:00:00.999Z'); // 2027-01-01 00:00:00.999 Beijing

  it('writes the three channel formats, dropping sub-seconds', () => {
    expect(formatBeijingTime(at)).toBe('2027-01-01 00:00:00');
    expect(formatBeijingStamp(at)).toBe('20270101000000');
    expect(formatBeijingRfc3339(at)).toBe('2027-01-01T00:00:00+08:00');
  });

  it('reads them back only when they name a real calendar second', () => {
    expect(parseBeijingTime('2027-01-01 00:00:00')).toEqual(new Date('2026-12-31T16:00:00Z'));
    expect(parseBeijingStamp('20260501120007')).toEqual(new Date('2026-05-01T04:00:07Z'));
    expect(parseBeijingTime('2026-02-30 12:00:00')).toBeUndefined();
    expect(parseBeijingStamp('20260501240000')).toBeUndefined();
    expect(parseBeijingStamp(20260501120007)).toBeUndefined();
  });
});
