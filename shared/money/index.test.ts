import { describe, expect, it } from 'vitest';
import { isMoneyError } from '../errors/index.ts';
import {
  assertMinorUnits,
  floor,
  formatDecimalAmount,
  formatMoney,
  formatYuan,
  fromChannelAmount,
  isBelowOneUnit,
  parseFen,
  parseRate,
  parseYuan,
  roundHalfUp,
  share,
  sum,
  times,
  toChannelAmount,
} from './index.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isMoneyError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('yuan strings', () => {
  it.each([
    ['0', 0],
    ['0.01', 1],
    ['12.30', 1230],
    ['12.3', 1230],
    ['12', 1200],
    ['100000000.00', 10_000_000_000],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('parses %s exactly', (text, minor) => {
    expect(parseYuan(text)).toBe(minor);
  });

  it.each(['1e2', '12.345', '-0.01', '', ' 1', '1 ', 'NaN', 'Infinity', '.5', '5.', '01.00', '+1', '1,000.00', '0x10', '１２'])(
    'rejects %j with a clear error',
    (text) => {
      expect(codeOf(() => parseYuan(text))).toBe('invalid_amount');
    },
  );

  it('rejects values past the safe integer range', () => {
    expect(codeOf(() => parseYuan('90071992547409.92'))).toBe('amount_out_of_range');
    expect(codeOf(() => parseFen('9007199254740992'))).toBe('amount_out_of_range');
  });

  it('says which field and what was wrong', () => {
    try {
      parseYuan('12.345', 'total_amount');
      expect.unreachable();
    } catch (error) {
      expect(isMoneyError(error)).toBe(true);
      expect(error).toMatchObject({ field: 'total_amount', message: 'total_amount "12.345" has more than 2 decimal places' });
    }
  });

  it('formats minor units without floating point', () => {
    expect(formatYuan(0)).toBe('0.00');
    expect(formatYuan(5)).toBe('0.05');
    expect(formatYuan(1230)).toBe('12.30');
    expect(formatYuan(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(formatDecimalAmount(1234, 0)).toBe('1234');
  });

  it('round-trips every amount from 0 to 100 000 fen', () => {
    for (let minor = 0; minor <= 100_000; minor++) {
      if (parseYuan(formatYuan(minor)) !== minor) expect.unreachable(`round trip of ${minor}`);
    }
  });
});

describe('minor units', () => {
  it.each([1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null])('refuses %j', (value) => {
    expect(codeOf(() => assertMinorUnits(value))).toBe('invalid_amount');
  });

  it('parses fen strings and integers', () => {
    expect(parseFen('1230')).toBe(1230);
    expect(parseFen(1230)).toBe(1230);
    expect(codeOf(() => parseFen('12.30'))).toBe('invalid_amount');
    expect(codeOf(() => parseFen('-1'))).toBe('invalid_amount');
    expect(codeOf(() => parseFen('001'))).toBe('invalid_amount');
    expect(codeOf(() => parseFen(12.5))).toBe('invalid_amount');
  });

  it('sums without leaving the safe range', () => {
    expect(sum([1, 2, 3])).toBe(6);
    expect(codeOf(() => sum([Number.MAX_SAFE_INTEGER, 1]))).toBe('amount_out_of_range');
  });
});

describe('channel edge', () => {
  it('converts to and from each wire unit', () => {
    expect(toChannelAmount(1230, 'fen')).toBe(1230);
    expect(toChannelAmount(1230, 'yuan')).toBe('12.30');
    expect(toChannelAmount(1230, 'decimal', 'USD')).toBe('12.30');
    expect(toChannelAmount(1230, 'decimal', 'JPY')).toBe('1230');
    expect(fromChannelAmount('12.30', 'yuan')).toBe(1230);
    expect(fromChannelAmount(1230, 'fen')).toBe(1230);
    expect(fromChannelAmount('1230', 'decimal', 'JPY')).toBe(1230);
    expect(codeOf(() => fromChannelAmount('12.5', 'decimal', 'JPY'))).toBe('invalid_amount');
  });

  it('formats for people with Intl from the exact decimal', () => {
    expect(formatMoney(1230, 'CNY', 'zh-CN')).toBe('¥12.30');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD', 'en-US')).toBe('$90,071,992,547,409.91');
    expect(formatMoney(500, 'JPY', 'en-US')).toBe('¥500');
  });
});

describe('decimal arithmetic', () => {
  it('computes 2500 × 0.0062 as exactly 15.5 and rounds half up to 16', () => {
    const exact = times(2500, parseRate('0.0062'));
    expect(exact.num * 2n).toBe(31n * exact.den); // exactly 31/2
    expect(roundHalfUp(exact)).toBe(16);
    expect(floor(exact)).toBe(15);
  });

  it('rounds cases that binary floating point gets wrong', () => {
    // 1005 × 0.1 is 100.50000000000001 and 1.005 × 100 is 100.49999999999999 in binary floating point.
    expect(roundHalfUp(times(1005, parseRate('0.1')))).toBe(101);
    expect(roundHalfUp(times(201, parseRate('0.005')))).toBe(1); // 1.005
    expect(roundHalfUp(times(335, parseRate('0.006')))).toBe(2); // 2.01
    expect(roundHalfUp(times(250, parseRate('0.006')))).toBe(2); // 1.5 → 2
    expect(roundHalfUp(times(249, parseRate('0.006')))).toBe(1); // 1.494 → 1
  });

  it('takes exact shares', () => {
    expect(roundHalfUp(share(6, 1, 4))).toBe(2); // 1.5
    expect(roundHalfUp(share(6, 1, 5))).toBe(1); // 1.2
    expect(isBelowOneUnit(share(1, 1, 3))).toBe(true);
    expect(isBelowOneUnit(share(3, 1, 3))).toBe(false);
  });

  it.each(['-0.01', '1e-3', '0.0.1', '', '2', '1.0000000000001', ' 0.1', '0.1234567890123'])('refuses rate %j', (text) => {
    expect(codeOf(() => parseRate(text))).toBe('invalid_rate');
  });

  it('accepts rates from 0 to 1 with up to 12 decimals', () => {
    expect(parseRate('0')).toMatchObject({ num: 0n, den: 1n });
    expect(parseRate('1')).toMatchObject({ num: 1n, den: 1n });
    expect(parseRate('0.000000000001')).toMatchObject({ num: 1n, den: 10n ** 12n });
  });
});
