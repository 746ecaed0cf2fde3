import { describe, expect, it } from 'vitest';
import { messages, money, pickLocale } from './index.ts';

describe('languages', () => {
  it('takes the merchant’s choice, then the page’s language, then the browser’s', () => {
    expect(pickLocale('en', 'zh-CN', ['zh-CN'])).toBe('en');
    expect(pickLocale(undefined, 'zh-Hans', ['en-US'])).toBe('zh-CN');
    expect(pickLocale(undefined, '', ['zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLocale(undefined, undefined, ['fr-FR'])).toBe('en');
    expect(pickLocale(undefined, undefined, [])).toBe('en');
  });

  it('formats fen exactly with Intl, per language', () => {
    expect(money(128_000, 'CNY', 'en')).toBe('CN¥1,280.00');
    expect(money(43_647, 'CNY', 'zh-CN')).toBe('¥436.47');
    expect(money(1, 'CNY', 'en')).toBe('CN¥0.01');
  });

  it('both languages have every string', () => {
    const keys = (value: object): string[] =>
      Object.entries(value).flatMap(([key, item]) => (typeof item === 'object' ? keys(item).map((k) => `${key}.${k}`) : [key]));
    expect(keys(messages('zh-CN')).sort()).toEqual(keys(messages('en')).sort());
  });
});
