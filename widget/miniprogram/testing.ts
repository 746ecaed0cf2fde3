// Runs the mini-program page template (template/pay.js) outside WeChat, for its tests and the end-to-end tests'
// simulated mini-program: the file as shipped, in a VM context holding the globals a mini-program page has
// (Page, getApp, wx). Node only.

import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

type Callbacks<T> = { success?: (result: T) => void; fail?: (failure: { errMsg: string }) => void };

/** The part of the mini-program's `wx` the page uses. */
export interface MiniProgramWx {
  login(options: Callbacks<{ code?: string; errMsg: string }>): void;
  request(options: { url: string; method: string; header: Record<string, string>; data: unknown } & Callbacks<{ statusCode: number; data: unknown }>): void;
  requestPayment(options: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string } & Callbacks<{ errMsg: string }>): void;
  navigateBack(options?: { delta?: number }): void;
}

export interface PayPage {
  readonly data: { state: string; message: string };
  pay(): Promise<void>;
  retry(): void;
}

const TEMPLATE = new URL('./template/pay.js', import.meta.url);

/**
 * Opens the page as WeChat would after navigateTo(`…?${query}`): the query's values percent-encoded as they were
 * in the URL. Answers the page, whose first payment attempt is `page.pay`'s promise.
 */
export function openPayPage(wx: MiniProgramWx, query: string, globalData: { cashierBff: string }): { page: PayPage; settled: Promise<void> } {
  let definition: Record<string, unknown> | undefined;
  runInNewContext(readFileSync(TEMPLATE, 'utf8'), {
    Page: (page: Record<string, unknown>) => {
      definition = page;
    },
    getApp: () => ({ globalData }),
    wx,
    Promise,
    decodeURIComponent,
  });
  if (!definition) throw new Error('the template did not call Page()');
  const page = Object.create(definition) as PayPage & { data: PayPage['data']; setData(patch: object): void; onLoad(query: Record<string, string>): void };
  page.data = { ...(definition.data as PayPage['data']) };
  page.setData = (patch) => void Object.assign(page.data, patch);
  const values = Object.fromEntries(query.split('&').map((pair) => [pair.split('=')[0] ?? '', pair.split('=').slice(1).join('=')]));
  let settled: Promise<void> = Promise.resolve();
  const pay = page.pay.bind(page);
  page.pay = () => (settled = pay());
  page.onLoad(values);
  return { page, settled: Promise.resolve().then(() => settled) };
}
