// Stand-ins for the Alipay client on the customer's phone, which no test can run: what
// AlipayJSBridge.call('tradePay', { tradeNO }) does in the Alipay app (POST /pay/alipay/tradepay) and what the Alipay
// App SDK does with an APP order string (POST /pay/alipay/app). They answer with the result codes the real ones give.

import { formatYuan } from '../../../shared/money/index.ts';
import { formatBeijingTime, parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { signResponse, verifyParams } from '../../../bff/channels/alipay/crypto.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { lateExpiryFor } from './gateway.ts';
import { alipayJson, isFailure, successBody } from './protocol.ts';
import { parseBizContent, payTermsOf } from './terms.ts';
import type { AlipayTrades } from './trades.ts';

/**
 * tradePay's resultCode (my.tradePay docs, AlipayDocs/open-docs): 9000 "订单处理成功", 6001 "用户中途取消", 4000
 * "订单处理失败" (e.g. a tradeNO that is not a trade_no from alipay.trade.create). A 9000 is not proof of payment;
 * the notification and alipay.trade.query are.
 */
export function tradePay(trades: AlipayTrades, request: { readonly tradeNO?: unknown; readonly cancel?: unknown }, paid: (order: SandboxOrder) => void): { resultCode: '9000' | '6001' | '4000' } {
  const order = typeof request.tradeNO === 'string' ? trades.byTradeNo(request.tradeNO) : undefined;
  if (!order || order.product !== 'alipay.trade.create' || order.status !== 'pending') return { resultCode: '4000' };
  // The customer leaves the payment sheet: the trade waits, as after any unfinished attempt.
  if (request.cancel === true) return { resultCode: '6001' };
  if (!trades.pay(order)) return { resultCode: '4000' };
  paid(order);
  return { resultCode: '9000' };
}

export interface AppPayResult {
  /** 9000 paid, 6001 cancelled by the customer, 4000 failed (the App SDK's resultStatus values). */
  readonly resultStatus: '9000' | '6001' | '4000';
  readonly memo: string;
  /** On 9000, the signed alipay_trade_app_pay_response the SDK hands back, as a JSON string. */
  readonly result: string;
}

const failed = (memo: string): AppPayResult => ({ resultStatus: '4000', memo, result: '' });

/**
 * The App SDK takes the order string to Alipay, which checks it like any signed request (the app's public key over
 * every parameter except sign, §2.1), creates the trade (or finds the one this out_trade_no already has) and shows the
 * payment sheet; here the customer pays at once unless `cancel` is set.
 */
export function appPay(context: SandboxContext, trades: AlipayTrades, request: { readonly orderString?: unknown; readonly cancel?: unknown }, paid: (order: SandboxOrder) => void): AppPayResult {
  if (typeof request.orderString !== 'string') return failed('orderString is missing');
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(request.orderString)) {
    if (Object.hasOwn(params, key) && params[key] !== value) return failed(`${key} is given twice`);
    params[key] = value;
  }
  const alipay = context.secrets.alipay;
  if (params.app_id !== alipay.appId) return failed('isv.invalid-app-id: 无效的AppID参数');
  if (params.method !== 'alipay.trade.app.pay') return failed('isv.invalid-method: the order string is not alipay.trade.app.pay');
  if (params.sign_type !== 'RSA2' || params.charset?.toLowerCase() !== 'utf-8' || params.version !== '1.0' || !parseBeijingTime(params.timestamp)) {
    return failed('isv.invalid-parameter: sign_type RSA2, charset utf-8, version 1.0 and a yyyy-MM-dd HH:mm:ss timestamp are required');
  }
  if (!verifyParams(params, alipay.appPublicKey)) return failed('isv.invalid-signature: 验签出错');
  const biz = parseBizContent(params.biz_content);
  if (isFailure(biz)) return failed(`${biz.subCode}: ${biz.subMsg}`);
  const terms = payTermsOf(biz, 'alipay.trade.app.pay', trades.now(), { lateExpiry: lateExpiryFor(biz, { context }) });
  if (isFailure(terms)) return failed(`${terms.subCode}: ${terms.subMsg}`);
  const order = trades.open('alipay.trade.app.pay', terms, { notifyUrl: params.notify_url, visible: true });
  if (isFailure(order)) return failed(`${order.subCode}: ${order.subMsg}`);
  if (request.cancel === true) return { resultStatus: '6001', memo: '用户中途取消', result: '' };
  if (!trades.pay(order)) return failed('ACQ.TRADE_HAS_CLOSE: 交易已经关闭');
  paid(order);
  const response = successBody({
    app_id: alipay.appId,
    auth_app_id: alipay.appId,
    charset: 'utf-8',
    timestamp: formatBeijingTime(trades.now()),
    out_trade_no: order.key,
    total_amount: formatYuan(order.amount),
    trade_no: order.tradeNo,
    seller_id: trades.sellerId,
  });
  // The SDK's result is the signed response followed by its sign_type: {"alipay_trade_app_pay_response":{…},"sign":"…","sign_type":"RSA2"}.
  const signed = signResponse('alipay_trade_app_pay_response', alipayJson(response), alipay.alipayPrivateKey);
  return { resultStatus: '9000', memo: '', result: `${signed.slice(0, -1)},"sign_type":"RSA2"}` };
}
