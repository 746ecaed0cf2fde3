// What Alipay sends back about a trade: the async trade_status_sync notifications POSTed to notify_url — the payment,
// and each refund on the same URL — retried on Alipay's ladder until the body is exactly "success"
// (channel-protocols.md §2.3), and the signed sync-return parameters added to return_url when the cashier sends the
// customer back. The order's fault script may have a notification forged or report another amount.

import { RULEBOOK, UNKNOWN } from '../../../shared/channels/index.ts';
import { formatYuan } from '../../../shared/money/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { signNotify } from '../../../bff/channels/alipay/crypto.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { SANDBOX_BUYER, type AlipayTrades, type SandboxRefund } from './trades.ts';

/**
 * How long the sandbox waits for the merchant's answer. Alipay publishes no figure (RULEBOOK.alipay.notification
 * .deadlineSeconds is unknown); a merchant that takes longer is treated as not having answered, and retried.
 */
const ANSWER_TIMEOUT_SECONDS = 10;

/** The sandbox's choice of how the buyer paid: Huabei for an installment plan, the Alipay balance otherwise. */
function fundBillList(order: SandboxOrder, amount: string): string {
  const fundChannel = order.details.hb_fq_num ? 'PCREDIT' : 'ALIPAYACCOUNT';
  return JSON.stringify([{ amount, fundChannel }]);
}

const defined = (fields: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));

/** What every trade_status_sync notification of the trade carries (§2.3, vector A1). */
function commonFields(trades: AlipayTrades, order: SandboxOrder, notifyTime: Date, notifyId: string | undefined): Record<string, string | undefined> {
  return {
    notify_time: formatBeijingTime(notifyTime),
    notify_type: 'trade_status_sync',
    // The same on every retry of this notification (§2.3), so the merchant can de-duplicate on it.
    notify_id: notifyId,
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
    subject: order.description,
    body: order.details.body,
    gmt_create: formatBeijingTime(new Date(order.createdAt)),
    gmt_payment: order.paidAt === undefined ? undefined : formatBeijingTime(new Date(order.paidAt)),
    // Echoed exactly as the merchant sent it (still URL-encoded if they encoded it, §2.6).
    passback_params: order.details.passback_params,
  };
}

/**
 * The trade_status_sync fields of a paid trade, before signing (the keys of §2.3 and vector A1). `amount` (fen)
 * replaces the trade's in every amount field: the changeAmount fault, a wrong figure correctly signed.
 */
export function paidNotificationFields(trades: AlipayTrades, order: SandboxOrder, notifyTime: Date, amount = order.amount): Record<string, string> {
  const yuan = formatYuan(amount);
  return defined({
    ...commonFields(trades, order, notifyTime, order.details.notify_id),
    trade_status: 'TRADE_SUCCESS',
    total_amount: yuan,
    receipt_amount: yuan,
    invoice_amount: yuan,
    buyer_pay_amount: yuan,
    point_amount: '0.00',
    fund_bill_list: fundBillList(order, yuan),
  });
}

/**
 * A refund's notification, on the payment's notify_url (§2.3), shaped like a logged production one: the trade
 * fields, then refund_fee — the trade's refunded total as of this refund ("退款通知中，返回总退款金额") — gmt_refund
 * with milliseconds (Java's "yyyy-MM-dd HH:mm:ss.S", the count unpadded) and out_biz_no = the out_request_no. The
 * refund that empties the trade closes it: TRADE_CLOSED with gmt_close. No receipt or fund fields (the logged one
 * has none). `refundFee` (fen) replaces refund_fee: the changeAmount fault.
 */
export function refundNotificationFields(
  trades: AlipayTrades,
  order: SandboxOrder,
  refund: SandboxRefund,
  notifyTime: Date,
  refundFee = trades.refundedOf(order, refund),
): Record<string, string> {
  const at = new Date(refund.at);
  const closed = trades.refundedOf(order, refund) === order.amount;
  return defined({
    ...commonFields(trades, order, notifyTime, refund.notifyId),
    trade_status: closed ? 'TRADE_CLOSED' : 'TRADE_SUCCESS',
    total_amount: formatYuan(order.amount),
    refund_fee: formatYuan(refundFee),
    gmt_refund: `${formatBeijingTime(at)}.${at.getUTCMilliseconds()}`,
    out_biz_no: refund.outRequestNo,
    gmt_close: closed ? formatBeijingTime(at) : undefined,
  });
}

export interface NotifyDeps {
  readonly context: SandboxContext;
  readonly trades: AlipayTrades;
  /** A private key that is not Alipay's, for the forgeSignature fault. */
  readonly foreignKey: () => string;
}

/** Through the shared notifier on Alipay's ladder: signed as Alipay signs, and, for the fault script, forged. */
function send(deps: NotifyDeps, order: SandboxOrder, fields: () => Record<string, string>): void {
  if (!order.notifyUrl) return;
  const { context } = deps;
  const ladder = RULEBOOK.alipay.notification.retryLadderSeconds;
  const form = (key: string) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    // sign_type is left out of the signed content for trade notifications (§2.3, A1), as signNotify does by default.
    body: new URLSearchParams(signNotify(fields(), key)).toString(),
  });
  context.notifier.send({
    channel: 'alipay',
    orderKey: order.key,
    url: order.notifyUrl,
    // A fresh notify_time and signature per delivery; notify_id stays.
    build: () => form(context.secrets.alipay.alipayPrivateKey),
    // The same fields, signed with a key that is not Alipay's.
    forged: () => form(deps.foreignKey()),
    // 8 deliveries within 25 h: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first (§2.3).
    ladder: ladder === UNKNOWN ? [] : ladder,
    // "程序执行完后必须打印输出“success”…如果商户反馈给支付宝的字符不是 success 这7个字符，支付宝服务器会不断重发通知" (§2.3).
    acknowledged: (_status, body) => body === 'success',
    timeoutSeconds: ANSWER_TIMEOUT_SECONDS,
  });
}

/** Sends the paid notification, if the trade has a notify_url. */
export function notifyPaid(deps: NotifyDeps, order: SandboxOrder): void {
  const changed = () => deps.context.faults.for('alipay', order.key).changeAmount;
  send(deps, order, () => paidNotificationFields(deps.trades, order, deps.context.clock.now(), changed() ?? order.amount));
}

/** Sends a refund's notification to the payment's notify_url (§2.3: refunds have no notify_url of their own). */
export function notifyRefunded(deps: NotifyDeps, order: SandboxOrder, refund: SandboxRefund): void {
  const changed = () => deps.context.faults.for('alipay', order.key).changeAmount;
  send(deps, order, () => refundNotificationFields(deps.trades, order, refund, deps.context.clock.now(), changed() ?? deps.trades.refundedOf(order, refund)));
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
