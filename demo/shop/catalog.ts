// The demo shop's catalogue and cart: a few teas priced in fen, and a cart kept in a cookie as `id.quantity` pairs.
// The cookie holds no price: every total is computed here from the catalogue, in integer fen.

import { sum } from '../../shared/money/index.ts';
import type { Locale } from './i18n.ts';

export interface Tea {
  readonly id: string;
  readonly name: Readonly<Record<Locale, string>>;
  readonly note: Readonly<Record<Locale, string>>;
  /** Fen. */
  readonly price: number;
  /** The colour of its leaf on the product card. */
  readonly colour: string;
}

export const TEAS: readonly Tea[] = [
  {
    id: 'longjing',
    name: { 'zh-CN': '西湖龙井', en: 'West Lake Longjing' },
    note: { 'zh-CN': '明前特级 · 50 克', en: 'Pre-Qingming, top grade · 50 g' },
    price: 12_800,
    colour: '#7fa65a',
  },
  {
    id: 'tieguanyin',
    name: { 'zh-CN': '安溪铁观音', en: 'Anxi Tieguanyin' },
    note: { 'zh-CN': '清香型 · 100 克', en: 'Light roast oolong · 100 g' },
    price: 6_850,
    colour: '#4f8a6b',
  },
  {
    id: 'dahongpao',
    name: { 'zh-CN': '武夷大红袍', en: 'Wuyi Da Hong Pao' },
    note: { 'zh-CN': '岩茶 · 100 克', en: 'Rock oolong · 100 g' },
    price: 9_900,
    colour: '#8a4b2a',
  },
  {
    id: 'silver-needle',
    name: { 'zh-CN': '白毫银针', en: 'Silver Needle' },
    note: { 'zh-CN': '福鼎白茶 · 50 克', en: 'Fuding white tea · 50 g' },
    price: 15_600,
    colour: '#b9b59a',
  },
  {
    id: 'puer',
    name: { 'zh-CN': '云南普洱熟茶饼', en: 'Yunnan ripe pu-erh cake' },
    note: { 'zh-CN': '2019 年 · 357 克', en: '2019 · 357 g' },
    price: 18_800,
    colour: '#5a3a26',
  },
];

export const MAX_QUANTITY = 20;
/** A longer cookie is not one this shop wrote: read no further. */
const MAX_PAIRS = 20;

export function teaById(id: string): Tea | undefined {
  return TEAS.find((tea) => tea.id === id);
}

export interface CartLine {
  readonly tea: Tea;
  readonly quantity: number;
  /** Fen: price × quantity. */
  readonly amount: number;
}

export interface Cart {
  readonly lines: readonly CartLine[];
  readonly count: number;
  /** Fen. */
  readonly total: number;
}

/** Quantities by tea id, in the order they were first added. */
export type CartContents = ReadonlyMap<string, number>;

/**
 * Reads the cart cookie (`longjing.2~puer.1`). Anything it cannot vouch for — an unknown tea, a quantity that is not
 * a whole number from 1 to MAX_QUANTITY, a repeated id — is dropped: the cookie is the customer's to edit.
 */
export function parseCart(cookie: string | undefined): Map<string, number> {
  const contents = new Map<string, number>();
  for (const pair of (cookie ?? '').split('~').slice(0, MAX_PAIRS)) {
    const match = /^([a-z-]{1,32})\.([1-9][0-9]?)$/.exec(pair);
    if (!match) continue;
    const [, id = '', digits = ''] = match;
    const quantity = Number(digits);
    if (teaById(id) && quantity <= MAX_QUANTITY && !contents.has(id)) contents.set(id, quantity);
  }
  return contents;
}

export function serializeCart(contents: CartContents): string {
  return [...contents].map(([id, quantity]) => `${id}.${quantity}`).join('~');
}

/** Sets a tea's quantity (0 removes it), clamped to MAX_QUANTITY; unknown teas change nothing. */
export function withQuantity(contents: CartContents, id: string, quantity: number): Map<string, number> {
  const next = new Map(contents);
  if (!teaById(id) || !Number.isInteger(quantity)) return next;
  if (quantity <= 0) next.delete(id);
  else next.set(id, Math.min(quantity, MAX_QUANTITY));
  return next;
}

export function priceCart(contents: CartContents): Cart {
  const lines: CartLine[] = [];
  for (const [id, quantity] of contents) {
    const tea = teaById(id);
    if (tea) lines.push({ tea, quantity, amount: tea.price * quantity });
  }
  return {
    lines,
    count: lines.reduce((count, line) => count + line.quantity, 0),
    total: sum(lines.map((line) => line.amount)),
  };
}
