// The language a widget renders in, given once at its root; every view reads it from here.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Currency } from '../../shared/money/index.ts';
import { money, type Locale, type Messages } from '../i18n/index.ts';
import type { CheckoutModel } from '../model/CheckoutModel.ts';

export interface ViewContext {
  readonly locale: Locale;
  readonly t: Messages;
  readonly model: CheckoutModel;
  /** Unique within the page: radio-group names and ids of two widgets must not collide. */
  readonly uid: string;
  /** Adds a lazily loaded view's stylesheet to the widget's shadow root (once per stylesheet). */
  readonly addStyles: (css: string) => void;
}

export const Context = createContext<ViewContext | null>(null);

export function useView(): ViewContext & { money: (amount: number) => string; currency: Currency } {
  const context = useContext(Context);
  if (!context) throw new Error('widget views render inside <Context.Provider>');
  const currency = context.model.session.value?.order.currency ?? 'CNY';
  return { ...context, currency, money: (amount) => money(amount, currency, context.locale) };
}

