// The UnionPay online gateway sandbox (UPACP 5.1.0, signMethod 01) on UnionPay's real paths: the browser's
// frontTransReq form, appTransReq's tn, queryTrans, signed answers and back notifications with UnionPay's retry
// ladder, plus a stand-in for the UnionPay app SDK. Rules: channel-protocols.md §3; choices are noted inline.

import { randomInt } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { parseForm, toForm } from '../../../bff/channels/unionpay/crypto.ts';
import { RULEBOOK, UNKNOWN, clearingDay } from '../../../shared/channels/index.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { ChannelSandbox, SandboxContext } from '../types.ts';
import { gatewayPage, outcomePage, paidPage, refusedPage } from './gateway-pages.ts';
import { CONSUME_APP, CONSUME_FRONT, DECLINED, QUERY, RESP, TIMED_OUT, checkEnvelope, checkFields, checkRequest, echo, rawAnswer, refusal, signAnswer, type Rejection } from './messages.ts';
import { formatBeijingStamp, parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';

const NOTIFY = RULEBOOK.unionpay.notification;
const LADDER: readonly number[] = NOTIFY.retryLadderSeconds === UNKNOWN ? [] : NOTIFY.retryLadderSeconds;
const ACK_TIMEOUT_SECONDS = NOTIFY.deadlineSeconds === UNKNOWN ? 10 : NOTIFY.deadlineSeconds;

export function unionpaySandbox(context: SandboxContext): ChannelSandbox {
  const secrets = context.secrets.unionpay;
  const now = (): Date => context.clock.now();
  const find = (orderId: string): SandboxOrder | undefined => context.orders.get('unionpay', orderId);

  /** An unpaid order whose payTimeout has passed on the channel's clock can no longer be paid (§3.3). */
  function expireIfDue(order: SandboxOrder): SandboxOrder {
    const payTimeout = order.details.payTimeout ? parseBeijingStamp(order.details.payTimeout) : undefined;
    if (order.status === 'pending' && payTimeout && now().getTime() >= payTimeout.getTime()) {
      order.details.origRespCode = TIMED_OUT.respCode;
      order.details.origRespMsg = TIMED_OUT.respMsg;
      context.orders.update(order, { status: 'closed' });
    }
    return order;
  }

  /** The order's outcome fields as notifications and query answers carry them (U3 is a real example). */
  function resultFields(order: SandboxOrder): Record<string, string | undefined> {
    const { details } = order;
    const paid = order.status === 'paid';
    return {
      version: '5.1.0',
      encoding: details.encoding,
      signMethod: '01',
      txnType: '01',
      txnSubType: '01',
      bizType: '000201',
      accessType: '0',
      merId: order.merchant,
      orderId: order.key,
      txnTime: details.txnTime,
      txnAmt: String(order.amount),
      currencyCode: '156',
      reqReserved: details.reqReserved,
      queryId: paid ? order.tradeNo : undefined,
      traceNo: paid ? details.traceNo : undefined,
      traceTime: paid ? details.traceTime : undefined,
      settleAmt: paid ? String(order.amount) : undefined,
      settleCurrencyCode: paid ? '156' : undefined,
      settleDate: paid ? details.settleDate : undefined,
    };
  }

  function notificationFields(order: SandboxOrder): Record<string, string> {
    return signAnswer({ ...resultFields(order), respCode: RESP.success.respCode, respMsg: RESP.success.respMsg }, secrets);
  }

  /**
   * The customer pays: traceNo and traceTime (U3 shows traceTime as the txnTime's MMDDhhmmss), settleDate from
   * the clearing day of this moment by the rulebook's 23:00 cut-off, then the back notification (§3.3).
   */
  function markPaid(order: SandboxOrder): boolean {
    if (expireIfDue(order).status !== 'pending') return false;
    const paidAt = now();
    const day = clearingDay('unionpay', paidAt);
    order.details.traceNo = digits(6);
    order.details.traceTime = (order.details.txnTime ?? formatBeijingStamp(paidAt)).slice(4);
    order.details.settleDate = day === UNKNOWN ? formatBeijingStamp(paidAt).slice(4, 8) : day.slice(5).replace('-', '');
    order.details.origRespCode = RESP.success.respCode;
    order.details.origRespMsg = RESP.success.respMsg;
    context.orders.update(order, { status: 'paid', paidAt: paidAt.toISOString() });
    const body = toForm(notificationFields(order));
    if (order.notifyUrl) {
      context.notifier.send({
        channel: 'unionpay',
        orderKey: order.key,
        url: order.notifyUrl,
        // The same signed message on every delivery; any HTTP 200 acknowledges, the body is ignored (§3.3).
        build: () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, body }),
        ladder: LADDER,
        acknowledged: (status) => status === 200,
        timeoutSeconds: ACK_TIMEOUT_SECONDS,
      });
    }
    return true;
  }

  /**
   * The payment fails. Consumes through the gateway page and the app control are front-type transactions, which
   * UnionPay notifies only on success (§3.3; the official app demo treats the app consume like the gateway's), so
   * the merchant learns of a failure only by querying.
   */
  function markFailed(order: SandboxOrder): boolean {
    if (expireIfDue(order).status !== 'pending') return false;
    order.details.origRespCode = DECLINED.respCode;
    order.details.origRespMsg = DECLINED.respMsg;
    context.orders.update(order, { status: 'failed' });
    return true;
  }

  function newOrder(fields: Record<string, string>, product: 'gateway' | 'wap' | 'app'): SandboxOrder {
    const created = now();
    const payTimeout = fields.payTimeout ? parseBeijingStamp(fields.payTimeout) : undefined;
    const details: Record<string, string> = {
      txnTime: fields.txnTime ?? '',
      encoding: fields.encoding ?? 'UTF-8',
      channelType: fields.channelType ?? '',
      signature: fields.signature ?? '',
    };
    if (fields.payTimeout) details.payTimeout = fields.payTimeout;
    if (fields.reqReserved) details.reqReserved = fields.reqReserved;
    if (product === 'app') details.tn = `${digits(2)}${formatBeijingStamp(created).slice(2)}${digits(7)}`;
    return {
      channel: 'unionpay',
      key: fields.orderId ?? '',
      merchant: fields.merId ?? '',
      product,
      amount: Number(fields.txnAmt),
      currency: 'CNY',
      // A consume carries no description; the control page shows what there is.
      description: `UnionPay ${product} consume`,
      // queryId: 21 digits, like U3's `78` + yyMMddHHmmss + 7 digits.
      tradeNo: `${digits(2)}${formatBeijingStamp(created).slice(2)}${digits(7)}`,
      createdAt: created.toISOString(),
      expiresAt: payTimeout?.toISOString(),
      notifyUrl: fields.backUrl,
      returnUrl: fields.frontUrl,
      status: 'pending',
      details,
    };
  }

  const answer = (c: Context, body: string) => c.body(body, 200, { 'content-type': 'text/plain;charset=UTF-8' });

  const app = new Hono()
    // The browser posts the merchant's signed form here (§3.1); the order exists at the channel from now on.
    .post('/gateway/api/frontTransReq.do', async (c) => {
      const fields = parseForm(await c.req.text());
      const envelope = checkEnvelope(fields, secrets);
      if (!envelope.ok) return c.html(refusedPage(envelope), 400);
      const existing = fields.orderId ? find(fields.orderId) : undefined;
      // The same signed form posted again (back button, reload) shows the order as it stands; anything else
      // with a used orderId is a duplicate (12).
      if (existing) {
        if (existing.details.signature !== fields.signature) return c.html(refusedPage({ respCode: RESP.duplicate, respMsg: '重复交易' }), 400);
        return c.html(statePage(expireIfDue(existing)));
      }
      const checked = checkFields(fields, CONSUME_FRONT, now());
      if (!checked.ok) return c.html(refusedPage(checked), 400);
      const order = newOrder(fields, fields.channelType === '08' ? 'wap' : 'gateway');
      context.orders.add(order);
      return c.html(gatewayPage(order));
    })
    // App control pay (手机控件支付): the merchant's server asks for a tn for its app's SDK (§3.1).
    .post('/gateway/api/appTransReq.do', async (c) => {
      const fields = parseForm(await c.req.text());
      const checked = checkRequest(fields, CONSUME_APP, secrets, now());
      if (!checked.ok) return answer(c, refusal(fields, checked, secrets));
      if (find(fields.orderId ?? '')) return answer(c, refusal(fields, { respCode: RESP.duplicate, respMsg: '重复交易' }, secrets));
      const order = newOrder(fields, 'app');
      context.orders.add(order);
      return answer(c, rawAnswer(signAnswer({ ...echo(fields), ...RESP.success, tn: order.details.tn }, secrets)));
    })
    // Back transactions (refund, void, back consume with card data) are outside the sandbox: checked, then refused.
    .post('/gateway/api/backTransReq.do', async (c) => {
      const fields = parseForm(await c.req.text());
      const envelope = checkEnvelope(fields, secrets);
      const rejection: Rejection = envelope.ok ? { respCode: RESP.format, respMsg: 'txnType无效[沙箱不支持后台交易]' } : envelope;
      return answer(c, refusal(fields, rejection, secrets));
    })
    // Query by the original orderId + txnTime (§3.3): respCode says whether the query worked, origRespCode
    // what became of the transaction; 34 when the merchant has no such transaction.
    .post('/gateway/api/queryTrans.do', async (c) => {
      const fields = parseForm(await c.req.text());
      const checked = checkRequest(fields, QUERY, secrets, now());
      if (!checked.ok) return answer(c, refusal(fields, checked, secrets));
      const order = find(fields.orderId ?? '');
      if (!order || order.details.txnTime !== fields.txnTime || order.merchant !== fields.merId) {
        return answer(c, refusal(fields, { respCode: RESP.notFound, respMsg: '查无此交易' }, secrets));
      }
      expireIfDue(order);
      const orig =
        order.status === 'pending'
          ? { origRespCode: RESP.processing.respCode, origRespMsg: RESP.processing.respMsg }
          : { origRespCode: order.details.origRespCode, origRespMsg: order.details.origRespMsg };
      return answer(c, rawAnswer(signAnswer({ ...resultFields(order), respCode: '00', respMsg: '成功[0000000]', ...orig }, secrets)));
    })
    // The customer's buttons on the gateway page.
    .post('/pay/unionpay/gateway/:orderId', async (c) => {
      const order = find(c.req.param('orderId'));
      if (!order || order.product === 'app') return c.html(refusedPage({ respCode: RESP.notFound, respMsg: '查无此交易' }), 404);
      const outcome = (await c.req.parseBody()).outcome;
      if (outcome === 'pay') markPaid(order);
      else if (outcome === 'fail') markFailed(order);
      else return c.html(outcomePage(order, '已离开 Abandoned', 'Nothing was paid; the order stays open until its payTimeout.'));
      return c.html(statePage(expireIfDue(order)));
    })
    /**
     * Stand-in for the UnionPay app SDK (`startPay(tn)` and its pay_result): `{"tn": "…"}` pays, with
     * `"cancel": true` the customer backs out, with `"fail": true` the payment is declined. Answers
     * `{"resultCode": "success" | "fail" | "cancel"}` as the SDK reports to the app. Not a UnionPay API.
     */
    .post('/pay/unionpay/app', async (c) => {
      let request: { tn?: unknown; cancel?: unknown; fail?: unknown };
      try {
        request = (await c.req.json()) as typeof request;
      } catch {
        return c.json({ resultCode: 'fail', message: 'body must be JSON with a tn' }, 400);
      }
      const tn = typeof request?.tn === 'string' ? request.tn : '';
      const order = context.orders.list().find((candidate) => candidate.channel === 'unionpay' && candidate.details.tn === tn && tn !== '');
      if (!order) return c.json({ resultCode: 'fail', message: 'unknown tn' }, 404);
      if (request.cancel === true) return c.json({ resultCode: 'cancel' });
      if (request.fail === true) {
        markFailed(order);
        return c.json({ resultCode: 'fail' });
      }
      return c.json({ resultCode: markPaid(order) ? 'success' : 'fail' });
    });

  function statePage(order: SandboxOrder): string {
    switch (order.status) {
      case 'pending':
        return gatewayPage(order);
      case 'paid':
        return paidPage(order, notificationFields(order));
      case 'failed':
        return outcomePage(order, '支付失败', `${order.details.origRespMsg ?? ''} (${order.details.origRespCode ?? ''})`);
      case 'closed':
        return outcomePage(order, '订单已超时', `${order.details.origRespMsg ?? ''} (${order.details.origRespCode ?? ''})`);
    }
  }

  const settle = (mark: (order: SandboxOrder) => boolean) => async (orderId: string) => {
    const order = find(orderId);
    if (order) mark(order);
  };

  return {
    id: 'unionpay',
    app,
    pay: settle(markPaid),
    fail: settle(markFailed),
    // The customer walks away: UnionPay does nothing until payTimeout.
    abandon: async () => undefined,
  };
}

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += String(randomInt(10));
  return out;
}
