// The shop's pages, rendered on the server: plain HTML and forms, every value escaped, scripts only by nonce (the
// checkout's widget and the order page's live view). Amounts are integer fen until Intl formats them here.

import { formatYuan } from '../../shared/money/index.ts';
import { html, type Html } from '../sandbox/pages.ts';
import { TEAS, type Cart } from './catalog.ts';
import { CUP } from './assets.ts';
import { LOCALES, channelName, dateTime, money, time, type Locale, type Translate } from './i18n.ts';
import { refundableAmount, refundedAmount, type ShopOrder, type ShopOrderStatus, type ShopRefund } from './store.ts';

export interface PageContext {
  readonly locale: Locale;
  readonly t: Translate;
  readonly nonce: string;
  readonly cartCount: number;
  /** The path the language switch comes back to. */
  readonly path: string;
  readonly sandboxUrl: string;
}

type Section = 'teas' | 'cart' | 'orders' | 'reconciliation' | 'none';

export function layout(ctx: PageContext, title: string, section: Section, body: Html, scripts: Html = html``): string {
  const nav = (href: string, key: Section, label: string, extra: Html | string = '') =>
    html`<a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}${extra}</a>`;
  return `<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html`${title} — ${ctx.t('shopName')}`.html}</title>
<link rel="stylesheet" href="/shop/shop.css">
<link rel="icon" href="/shop/icon.svg" type="image/svg+xml">
</head>
<body>
${
  html`<header class="top"><div class="bar">
<a class="brand" href="/"><svg viewBox="0 0 32 32" aria-hidden="true" width="28" height="28">${{ html: CUP }}</svg>${ctx.t('shopName')}</a>
<nav aria-label="${ctx.t('shopName')}">${nav('/', 'teas', ctx.t('navTeas'))}${nav('/cart', 'cart', ctx.t('navCart'), ctx.cartCount > 0 ? html` <span class="count" data-testid="cart-count">${ctx.cartCount}</span>` : '')}${nav('/orders', 'orders', ctx.t('navOrders'))}${nav('/reconciliation', 'reconciliation', ctx.t('navReconciliation'))}</nav>
<span class="langs" aria-label="${ctx.t('language')}">${LOCALES.map(
    (locale) => html`<a href="/lang/${locale}?back=${encodeURIComponent(ctx.path)}" lang="${locale}"${locale === ctx.locale ? html` aria-current="true"` : ''}>${locale === 'en' ? 'EN' : '中文'}</a>`,
  )}</span>
</div></header>
<main>${body}</main>
<footer><p>${ctx.t('footer')} <a href="${ctx.sandboxUrl}/">${ctx.t('sandboxLink')}</a></p></footer>
${scripts}`.html
}
</body>
</html>`;
}

function leaf(colour: string): Html {
  return html`<svg class="leaf" viewBox="0 0 64 64" aria-hidden="true"><circle cx="32" cy="32" r="30" fill="#f1f5ef"/><path d="M32 8C15 20 12 40 32 56C52 40 49 20 32 8Z" fill="${colour}"/><path d="M32 14V52M32 28l-8-6M32 36l9-7M32 44l-7-5" stroke="#ffffffaa" stroke-width="2" fill="none"/></svg>`;
}

export function productsPage(ctx: PageContext, added: string | undefined): string {
  const { t, locale } = ctx;
  const addedTea = TEAS.find((tea) => tea.id === added);
  return layout(
    ctx,
    t('teasTitle'),
    'teas',
    html`<h1>${t('teasTitle')}</h1><p class="lead">${t('teasIntro')}</p>
${addedTea ? html`<p class="notice" role="status">${t('added')} ${addedTea.name[locale]}. <a href="/cart">${t('viewCart')}</a></p>` : ''}
<ul class="teas">${TEAS.map(
      (tea) => html`<li class="card tea" data-tea="${tea.id}">${leaf(tea.colour)}
<h2>${tea.name[locale]}</h2><p class="note">${tea.note[locale]}</p>
<p class="price">${money(tea.price, locale)}</p>
<form method="post" action="/cart/add"><input type="hidden" name="tea" value="${tea.id}"><button class="primary" type="submit" aria-label="${t('addToCart')}: ${tea.name[locale]}">${t('addToCart')}</button></form></li>`,
    )}</ul>`,
  );
}

