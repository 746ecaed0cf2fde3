// What Alipay sends back about a paid trade: the async trade_status_sync notification POSTed to notify_url and
// retried on Alipay's ladder until the body is exactly "success" (channel-protocols.md §2.3), and the signed
// sync-return parameters added to return_url when the cashier sends the customer back.

import { RULEBOOK, UNKNOWN } from '../../../shared/channels/index.ts';
import { formatYuan } from '../../../shared/money/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { signNotify } from '../../../bff/channels/alipay/crypto.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { SANDBOX_BUYER, type AlipayTrades } from './trades.ts';

/**
 * How long the sandbox waits for the merchant's answer. Alipay publishes no figure (RULEBOOK.alipay.notification
 * .deadlineSeconds is unknown); a merchant that takes longer is treated as not having answered, and retried.
 */
const ANSWER_TIMEOUT_SECONDS = 10;

/** The sandbox's choice of how the buyer paid: Huabei for an installment plan, the Alipay balance otherwise. */
function fundBillList(order: SandboxOrder): string {
  const fundChannel = order.details.hb_fq_num ? 'PCREDIT' : 'ALIPAYACCOUNT';
  return JSON.stringify([{ amount: formatYuan(order.amount), fundChannel }]);
}

/** The trade_status_sync fields of a paid trade, before signing (the keys of §2.3 and vector A1). */
export function paidNotificationFields(trades: AlipayTrades, order: SandboxOrder, notifyTime: Date): Record<string, string> {
  const amount = formatYuan(order.amount);
  const fields: Record<string, string | undefined> = {
    notify_time: formatBeijingTime(notifyTime),
    notify_type: 'trade_status_sync',
    // The same on every retry of this notification (§2.3), so the merchant can de-duplicate on it.
    notify_id: order.details.notify_id,
    app_id: trades.appId,
    auth_app_id: trades.appId,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: order.tradeNo,
    out_trade_no: order.key,
    buyer_id: order.details.buyer_id,
    buyer_open_id: order.details.buyer_open_id,
    buyer_logon_id: SANDBOX_BUYER.logonId,
    seller_id: trades.sellerId,
    trade_status: 'TRADE_SUCCESS',
    total_amount: amount,
    receipt_amount: amount,
    invoice_amount: amount,
    buyer_pay_amount: amount,
    point_amount: '0.00',
    subject: order.description,
    body: order.details.body,
    gmt_create: formatBeijingTime(new Date(order.createdAt)),
    gmt_payment: formatBeijingTime(new Date(order.paidAt ?? order.createdAt)),
    fund_bill_list: fundBillList(order),
    // Echoed exactly as the merchant sent it (still URL-encoded if they encoded it, §2.6).
    passback_params: order.details.passback_params,
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Sends the paid notification, if the trade has a notify_url, through the shared notifier on Alipay's ladder. */
export function notifyPaid(context: SandboxContext, trades: AlipayTrades, order: SandboxOrder): void {
  if (!order.notifyUrl) return;
  const ladder = RULEBOOK.alipay.notification.retryLadderSeconds;
  context.notifier.send({
    channel: 'alipay',
    orderKey: order.key,
    url: order.notifyUrl,
    // A fresh notify_time and signature per delivery; notify_id stays. sign_type is left out of the signed content
    // for trade notifications (§2.3, A1), as signNotify does by default.
    build: () => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(signNotify(paidNotificationFields(trades, order, context.clock.now()), context.secrets.alipay.alipayPrivateKey)).toString(),
    }),
    // 8 deliveries within 25 h: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first (§2.3).
    ladder: ladder === UNKNOWN ? [] : ladder,
    // "程序执行完后必须打印输出“success”…如果商户反馈给支付宝的字符不是 success 这7个字符，支付宝服务器会不断重发通知" (§2.3).
    acknowledged: (_status, body) => body === 'success',
    timeoutSeconds: ANSWER_TIMEOUT_SECONDS,
  });
}

/**
 * The parameters the cashier adds to return_url after a page/WAP payment ("…?charset=utf-8&out_trade_no=…&method=
 * alipay.trade.page.pay.return&total_amount=…&sign=…&trade_no=…&auth_app_id=…&version=1.0&app_id=…&sign_type=RSA2
 * &seller_id=…&timestamp=…", as merchants log them), signed like a notification: sign and sign_type left out.
 */
export function returnParams(context: SandboxContext, trades: AlipayTrades, order: SandboxOrder): Record<string, string> {
  return {
    ...signNotify(
      {
        charset: 'utf-8',
        out_trade_no: order.key,
        method: `${order.product}.return`,
        total_amount: formatYuan(order.amount),
        trade_no: order.tradeNo,
        auth_app_id: trades.appId,
        version: '1.0',
        app_id: trades.appId,
        sign_type: 'RSA2',
        seller_id: trades.sellerId,
        timestamp: formatBeijingTime(context.clock.now()),
      },
      context.secrets.alipay.alipayPrivateKey,
    ),
  };
}
