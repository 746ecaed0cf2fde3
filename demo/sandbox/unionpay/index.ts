// The UnionPay online gateway sandbox (UPACP 5.1.0, signMethod 01) on UnionPay's real paths: the browser's
// frontTransReq form, appTransReq's tn, refunds on backTransReq, queryTrans, signed answers and back
// notifications with UnionPay's retry ladder, plus a stand-in for the UnionPay app SDK. It acts out the fault
// scripts the notifier cannot (forged and changed notifications, failing queries, payment after payTimeout).
// Rules: channel-protocols.md §3; choices are noted inline.

import { randomInt } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { parseForm, toForm } from '../../../bff/channels/unionpay/crypto.ts';
import { RULEBOOK, UNKNOWN, clearingDay } from '../../../shared/channels/index.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { ChannelSandbox, SandboxContext } from '../types.ts';
import { gatewayPage, outcomePage, paidPage, refusedPage } from './gateway-pages.ts';
import { impostorFor, signAsImpostor, warmImpostor } from './impostor.ts';
import {
  CONSUME_APP,
  CONSUME_FRONT,
  DECLINED,
  QUERY,
  REFUND,
  RESP,
  TIMED_OUT,
  checkEnvelope,
  checkFields,
  checkRequest,
  echo,
  rawAnswer,
  refusal,
  signAnswer,
} from './messages.ts';
import { REFUND_PRODUCT, isRefund, refundRefusal } from './refunds.ts';
import { FILE_TRANSFER_PATH, NO_FILE, TRADE_CODE, billFileNames, billZip, checkFileRequest, fileContentOf, settleDay } from './bills.ts';
import { dayBill, type BillEntry } from '../bills.ts';
import { formatBeijingStamp, parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';
import { holdRequest } from '../faults.ts';

const NOTIFY = RULEBOOK.unionpay.notification;
const LADDER: readonly number[] = NOTIFY.retryLadderSeconds === UNKNOWN ? [] : NOTIFY.retryLadderSeconds;
const ACK_TIMEOUT_SECONDS = NOTIFY.deadlineSeconds === UNKNOWN ? 10 : NOTIFY.deadlineSeconds;

/**
 * How long a query the `queryFailure: 'timeout'` fault holds before giving up. Longer than any sensible client
 * timeout (the BFF's default is 8 s), so the client is the one that gives up; the hold ends early when it does.
 */
export const QUERY_HOLD_MS = 30_000;

export function unionpaySandbox(context: SandboxContext): ChannelSandbox {
  const secrets = context.secrets.unionpay;
  const now = (): Date => context.clock.now();
  const find = (orderId: string): SandboxOrder | undefined => context.orders.get('unionpay', orderId);

  const script = (order: SandboxOrder) => context.faults.for('unionpay', order.key);

  /**
   * An unpaid order whose payTimeout has passed on the channel's clock can no longer be paid (§3.3). Under the
   * `successAfterExpiry` fault the channel's clock for the order starts late: it stays payable and unsettled.
   */
  function expireIfDue(order: SandboxOrder): SandboxOrder {
    const payTimeout = order.details.payTimeout ? parseBeijingStamp(order.details.payTimeout) : undefined;
    if (order.status === 'pending' && payTimeout && now().getTime() >= payTimeout.getTime() && !script(order).successAfterExpiry) {
      order.details.origRespCode = TIMED_OUT.respCode;
      order.details.origRespMsg = TIMED_OUT.respMsg;
      context.orders.update(order, { status: 'closed' });
    }
    return order;
  }

  /**
   * The order's outcome fields as notifications and query answers carry them (U3 is a real consume example; a
   * refund's carry its own orderId, txnTime, amount and queryId, and name the consume by origQryId).
   */
  function resultFields(order: SandboxOrder): Record<string, string | undefined> {
    const { details } = order;
    const done = order.status === 'paid';
    const refund = isRefund(order);
    return {
      version: '5.1.0',
      encoding: details.encoding,
      signMethod: '01',
      txnType: refund ? REFUND.txnType : '01',
      txnSubType: refund ? REFUND.txnSubType : '01',
      bizType: '000201',
      accessType: '0',
      merId: order.merchant,
      orderId: order.key,
      txnTime: details.txnTime,
      txnAmt: String(order.amount),
      currencyCode: '156',
      reqReserved: details.reqReserved,
      queryId: done ? order.tradeNo : undefined,
      traceNo: done ? details.traceNo : undefined,
      traceTime: done ? details.traceTime : undefined,
      settleAmt: done ? String(order.amount) : undefined,
      settleCurrencyCode: done ? '156' : undefined,
      settleDate: done ? details.settleDate : undefined,
    };
  }

  /**
   * A notification's fields, signed. The `changeAmount` fault reports another amount (txnAmt and settleAmt
   * alike), correctly signed: what a channel with a bug, or an insider, would send.
   */
  function notificationFields(order: SandboxOrder): Record<string, string> {
    const changed = script(order).changeAmount;
    const amount = changed === undefined ? {} : { txnAmt: String(changed), settleAmt: String(changed) };
    const origin = isRefund(order) ? { origQryId: order.details.origQryId } : {};
    return signAnswer({ ...resultFields(order), ...origin, ...amount, respCode: RESP.success.respCode, respMsg: RESP.success.respMsg }, secrets);
  }

  // Ready before the first forged notification needs it (impostor.ts says why).
  warmImpostor(secrets);

  /**
   * The back notification to the transaction's backUrl: the same signed message on every delivery; any HTTP 200
   * acknowledges, the body is ignored (§3.3). `forged` is the same message signed by an impostor, which the
   * notifier sends instead under the `forgeSignature` fault. Faults are looked up by the transaction's own
   * orderId: a refund's by the refund's.
   */
  function notify(order: SandboxOrder): void {
    if (!order.notifyUrl) return;
    const fields = notificationFields(order);
    const body = toForm(fields);
    let forgedBody: string | undefined;
    const headers = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' };
    context.notifier.send({
      channel: 'unionpay',
      orderKey: order.key,
      url: order.notifyUrl,
      build: () => ({ headers, body }),
      forged: () => ({ headers, body: (forgedBody ??= toForm(signAsImpostor(fields, impostorFor(secrets)))) }),
      ladder: LADDER,
      acknowledged: (status) => status === 200,
      timeoutSeconds: ACK_TIMEOUT_SECONDS,
    });
  }

  /** Whether the customer can still pay: pending, or (under `successAfterExpiry`) timed out all the same. */
  function payable(order: SandboxOrder): boolean {
    if (isRefund(order)) return false;
    if (expireIfDue(order).status === 'pending') return true;
    return order.status === 'closed' && order.details.origRespCode === TIMED_OUT.respCode && script(order).successAfterExpiry === true;
  }

  /**
   * The customer pays: traceNo and traceTime (U3 shows traceTime as the txnTime's MMDDhhmmss), settleDate from
   * the clearing day of this moment by the rulebook's 23:00 cut-off, then the back notification (§3.3).
   */
  function markPaid(order: SandboxOrder): boolean {
    if (!payable(order)) return false;
    const paidAt = now();
    order.details.traceNo = digits(6);
    order.details.traceTime = (order.details.txnTime ?? formatBeijingStamp(paidAt)).slice(4);
    order.details.settleDate = settleDateOf(paidAt);
    order.details.origRespCode = RESP.success.respCode;
    order.details.origRespMsg = RESP.success.respMsg;
    context.orders.update(order, { status: 'paid', paidAt: paidAt.toISOString() });
    notify(order);
    return true;
  }

  /**
   * The payment fails. Consumes through the gateway page and the app control are front-type transactions, which
   * UnionPay notifies only on success (§3.3; the official app demo treats the app consume like the gateway's), so
   * the merchant learns of a failure only by querying.
   */
  function markFailed(order: SandboxOrder): boolean {
    if (isRefund(order) || expireIfDue(order).status !== 'pending') return false;
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

  /**
   * A refund request whose envelope and signature are good: the fields, a used orderId (12 重复交易: UnionPay
   * names a transaction by orderId, and a refund's must be new, official demo Form_6_4_Refund), then the rules
   * in refunds.ts. An accepted refund succeeds at once here (UnionPay answers 00 for "accepted" and settles
   * later; the sandbox's "later" is now), and its back notification goes to the refund's own backUrl.
   */
  function refund(fields: Record<string, string>): string {
    const checked = checkFields(fields, REFUND, now());
    if (!checked.ok) return refusal(fields, checked, secrets);
    const orderId = fields.orderId ?? '';
    if (find(orderId)) return refusal(fields, { respCode: RESP.duplicate, respMsg: '重复交易' }, secrets);
    const amount = Number(fields.txnAmt);
    const original = context.orders.byTradeNo('unionpay', fields.origQryId ?? '');
    const refused = refundRefusal(original, fields.merId ?? '', amount, context.orders.list(), now());
    if (refused || !original) return refusal(fields, refused ?? { respCode: RESP.original, respMsg: '原交易不存在或状态不正确' }, secrets);

    const at = now();
    const details: Record<string, string> = {
      txnType: REFUND.txnType,
      txnTime: fields.txnTime ?? '',
      encoding: fields.encoding ?? 'UTF-8',
      channelType: fields.channelType ?? '',
      signature: fields.signature ?? '',
      origQryId: original.tradeNo,
      origOrderId: original.key,
      traceNo: digits(6),
      traceTime: (fields.txnTime ?? formatBeijingStamp(at)).slice(4),
      settleDate: settleDateOf(at),
      origRespCode: RESP.success.respCode,
      origRespMsg: RESP.success.respMsg,
    };
    if (fields.reqReserved) details.reqReserved = fields.reqReserved;
    const order: SandboxOrder = {
      channel: 'unionpay',
      key: orderId,
      merchant: fields.merId ?? '',
      product: REFUND_PRODUCT,
      amount,
      currency: 'CNY',
      description: `退货 refund of ${original.key}`,
      tradeNo: `${digits(2)}${formatBeijingStamp(at).slice(2)}${digits(7)}`,
      createdAt: at.toISOString(),
      notifyUrl: fields.backUrl,
      // 'paid' is the order book's word for "went through": for a refund, the money went back.
      status: 'paid',
      paidAt: at.toISOString(),
      details,
    };
    // Checked and added in one synchronous step: no second refund can slip in between (refunds.ts).
    context.orders.add(order);
    notify(order);
    // The refund answer names both transactions (3P field lists: queryId, origQryId, txnAmt, reqReserved).
    return rawAnswer(
      signAnswer(
        { ...echo(fields), ...RESP.success, queryId: order.tradeNo, origQryId: original.tradeNo, txnAmt: String(amount), reqReserved: details.reqReserved },
        secrets,
      ),
    );
  }

  /** settleDate (MMDD): the clearing day of this moment by the rulebook's 23:00 cut-off (§3.3). */
  function settleDateOf(at: Date): string {
    const day = clearingDay('unionpay', at);
    return day === UNKNOWN ? formatBeijingStamp(at).slice(4, 8) : day.slice(5).replace('-', '');
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
        if (isRefund(existing) || existing.details.signature !== fields.signature) return c.html(refusedPage({ respCode: RESP.duplicate, respMsg: '重复交易' }), 400);
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
    // Back transactions (§3.1, §3.3): refunds (04) are taken; voids (31) and the rest are checked, then refused.
    .post('/gateway/api/backTransReq.do', async (c) => {
      const fields = parseForm(await c.req.text());
      const envelope = checkEnvelope(fields, secrets);
      if (!envelope.ok) return answer(c, refusal(fields, envelope, secrets));
      if (fields.txnType !== REFUND.txnType) return answer(c, refusal(fields, { respCode: RESP.format, respMsg: 'txnType无效[沙箱仅支持退货04]' }, secrets));
      return answer(c, refund(fields));
    })
    // Query by the original orderId + txnTime (§3.3): respCode says whether the query worked, origRespCode
    // what became of the transaction; 34 when the merchant has no such transaction. Refunds are queried the
    // same way, by their own orderId + txnTime (RULEBOOK unionpay.query.separateRefundQuery: false).
    .post('/gateway/api/queryTrans.do', async (c) => {
      const fields = parseForm(await c.req.text());
      // The `queryFailure` fault: the gateway itself is in trouble, before it reads the request.
      const failure = context.faults.takeQueryFailure('unionpay', fields.orderId ?? '');
      if (failure === '5xx') return c.text('Internal Server Error', 500);
      if (failure === 'timeout') {
        await holdRequest(QUERY_HOLD_MS, c.req.raw.signal);
        // Nobody is usually left to read this: what the load balancer in front says once it gives up.
        return c.text('Gateway Timeout', 504);
      }
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
    // File transfer (文件传输类交易, txnType 76): the day's reconciliation file, on the file host's root path
    // (acpsdk.fileTransUrl=https://filedownload.95516.com/); here the sandbox's own origin. Only a synchronous answer.
    .post(FILE_TRANSFER_PATH, async (c) => {
      const fields = parseForm(await c.req.text());
      const envelope = checkEnvelope(fields, secrets);
      const checked = envelope.ok ? checkFileRequest(fields, now()) : envelope;
      if (!checked.ok) return answer(c, refusal(fields, checked, secrets));
      const settleDate = fields.settleDate ?? '';
      const day = settleDay(settleDate, now()) ?? '';
      const bill = dayBill('unionpay', day, billEntries(), context.bills, context.clock);
      if (bill.kind === 'not-ready') return answer(c, refusal(fields, { respCode: NO_FILE, respMsg: '文件不存在[对账文件尚未生成]' }, secrets));
      if (bill.rows.length === 0) return answer(c, refusal(fields, { respCode: NO_FILE, respMsg: '文件不存在[当日无交易]' }, secrets));
      const merId = fields.merId ?? '';
      const fileContent = fileContentOf(billZip(merId, day, bill.rows, find));
      const fileName = billFileNames(merId, day).zip;
      return answer(c, rawAnswer(signAnswer({ ...echo(fields), fileType: '00', settleDate, respCode: '00', respMsg: 'success', fileName, fileContent }, secrets)));
    })
    // The customer's buttons on the gateway page.
    .post('/pay/unionpay/gateway/:orderId', async (c) => {
      const order = find(c.req.param('orderId'));
      if (!order || (order.product !== 'gateway' && order.product !== 'wap')) return c.html(refusedPage({ respCode: RESP.notFound, respMsg: '查无此交易' }), 404);
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

  /**
   * Every consume that was paid, at the moment it was paid (its clearing day by the 23:00 cut-off), and every
   * refund that went through, at its own moment, named by its own orderId (UnionPay's refund is a transaction of
   * its own; bills.ts wants `order` to be the consume it refunds).
   */
  function billEntries(): BillEntry[] {
    const entries: BillEntry[] = [];
    for (const order of context.orders.list()) {
      if (order.channel !== 'unionpay' || order.status !== 'paid' || !order.paidAt) continue;
      const at = new Date(order.paidAt);
      if (!isRefund(order)) {
        entries.push({ kind: 'payment', order, amount: order.amount, status: TRADE_CODE.payment, at });
        continue;
      }
      const consume = find(order.details.origOrderId ?? '');
      if (!consume) continue;
      entries.push({ kind: 'refund', order: consume, refundNo: order.key, channelRefundNo: order.tradeNo, amount: order.amount, status: TRADE_CODE.refund, at });
    }
    return entries;
  }

  return {
    id: 'unionpay',
    app,
    billEntries,
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
