// Money as integer minor units (fen for CNY), with exact conversion to and from the formats channels use
// (integer fen, yuan strings such as "12.30", decimal strings per currency) and exact decimal arithmetic
// for rates. Binary floating point never touches an amount: rates are parsed into BigInt ratios.

import { MoneyError } from '../errors/index.ts';

/** ISO 4217 minor-unit exponents of the currencies the cashier accepts. */
export const CURRENCY_EXPONENT = {
  CNY: 2,
  HKD: 2,
  MOP: 2,
  TWD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  KRW: 0,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  NZD: 2,
  CHF: 2,
  THB: 2,
  MYR: 2,
} as const;

export type Currency = keyof typeof CURRENCY_EXPONENT;

export const CURRENCIES = Object.keys(CURRENCY_EXPONENT) as Currency[];

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && Object.hasOwn(CURRENCY_EXPONENT, value);
}

/** How a channel writes an amount on the wire. `decimal` is major units with the currency's exponent. */
export type AmountUnit = 'fen' | 'yuan' | 'decimal';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Throws unless `value` is a non-negative safe integer: the only shape an amount has inside the system. */
export function assertMinorUnits(value: unknown, field = 'amount'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MoneyError(
      'invalid_amount',
      `${field} must be a whole, non-negative number of minor units (fen), got ${describe(value)}`,
      field,
    );
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

// One or more digits without a superfluous leading zero, then an optional fraction of at least one digit.
// Signs, exponents, spaces, "NaN", "Infinity", ".5" and "5." all fail this on purpose.
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const INTEGER = /^(0|[1-9][0-9]*)$/;

/** Parses a decimal string in major units ("12.30") into minor units, exactly. */
export function parseDecimalAmount(text: unknown, exponent: number, field = 'amount'): number {
  if (typeof text !== 'string') {
    throw new MoneyError('invalid_amount', `${field} must be a decimal string, got ${describe(text)}`, field);
  }
  const match = DECIMAL.exec(text);
  if (!match) {
    throw new MoneyError(
      'invalid_amount',
      `${field} ${JSON.stringify(text)} is not a plain non-negative decimal such as "12.30"`,
      field,
    );
  }
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new MoneyError(
      'invalid_amount',
      `${field} ${JSON.stringify(text)} has more than ${exponent} decimal place${exponent === 1 ? '' : 's'}`,
      field,
    );
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return toSafe(minor, field, JSON.stringify(text));
}

/** Formats minor units as a decimal string in major units: 1230 → "12.30", 5 → "0.05". */
export function formatDecimalAmount(minor: number, exponent: number): string {
  assertMinorUnits(minor);
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

export function parseYuan(text: unknown, field = 'amount'): number {
  return parseDecimalAmount(text, 2, field);
}

export function formatYuan(minor: number): string {
  return formatDecimalAmount(minor, 2);
}

/** Parses an integer amount in fen as channels send it (a string of digits, or a JSON integer). */
export function parseFen(value: unknown, field = 'amount'): number {
  if (typeof value === 'number') {
    assertMinorUnits(value, field);
    return value;
  }
  if (typeof value !== 'string' || !INTEGER.test(value)) {
    throw new MoneyError('invalid_amount', `${field} ${describe(value)} is not a whole number of fen`, field);
  }
  return toSafe(BigInt(value), field, JSON.stringify(value));
}

function toSafe(minor: bigint, field: string, shown: string): number {
  if (minor > MAX) {
    throw new MoneyError('amount_out_of_range', `${field} ${shown} is too large to be handled exactly`, field);
  }
  return Number(minor);
}

/** Converts minor units into the channel's wire format. */
export function toChannelAmount(minor: number, unit: AmountUnit, currency: Currency = 'CNY'): number | string {
  assertMinorUnits(minor);
  switch (unit) {
    case 'fen':
      return minor;
    case 'yuan':
      return formatDecimalAmount(minor, 2);
    case 'decimal':
      return formatDecimalAmount(minor, CURRENCY_EXPONENT[currency]);
  }
}

/** Converts a channel's wire amount back into minor units, rejecting anything inexact. */
export function fromChannelAmount(value: unknown, unit: AmountUnit, currency: Currency = 'CNY', field = 'amount'): number {
  switch (unit) {
    case 'fen':
      return parseFen(value, field);
    case 'yuan':
      return parseDecimalAmount(value, 2, field);
    case 'decimal':
      return parseDecimalAmount(value, CURRENCY_EXPONENT[currency], field);
  }
}

/** Formats an amount for people, with `Intl`, from an exact decimal string (never minor / 100). */
export function formatMoney(minor: number, currency: Currency, locale?: string): string {
  const decimal = formatDecimalAmount(minor, CURRENCY_EXPONENT[currency]);
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(decimal as Intl.StringNumericLiteral);
}

// --- exact decimal arithmetic ------------------------------------------------------------------

/** An exact non-negative rational number. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

/** A decimal fraction such as a fee rate: value = units / 10^scale. */
export interface Rate extends Ratio {
  readonly text: string;
}

const RATE = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,12}))?$/;

/** Parses a rate written as a decimal fraction ("0.006" is 0.6 %). Rates above 1 are refused. */
export function parseRate(text: unknown, field = 'rate'): Rate {
  const match = typeof text === 'string' ? RATE.exec(text) : null;
  if (!match) {
    throw new MoneyError(
      'invalid_rate',
      `${field} ${describe(text)} must be a decimal fraction such as "0.006" (0.6 %), with at most 12 decimals`,
      field,
    );
  }
  const fraction = match[2] ?? '';
  const rate = {
    num: BigInt((match[1] as string) + fraction),
    den: 10n ** BigInt(fraction.length),
    text: text as string,
  };
  if (rate.num > rate.den) {
    throw new MoneyError('invalid_rate', `${field} ${JSON.stringify(text)} is above 1 (100 %)`, field);
  }
  return rate;
}

/** minor × rate, exactly. */
export function times(minor: number, rate: Ratio): Ratio {
  assertMinorUnits(minor);
  return { num: BigInt(minor) * rate.num, den: rate.den };
}

/** whole × part / of, exactly: the share of `whole` that `part` is of `of`. */
export function share(whole: number, part: number, of: number): Ratio {
  assertMinorUnits(whole);
  assertMinorUnits(part);
  assertMinorUnits(of);
  if (of === 0) throw new MoneyError('invalid_amount', 'cannot take a share of a zero amount', 'amount');
  return { num: BigInt(whole) * BigInt(part), den: BigInt(of) };
}

/** Rounds half up (half away from zero; every ratio here is non-negative) to whole minor units. */
export function roundHalfUp(value: Ratio): number {
  const q = value.num / value.den;
  return toSafe(2n * (value.num % value.den) >= value.den ? q + 1n : q, 'amount', 'the result');
}

/** Rounds down to whole minor units. */
export function floor(value: Ratio): number {
  return toSafe(value.num / value.den, 'amount', 'the result');
}

/** True when the exact value is less than one minor unit (0.01 CNY). */
export function isBelowOneUnit(value: Ratio): boolean {
  return value.num < value.den;
}

/** Sum of amounts in minor units, refusing to leave the safe-integer range. */
export function sum(amounts: readonly number[]): number {
  let total = 0n;
  for (const amount of amounts) {
    assertMinorUnits(amount);
    total += BigInt(amount);
  }
  return toSafe(total, 'amount', `sum ${total}`);
}
