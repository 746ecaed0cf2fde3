// The channel rulebook and the rules computed from it: products per terminal, channel order numbers that fit
// every channel in use, description cleaning, refund deadlines, clearing days and bill times.

import { RuleError } from '../errors/index.ts';
import { addDays, addMonths, formatDay, fromBeijing, parseClock, parseDay, toBeijing } from './beijing-time.ts';
import { RULEBOOK } from './rulebook.ts';
import { CHANNEL_IDS, UNKNOWN, type ChannelId, type Product, type TerminalKind } from './types.ts';

export * from './types.ts';
export { RULEBOOK } from './rulebook.ts';

export function isChannelId(value: unknown): value is ChannelId {
  return typeof value === 'string' && (CHANNEL_IDS as readonly string[]).includes(value);
}

export function productsOf(channel: ChannelId): readonly Product[] {
  const products = RULEBOOK[channel].products;
  return products === UNKNOWN ? [] : products;
}

export function findProduct(channel: ChannelId, productId: string): Product | undefined {
  return productsOf(channel).find((product) => product.id === productId);
}

/** The channel's products that work on a terminal, in rulebook order. */
export function productsFor(channel: ChannelId, terminal: TerminalKind): readonly Product[] {
  return productsOf(channel).filter((product) => product.terminals.includes(terminal));
}

// --- channel order numbers --------------------------------------------------------------------------

/** What is wrong with `value` as the channel's order number; empty when it fits. */
export function orderNumberProblems(channel: ChannelId, value: string): string[] {
  const rule = RULEBOOK[channel].orderNumber;
  const problems: string[] = [];
  const length = [...value].length;
  if (rule.minLength !== UNKNOWN && length < rule.minLength) problems.push(`shorter than ${rule.minLength} characters`);
  if (rule.maxLength !== UNKNOWN && length > rule.maxLength) problems.push(`longer than ${rule.maxLength} characters`);
  if (rule.charset !== UNKNOWN && !new RegExp(`^[${rule.charset}]*$`).test(value)) {
    problems.push(`has characters outside [${rule.charset}]`);
  }
  return problems;
}