export function cartPage(ctx: PageContext, cart: Cart, notice?: string): string {
  const { t, locale } = ctx;
  const body =
    cart.lines.length === 0
      ? html`<p>${t('cartEmpty')}</p><p><a class="button" href="/">${t('browseTeas')}</a></p>`
      : html`<form method="post" action="/cart/update" class="card">
<table class="cart"><thead><tr><th scope="col">${t('tea')}</th><th scope="col">${t('unitPrice')}</th><th scope="col">${t('quantity')}</th><th scope="col" class="num">${t('lineTotal')}</th><th scope="col"><span class="sr">${t('remove')}</span></th></tr></thead>
<tbody>${cart.lines.map(
          (line) => html`<tr data-line="${line.tea.id}"><th scope="row">${line.tea.name[locale]}</th><td>${money(line.tea.price, locale)}</td>
<td><input type="number" name="quantity.${line.tea.id}" value="${line.quantity}" min="0" max="20" inputmode="numeric" aria-label="${t('quantityOf', { name: line.tea.name[locale] })}"></td>
<td class="num" data-testid="line-amount">${money(line.amount, locale)}</td>
<td><button type="submit" name="remove" value="${line.tea.id}" class="link" aria-label="${t('removeItem', { name: line.tea.name[locale] })}">${t('remove')}</button></td></tr>`,
        )}</tbody>
<tfoot><tr><th scope="row" colspan="3">${t('total')} <small>${t('items', { count: cart.count })}</small></th><td class="num total" data-testid="cart-total">${money(cart.total, locale)}</td><td></td></tr></tfoot></table>
<p class="actions"><button type="submit">${t('updateCart')}</button></p>
</form>
<form method="post" action="/checkout" class="checkout-form"><button class="primary large" type="submit">${t('checkout')} · ${money(cart.total, locale)}</button></form>`;
  return layout(ctx, t('cartTitle'), 'cart', html`<h1>${t('cartTitle')}</h1>${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}${body}`);
}

function summary(ctx: PageContext, order: ShopOrder): Html {
  const { t, locale } = ctx;
  return html`<table class="summary"><tbody>${order.lines.map(
    (line) => html`<tr><th scope="row">${line.name} <small>× ${line.quantity}</small></th><td class="num">${money(line.amount, locale)}</td></tr>`,
  )}</tbody><tfoot><tr><th scope="row">${t('total')}</th><td class="num total" data-testid="order-total">${money(order.total, locale)}</td></tr></tfoot></table>`;
}

export interface CheckoutView {
  readonly order: ShopOrder;
  readonly session: string;
  readonly widgetUrl: string;
}

export function checkoutPage(ctx: PageContext, view: CheckoutView): string {
  const { t } = ctx;
  const { order } = view;
  return layout(
    ctx,
    t('checkoutTitle', { no: order.no }),
    'cart',
    html`<h1>${t('checkoutTitle', { no: order.no })}</h1>
<div class="checkout"><section class="card" aria-labelledby="summary-title"><h2 id="summary-title">${t('orderSummary')}</h2>${summary(ctx, order)}</section>
<section class="card pay" aria-label="${t('payWith')}"><div id="cashier" data-session="${view.session}" data-order="${order.no}" data-locale="${ctx.locale}"></div></section></div>`,
    html`<script src="${view.widgetUrl}/cashier.js" defer nonce="${ctx.nonce}"></script>
<script src="/shop/checkout.js" defer nonce="${ctx.nonce}"></script>`,
  );
}

export function messagePage(ctx: PageContext, title: string, message: string, action?: { href: string; label: string; post?: boolean }): string {
  return layout(
    ctx,
    title,
    'none',
    html`<h1>${title}</h1><p class="notice" role="alert">${message}</p>${
      action
        ? action.post
          ? html`<form method="post" action="${action.href}"><button class="primary" type="submit">${action.label}</button></form>`
          : html`<p><a class="button" href="${action.href}">${action.label}</a></p>`
        : ''
    }`,
  );
}

