// The customer's pages of the UnionPay sandbox gateway: the pay page a posted frontTransReq form lands on, and
// what follows it (paid, with the front notification to take back to the merchant; failed; abandoned; refused).
// Plain HTML forms, no scripts (pages.ts).

import type { SandboxOrder } from '../order-book.ts';
import { customerButtons, formatFen, html, page } from '../pages.ts';
import type { Rejection } from './messages.ts';

export function gatewayPath(orderId: string): string {
  return `/pay/unionpay/gateway/${encodeURIComponent(orderId)}`;
}

export function gatewayPage(order: SandboxOrder): string {
  return page(
    '银联在线支付 UnionPay',
    html`<div class="card"><h1>银联在线支付</h1>
<p>商户 <code>${order.merchant}</code> · 订单 <code>${order.key}</code></p>
<p class="amount">${formatFen(order.amount)}</p>
<p>${order.product === 'wap' ? 'Mobile gateway (channelType 08)' : 'Online gateway (channelType 07)'}${
      order.expiresAt ? html` · payable until <code>${order.expiresAt}</code>` : ''
    }</p>
${customerButtons(gatewayPath(order.key))}</div>`,
  );
}

/**
 * After payment the customer goes back with the front notification (§3.3): a form whose button posts the signed
 * fields to frontUrl. The gateway auto-submits it; the sandbox asks for a click so no script is needed.
 */
export function paidPage(order: SandboxOrder, frontFields: Record<string, string>): string {
  const inputs = Object.entries(frontFields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return page(
    '支付成功',
    html`<div class="card"><h1>支付成功</h1>
<p class="amount">${formatFen(order.amount)}</p>
<form method="post" action="${order.returnUrl ?? ''}">
${inputs}
<button class="primary" type="submit">返回商户 Return to the merchant</button>
</form></div>`,
  );
}

export function outcomePage(order: SandboxOrder, title: string, detail: string): string {
  return page(title, html`<div class="card"><h1>${title}</h1><p>${detail}</p><p>订单 <code>${order.key}</code> · ${formatFen(order.amount)}</p></div>`);
}

/** A refused frontTransReq: the gateway shows the code and message instead of a pay page. */
export function refusedPage(rejection: Rejection): string {
  return page(
    '交易失败',
    html`<div class="card"><h1>交易失败</h1><p>应答码 <code>${rejection.respCode}</code></p><p>${rejection.respMsg}</p></div>`,
  );
}
