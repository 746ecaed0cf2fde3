// The customer-facing Alipay pages of the sandbox: the cashier a page/WAP pay request opens, the phone cashier
// behind a face-to-face QR code, the error page the gateway shows a bad browser request, and what the pay / fail /
// abandon buttons do. Plain server-rendered HTML (pages.ts), every value escaped.

import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import type { SandboxOrder } from '../order-book.ts';
import { customerButtons, formatFen, html, page, type Html } from '../pages.ts';
import type { Failure } from './protocol.ts';
import { tradeStatusOf, type AlipayTrades } from './trades.ts';

const TITLES: Record<string, string> = {
  'alipay.trade.page.pay': '支付宝 · 电脑网站收银台',
  'alipay.trade.wap.pay': '支付宝 · 手机网站收银台',
  'alipay.trade.precreate': '支付宝 · 扫码付款',
  'alipay.trade.create': '支付宝 · 付款',
  'alipay.trade.app.pay': '支付宝 · APP 付款',
};

/** Where the cashier's buttons post to. */
export function cashierAction(order: SandboxOrder): string {
  return `/pay/alipay/cashier/${order.tradeNo}`;
}

function huabeiLine(order: SandboxOrder): Html | string {
  const periods = order.details.hb_fq_num;
  if (!periods) return '';
  const bearer = order.details.hb_fq_seller_percent === '100' ? '商家' : '买家';
  return html`<p>花呗分期 <strong>${periods} 期</strong>，分期手续费由${bearer}承担 (hb_fq_num=${periods}, hb_fq_seller_percent=${order.details.hb_fq_seller_percent ?? ''})</p>`;
}

export function cashierPage(order: SandboxOrder, notice?: string): string {
  const disabled = order.details.disable_pay_channels;
  return page(
    TITLES[order.product] ?? '支付宝',
    html`<div class="card">
<h1>${TITLES[order.product] ?? '支付宝'}</h1>
<p>${order.description}</p>
<p class="amount">${formatFen(order.amount)}</p>
${huabeiLine(order)}
${disabled ? html`<p>不可用的付款方式: <code>${disabled}</code></p>` : ''}
${notice ? html`<p class="banner">${notice}</p>` : ''}
<p>商户订单号 <code>${order.key}</code><br>支付宝交易号 <code>${order.tradeNo}</code><br>请在 ${formatBeijingTime(new Date(order.expiresAt ?? order.createdAt))} (北京时间) 前付款</p>
${customerButtons(cashierAction(order))}
</div>`,
  );
}

/** The trade can no longer be paid here: say why, as Alipay's pages do. */
export function statusPage(order: SandboxOrder): string {
  const status = tradeStatusOf(order);
  const text = status === 'TRADE_SUCCESS' ? '交易已支付' : status === 'TRADE_CLOSED' ? '交易已关闭' : '等待付款';
  return page(
    '支付宝',
    html`<div class="card"><h1>${text}</h1><p>${order.description}</p><p class="amount">${formatFen(order.amount)}</p><p>trade_status <code>${status}</code></p></div>`,
  );
}

/** The page the gateway shows a browser whose pay request it refuses ("错误代码 invalid-signature" on Alipay's). */
export function errorPage(refusal: Failure): string {
  return page(
    '支付宝 - 网站支付出错',
    html`<div class="card"><h1>支付请求出错</h1><p>错误代码 <code>${refusal.subCode}</code> (${refusal.code})</p><p>${refusal.subMsg}</p></div>`,
  );
}

export function abandonedPage(order: SandboxOrder): string {
  return page(
    '支付宝',
    html`<div class="card"><h1>您已离开收银台</h1><p>订单仍等待付款 (<code>${tradeStatusOf(order)}</code>)，${formatBeijingTime(new Date(order.expiresAt ?? order.createdAt))} 后关闭。</p></div>`,
  );
}

export function paidPage(order: SandboxOrder): string {
  return page('支付宝', html`<div class="card"><h1>支付成功</h1><p>${order.description}</p><p class="amount">${formatFen(order.amount)}</p></div>`);
}

export type CashierOutcome = { readonly kind: 'page'; readonly html: string } | { readonly kind: 'redirect'; readonly url: string };

/**
 * What the cashier's buttons do. Pay: the trade succeeds, the notification goes out, and a page/WAP customer is sent
 * to return_url with the signed return parameters. Fail: the attempt fails and the trade waits for another try.
 * Abandon: nothing changes at Alipay.
 */
export function cashierOutcome(
  trades: AlipayTrades,
  order: SandboxOrder,
  outcome: string,
  effects: { readonly paid: (order: SandboxOrder) => void; readonly returnUrl: (order: SandboxOrder) => string | undefined },
): CashierOutcome {
  if (outcome === 'pay') {
    if (!trades.pay(order)) return { kind: 'page', html: statusPage(order) };
    effects.paid(order);
    const url = effects.returnUrl(order);
    return url ? { kind: 'redirect', url } : { kind: 'page', html: paidPage(order) };
  }
  if (outcome === 'fail') {
    if (!trades.fail(order)) return { kind: 'page', html: statusPage(order) };
    return { kind: 'page', html: cashierPage(order, `支付失败 (ACQ.PAYMENT_FAIL)，请换一种付款方式重试。第 ${order.details.failures ?? '1'} 次失败。`) };
  }
  return { kind: 'page', html: tradeStatusOf(order) === 'WAIT_BUYER_PAY' ? abandonedPage(order) : statusPage(order) };
}