function statusBadge(t: Translate, status: ShopOrderStatus): Html {
  return html`<span class="badge ${status}" data-status="${status}">${t(`status_${status}` as const)}</span>`;
}

export function ordersPage(ctx: PageContext, orders: readonly ShopOrder[]): string {
  const { t, locale } = ctx;
  return layout(
    ctx,
    t('ordersTitle'),
    'orders',
    html`<h1>${t('ordersTitle')}</h1>${
      orders.length === 0
        ? html`<p>${t('ordersEmpty')}</p>`
        : html`<div class="card scroll"><table class="orders"><thead><tr><th scope="col">${t('orderNo')}</th><th scope="col">${t('created')}</th><th scope="col" class="num">${t('total')}</th><th scope="col">${t('status')}</th><th scope="col" class="num">${t('refunded')}</th><th scope="col" class="num">${t('webhooks')}</th></tr></thead>
<tbody>${orders.map(
            (order) => html`<tr data-order="${order.no}"><td><a href="/orders/${order.no}">${order.no}</a></td><td>${dateTime(order.createdAt, locale)}</td><td class="num">${money(order.total, locale)}</td>
<td>${statusBadge(t, order.status)}</td><td class="num">${refundedAmount(order) > 0 ? money(refundedAmount(order), locale) : '—'}</td><td class="num">${order.webhooks.length}</td></tr>`,
          )}</tbody></table></div>`
    }`,
  );
}

/** The order page but its refund form: the part that updates by itself (the live view asks for it by revision). */
export function orderLive(ctx: PageContext, order: ShopOrder): Html {
  const { t, locale } = ctx;
  const fees = order.fees;
  return html`<div class="order-grid"><section class="card" aria-labelledby="summary-title"><h2 id="summary-title">${t('orderSummary')}</h2>${summary(ctx, order)}
${order.status === 'open' || order.status === 'paying' ? html`<p><a class="button primary" href="/checkout/${order.no}">${t('payNow')}</a></p>` : ''}</section>
<section class="card"><div class="status-line">${statusBadge(t, order.status)}
<p role="status" data-testid="order-status">${
    order.status === 'succeeded'
      ? t('thanks')
      : order.status === 'open'
        ? t('notPaid')
        : order.status === 'paying'
          ? t('waiting')
          : t('notPayable', { status: t(`status_${order.status}` as const) })
  }</p></div>
${order.paidAt ? html`<p>${t('paidWith', { channel: channelName(order.channel, locale), at: dateTime(order.paidAt, locale) })}</p>` : ''}
<dl class="facts">
${order.cashierOrderId ? html`<dt>${t('cashierOrder')}</dt><dd><code>${order.cashierOrderId}</code></dd>` : ''}
${order.channelOrderNo ? html`<dt>${t('channelOrderNo')}</dt><dd><code data-testid="channel-order-no">${order.channelOrderNo}</code></dd>` : ''}
${refundedAmount(order) > 0 ? html`<dt>${t('refunded')}</dt><dd data-testid="amount-refunded">${money(refundedAmount(order), locale)}</dd>` : ''}
${
  fees
    ? html`<dt>${t('fees')}</dt><dd data-testid="fees">${t('feeCharged')} ${money(fees.charged, locale)} · ${t('feeReturned')} <span data-testid="fee-returned">${money(fees.returned, locale)}</span> · ${t('feeKept')} ${money(fees.kept, locale)}</dd>`
    : ''
}
</dl></section></div>
<section class="card" aria-labelledby="refunds-title"><h2 id="refunds-title">${t('refundsTitle')}</h2>${
    order.refunds.length === 0
      ? html`<p>${t('noRefunds')}</p>`
      : html`<div class="scroll"><table class="refunds"><thead><tr><th scope="col">${t('refundNo')}</th><th scope="col" class="num">${t('amount')}</th><th scope="col">${t('reason')}</th><th scope="col">${t('status')}</th><th scope="col" class="num">${t('feeReturnedColumn')}</th></tr></thead>
<tbody>${order.refunds.map((refund) => refundRow(ctx, order, refund))}</tbody></table></div>`
  }</section>
<section class="card" aria-labelledby="webhooks-title"><h2 id="webhooks-title">${t('webhooksTitle')}</h2>${
    order.webhooks.length === 0
      ? html`<p>${t('webhooksNone')}</p>`
      : html`<div class="scroll"><table class="webhooks"><thead><tr><th scope="col">${t('event')}</th><th scope="col">${t('version')}</th><th scope="col" class="wide">${t('signedAt')}</th><th scope="col">${t('receivedAt')}</th></tr></thead>
<tbody>${order.webhooks.map(
          (receipt) => html`<tr data-event="${receipt.type}"><td><strong>${receipt.type}</strong> <span class="ok">✓ ${t('verified')}</span><br><code>${receipt.eventId}</code></td><td>${receipt.objectType} v${receipt.objectVersion}</td>
<td class="wide">${time(new Date(receipt.signedAt * 1000).toISOString(), locale)}</td><td>${time(receipt.receivedAt, locale)}</td></tr>`,
        )}</tbody></table></div>`
  }</section>`;
}