export function assertOrderNumber(channel: ChannelId, value: string): void {
  const problems = orderNumberProblems(channel, value);
  if (problems.length > 0) {
    const field = RULEBOOK[channel].orderNumber.field;
    throw new RuleError(
      'invalid_order_number',
      `${JSON.stringify(value)} is not a valid ${channel} ${field}: ${problems.join(', ')}`,
      field === UNKNOWN ? 'orderNumber' : field,
    );
  }
}

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A new channel order number that fits every channel given: 20 characters (the article's 8–20 fits nearly all),
 * the Beijing time to the second, then random characters — digits only when any channel takes only digits
 * (early CMB) or does not say what it takes. The merchant's own order number is kept apart, never sent here.
 */
export function newChannelOrderNumber(
  channels: readonly ChannelId[],
  now: Date = new Date(),
  random: (size: number) => Uint8Array = (size) => globalThis.crypto.getRandomValues(new Uint8Array(size)),
): string {
  let length = 20;
  let alphabet = DIGITS + UPPER;
  for (const channel of channels) {
    const rule = RULEBOOK[channel].orderNumber;
    if (rule.maxLength !== UNKNOWN) length = Math.min(length, rule.maxLength);
    if (rule.charset === UNKNOWN || !new RegExp(`^[${rule.charset}]+$`).test(UPPER)) alphabet = DIGITS;
  }
  const at = toBeijing(now);
  const seconds = Math.floor((now.getTime() / 1000) % 60);
  const stamp =
    formatDay(at).replaceAll('-', '').slice(2) +
    String(Math.floor(at.minutes / 60)).padStart(2, '0') +
    String(at.minutes % 60).padStart(2, '0') +
    String(seconds).padStart(2, '0');
  const prefix = stamp.slice(0, Math.max(0, length - 6));
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let suffix = '';
  while (prefix.length + suffix.length < length) {
    for (const byte of random(length)) {
      if (byte < limit && prefix.length + suffix.length < length) suffix += alphabet[byte % alphabet.length];
    }
  }
  const value = prefix + suffix;
  for (const channel of channels) assertOrderNumber(channel, value);
  return value;
}

// --- descriptions -----------------------------------------------------------------------------------

export interface DescriptionChange {
  readonly kind: 'removed-control-characters' | 'removed-breaking-characters' | 'removed-emoji' | 'truncated';
  readonly detail: string;
}

export interface CleanDescription {
  readonly text: string;
  readonly changes: readonly DescriptionChange[];
  /** Whether the customer will see the text on the channel's pages or their bill. */
  readonly shownToCustomer: boolean | typeof UNKNOWN;
}

// C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, lone surrogates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
const ASTRAL = /[\u{10000}-\u{10ffff}]/gu;

/**
 * Cleans a description for a channel and says what changed, so the merchant can be told. Some channels fail on
 * special characters with unclear errors (article, 二.1 对接-支付⑤): control characters always go, the
 * channel's known breaking characters go, and where the channel's rule is unknown, characters outside the
 * Basic Multilingual Plane (emoji), the usual culprits, go too. Then the text is cut to the channel's length.
 */
export function cleanDescription(channel: ChannelId, input: string): CleanDescription {
  const rule = RULEBOOK[channel].description;
  const changes: DescriptionChange[] = [];
  let text = input.replace(/[\t\n\r]+/g, ' ');
  const controls = text.match(CONTROL);
  if (controls) {
    text = text.replace(CONTROL, '');
    changes.push({ kind: 'removed-control-characters', detail: `${controls.length} removed` });
  }
  if (rule.breakingCharacters === UNKNOWN) {
    const astral = text.match(ASTRAL);
    if (astral) {
      text = text.replace(ASTRAL, '');
      changes.push({ kind: 'removed-emoji', detail: `${astral.join('')} removed: ${channel} may reject them` });
    }
  } else {
    const found = rule.breakingCharacters.filter((character) => text.includes(character));
    if (found.length > 0) {
      for (const character of found) text = text.replaceAll(character, ' ');
      changes.push({ kind: 'removed-breaking-characters', detail: `${found.join(' ')} replaced by spaces` });
    }
  }
  text = text.replace(/ {2,}/g, ' ').trim();
  if (rule.maxLength !== UNKNOWN) {
    const cut = truncate(text, rule.maxLength, rule.lengthUnit === 'bytes');
    if (cut !== text) {
      changes.push({ kind: 'truncated', detail: `cut to ${rule.maxLength} ${rule.lengthUnit === 'bytes' ? 'bytes' : 'characters'}` });
      text = cut;
    }
  }
  if (text.length === 0) {
    throw new RuleError('invalid_description', `the description is empty once cleaned for ${channel}`, 'description');
  }
  return { text, changes, shownToCustomer: rule.shownToCustomer };
}

function truncate(text: string, max: number, bytes: boolean): string {
  const encoder = new TextEncoder();
  let out = '';
  let used = 0;
  for (const character of text) {
    const size = bytes ? encoder.encode(character).length : 1;
    if (used + size > max) break;
    out += character;
    used += size;
  }
  return out.trimEnd();
}

// --- time rules -------------------------------------------------------------------------------------

/** The last instant a payment made at `paidAt` can be refunded, by the channel's refund window. */
export function refundDeadline(channel: ChannelId, paidAt: Date): Date | typeof UNKNOWN {
  const window = RULEBOOK[channel].refund.window;
  if (window === UNKNOWN) return UNKNOWN;
  if (window.unit === 'day') return new Date(paidAt.getTime() + window.amount * 86_400_000);
  const at = toBeijing(paidAt);
  const date = addMonths(at, window.unit === 'year' ? window.amount * 12 : window.amount);
  return new Date(fromBeijing(date, at.minutes).getTime() + (paidAt.getTime() % 60_000));
}

/** The clearing day (Beijing date, `YYYY-MM-DD`) a transaction at `at` belongs to. */
export function clearingDay(channel: ChannelId, at: Date): string | typeof UNKNOWN {
  const cutoff = RULEBOOK[channel].bill.clearingCutoff;
  if (cutoff === UNKNOWN) return UNKNOWN;
  const local = toBeijing(at);
  const boundary = parseClock(cutoff);
  // A cut-off other than midnight closes the day early: what happens after it belongs to the next day.
  return formatDay(boundary !== 0 && local.minutes >= boundary ? addDays(local, 1) : local);
}

/**
 * The instants [start, end) of clearing day `day` (`YYYY-MM-DD`): Beijing midnight to midnight, or, for a cut-off
 * such as UnionPay's 23:00, from the cut-off of the day before to the cut-off of the day (the inverse of clearingDay).
 */
export function clearingWindow(channel: ChannelId, day: string): { readonly start: Date; readonly end: Date } | typeof UNKNOWN {
  const cutoff = RULEBOOK[channel].bill.clearingCutoff;
  const date = parseDay(day);
  if (!date) throw new RuleError('invalid_date', `${JSON.stringify(day)} is not a date such as 2026-11-26`, 'date');
  if (cutoff === UNKNOWN) return UNKNOWN;
  const boundary = parseClock(cutoff);
  return boundary === 0
    ? { start: fromBeijing(date), end: fromBeijing(addDays(date, 1)) }
    : { start: fromBeijing(addDays(date, -1), boundary), end: fromBeijing(date, boundary) };
}

/** The clearing day after (`+1`) or before (`-1`) `day`. */
export function shiftDay(day: string, days: number): string {
  const date = parseDay(day);
  if (!date) throw new RuleError('invalid_date', `${JSON.stringify(day)} is not a date such as 2026-11-26`, 'date');
  return formatDay(addDays(date, days));
}

/** When the bill of a clearing day (`YYYY-MM-DD`) can first be fetched. */
export function billAvailableAt(channel: ChannelId, day: string): Date | typeof UNKNOWN {
  const available = RULEBOOK[channel].bill.availableAt;
  const date = parseDay(day);
  if (!date) throw new RuleError('invalid_date', `${JSON.stringify(day)} is not a date such as 2026-11-26`, 'date');
  if (available === UNKNOWN) return UNKNOWN;
  return fromBeijing(addDays(date, available.dayOffset), parseClock(available.time));
}
