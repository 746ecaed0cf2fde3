// The Alipay sandbox: a stand-in for Alipay's OpenAPI 2.0 gateway at its real path (/gateway.do), its cashier pages
// and the Alipay client on the customer's phone, with signed answers, notifications and return parameters that the
// BFF's adapter and the official alipay-sdk accept unchanged (channel-protocols.md §2, §5.1, §7).
//
// Deviations from real Alipay, each deliberate:
// - precreate's qr_code is an http URL of the sandbox's own scan page, not https://qr.alipay.com/… (gateway.ts).
// - Closing a precreate trade nobody scanned answers 10000 and the trade reads TRADE_CLOSED; real Alipay answers
//   40004 ACQ.TRADE_NOT_EXIST yet refuses the later scan (3P, see trades.ts). The shared contract suite asks every
//   channel that a confirmed close reads back as closed; the adapter accepts either answer.
// - alipay.trade.create is accepted without buyer_id / buyer_open_id (the sandbox has no buyer accounts); Alipay
//   wants one of them (see the adapter's buyerOf).
// - The timestamp of a page/WAP request the customer's browser carries is checked for its format only, not its age.
// - UTF-8 only (Alipay also takes GBK); RSA2 in public-key mode only (no RSA, no certificate mode).
// - Refunds are done the moment alipay.trade.refund answers, so the refund query knows them at once; Alipay asks
//   merchants to wait 10 s before querying (§2.8). No balance is kept: ACQ.SELLER_BALANCE_NOT_ENOUGH comes only as a
//   scripted fault.
// - Two refunds of one trade less than 3 s apart (a [3P] rule) are refused with ACQ.SYSTEM_ERROR: Alipay publishes no
//   code for it (trades.ts).
// - When the refund window ends the trade reads TRADE_FINISHED, but no TRADE_FINISHED notification is sent (the
//   sandbox clock jumps; nothing fires on the jump). An unpaid trade that closes is not notified either.
// - Bills: daily trade bills only, rendered when downloaded (bills.ts); no signcustomer or monthly bills.

import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { SandboxOrder } from '../order-book.ts';
import { html, page } from '../pages.ts';
import type { ChannelSandbox, SandboxContext } from '../types.ts';
import { cashierOutcome, cashierPage, statusPage } from './cashier.ts';
import { AlipayBills, DOWNLOAD_PATH, alipayBillEntries } from './bills.ts';
import { appPay, tradePay } from './client.ts';
import { GatewayFaults, handleGateway } from './gateway.ts';
import { notifyPaid, notifyRefunded, returnParams, type NotifyDeps } from './notify.ts';
import { AlipayTrades } from './trades.ts';

export type { GatewayFault } from './gateway.ts';

export interface AlipaySandbox extends ChannelSandbox {
  /** Alipay-side failures to script for the next call of a method (tests, the demo's fault buttons). */
  readonly faults: GatewayFaults;
  readonly trades: AlipayTrades;
}

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await request.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function alipaySandbox(context: SandboxContext): AlipaySandbox {
  const trades = new AlipayTrades(context);
  const faults = new GatewayFaults();
  const billEntries = () => alipayBillEntries(context, trades);
  const bills = new AlipayBills(context, trades, billEntries);
  const notify: NotifyDeps = { context, trades, foreignKey: () => faults.foreignKey() };
  const paid = (order: SandboxOrder) => notifyPaid(notify, order);
  const returnUrl = (order: SandboxOrder): string | undefined => {
    if (!order.returnUrl) return undefined;
    // Appended to whatever query the merchant's return_url already has.
    const url = new URL(order.returnUrl);
    for (const [key, value] of Object.entries(returnParams(context, trades, order))) url.searchParams.append(key, value);
    return url.toString();
  };

  const app = new Hono()
    .on(['GET', 'POST'], '/gateway.do', (c) => handleGateway(c, { context, trades, faults, bills, refunded: (order, refund) => notifyRefunded(notify, order, refund) }))
    // The short-lived link alipay.data.dataservice.bill.downloadurl.query hands out (bills.ts).
    .get(DOWNLOAD_PATH, (c) => bills.download(c))
    // The phone cashier behind a precreate QR code: opening it is the scan, which makes the trade exist.
    .get('/pay/alipay/qr/:code', (c) => {
      const order = trades.byQrCode(c.req.param('code'));
      if (!order) return c.html(statusPageFor404(), 404);
      trades.reveal(order);
      return c.html(order.status === 'pending' ? cashierPage(order) : statusPage(order));
    })
    .post('/pay/alipay/cashier/:tradeNo', async (c) => {
      const order = trades.byTradeNo(c.req.param('tradeNo'));
      if (!order) return c.html(statusPageFor404(), 404);
      const form = await c.req.parseBody();
      const outcome = cashierOutcome(trades, order, typeof form.outcome === 'string' ? form.outcome : '', { paid, returnUrl });
      return outcome.kind === 'redirect' ? c.redirect(outcome.url, 303) : c.html(outcome.html);
    })
    // The two client stand-ins are called from the merchant's page (the widget's test double of the bridge / SDK),
    // another origin: they carry no credentials and change only sandbox state, so any origin may call them.
    .use('/pay/alipay/tradepay', cors())
    .use('/pay/alipay/app', cors())
    // Stand-in for AlipayJSBridge.call('tradePay', { tradeNO }) in the Alipay client (inapp product).
    .post('/pay/alipay/tradepay', async (c) => c.json(tradePay(trades, await jsonBody(c.req.raw), paid)))
    // Stand-in for the Alipay App SDK paying an APP order string (app product).
    .post('/pay/alipay/app', async (c) => c.json(appPay(context, trades, await jsonBody(c.req.raw), paid)));

  const existing = (key: string): SandboxOrder => {
    const order = trades.get(key);
    if (!order) throw new Error(`alipay has no trade ${key}`);
    return order;
  };

  return {
    id: 'alipay',
    app,
    faults,
    trades,
    async pay(key) {
      const order = existing(key);
      if (order.status === 'paid') return;
      if (!trades.pay(order)) throw new Error(`alipay trade ${key} is ${order.status} and cannot be paid`);
      paid(order);
    },
    async fail(key) {
      // The trade stays WAIT_BUYER_PAY (see AlipayTrades.fail).
      const order = existing(key);
      if (!trades.fail(order)) throw new Error(`alipay trade ${key} is ${order.status}; only a waiting trade can fail an attempt`);
    },
    async abandon(key) {
      // The customer walks away: nothing happens at Alipay until time_expire closes the trade.
      existing(key);
    },
    billEntries,
  };
}

function statusPageFor404(): string {
  return page('支付宝', html`<div class="card"><h1>二维码或交易不存在</h1></div>`);
}