function refundRow(ctx: PageContext, order: ShopOrder, refund: ShopRefund): Html {
  const { t, locale } = ctx;
  return html`<tr data-refund="${refund.merchantRefundNo}"><td><code>${refund.merchantRefundNo}</code>${refund.origin === 'merchant' ? '' : html`<br><small>${refund.origin}</small>`}</td>
<td class="num">${money(refund.amount, locale)}</td><td>${refund.reason ?? ''}</td>
<td><span class="badge refund-${refund.status}" data-status="${refund.status}">${t(`refund_${refund.status}` as const)}</span>${refund.failure ? html`<br><small>${refund.failure}</small>` : ''}${
    refund.status === 'requested'
      ? html`<form method="post" action="/orders/${order.no}/refunds"><input type="hidden" name="merchantRefundNo" value="${refund.merchantRefundNo}"><input type="hidden" name="amount" value="${formatYuan(refund.amount)}"><input type="hidden" name="reason" value="${refund.reason ?? ''}"><button type="submit" class="link">${t('retryRefund')}</button></form>`
      : ''
  }</td>
<td class="num" data-testid="refund-fee-returned">${refund.feeReturned === undefined || refund.feeReturned === null ? '—' : money(refund.feeReturned, locale)}</td></tr>`;
}

export interface OrderView {
  readonly order: ShopOrder;
  readonly notice?: { readonly text: string; readonly kind: 'status' | 'alert' } | undefined;
  /** The refund number the form carries: sending the same form twice is one refund. */
  readonly nextRefundNo: string;
}

export function orderPage(ctx: PageContext, view: OrderView): string {
  const { t, locale } = ctx;
  const { order } = view;
  const refundable = refundableAmount(order);
  return layout(
    ctx,
    t('orderTitle', { no: order.no }),
    'orders',
    html`<h1>${t('orderTitle', { no: order.no })}</h1>
${view.notice ? html`<p class="notice ${view.notice.kind}" role="${view.notice.kind}">${view.notice.text}</p>` : ''}
<div class="live" id="live" data-order="${order.no}" data-revision="${order.revision}">${orderLive(ctx, order)}</div>
<section class="card" id="refund" aria-labelledby="refund-title"${refundable > 0 ? '' : html` hidden`}><h2 id="refund-title">${t('refundTitle')}</h2>
<p data-testid="refundable">${t('refundable', { amount: money(refundable, locale) })}</p>
<form method="post" action="/orders/${order.no}/refunds" class="refund-form">
<input type="hidden" name="merchantRefundNo" value="${view.nextRefundNo}">
<label>${t('refundAmount')} <input name="amount" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,2})?" required size="10" placeholder="${formatYuan(Math.min(refundable, 1000) || 0)}"></label>
<label>${t('refundReason')} <input name="reason" maxlength="80" size="24"></label>
<button class="primary" type="submit">${t('refundSubmit')}</button></form></section>`,
    html`<script src="/shop/order.js" defer nonce="${ctx.nonce}"></script>`,
  );
}
