// Strings and money for the widget's two built-in languages. The locale is the merchant's choice, else the page's
// `<html lang>`, else the browser's; anything Chinese gets zh-CN, everything else English.

import { formatMoney, type Currency } from '../../shared/money/index.ts';
import { en, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type { Messages };
export type Locale = 'zh-CN' | 'en';

export function pickLocale(requested: string | undefined, pageLang: string | undefined, browser: readonly string[]): Locale {
  for (const candidate of [requested, pageLang, ...browser]) {
    if (!candidate) continue;
    return /^zh\b/i.test(candidate) ? 'zh-CN' : 'en';
  }
  return 'en';
}

export function messages(locale: Locale): Messages {
  return locale === 'zh-CN' ? zhCN : en;
}

/** An amount of minor units, formatted for people with Intl (never minor / 100 in floating point). */
export function money(amount: number, currency: Currency, locale: Locale): string {
  return formatMoney(amount, currency, locale);
}

/** The code of a WidgetError as a key of the messages' error texts. */
export function errorText(t: Messages, code: string): string {
  return (t.errors as Record<string, string>)[code] ?? t.errors.other;
}
