// UnionPay back notifications (backUrl, a form POST, §3.3) read for the cashier: verified with their own
// signPubKeyCert chained to the UnionPay CA (§3.2), addressed to our merId, then read as a payment (txnType 01)
// or refund (txnType 04) result. Synchronous and total: whatever arrives, the answer is a NotificationResult.

import { orderNumberProblems } from '../../../shared/channels/index.ts';
import { parseFen } from '../../../shared/money/index.ts';
import type { Ack, NotificationInput, NotificationResult, RefundResult } from '../types.ts';
import { parseForm, verifyMessage, type UnionpayTrust } from './crypto.ts';
import { paidAtOf } from './wire.ts';

/** Any HTTP 200 tells UnionPay the notification arrived; the body is ignored ("ok" is conventional, §3.3). */
export const UNIONPAY_ACK: Ack = { status: 200, body: 'ok', contentType: 'text/plain;charset=UTF-8' };

/** Anything but 200 makes UnionPay send it again (up to five sends, §3.3): for messages we cannot trust. */
export const UNIONPAY_REJECT: Ack = { status: 400, body: 'rejected', contentType: 'text/plain;charset=UTF-8' };

export interface NotificationContext {
  readonly merId: string;
  readonly trust: UnionpayTrust;
  /** The answer states by respCode: RULEBOOK unionpay.query.tradeStates (00/A6 done, 03/04/05 in progress). */
  readonly succeededCodes: readonly string[];
  readonly pendingCodes: readonly string[];
}

type Rejected = Extract<NotificationResult, { ok: false }>;

const reject = (reason: Rejected['reason'], detail: string, eventId?: string): Rejected => ({
  ok: false,
  reason,
  detail,
  ...(eventId === undefined ? {} : { eventId }),
  ack: UNIONPAY_REJECT,
});

/**
 * The event id. UnionPay's notifications carry no id of their own, and every re-send repeats the same message
 * (§3.3), so the id is built from what names the transaction and its outcome: txnType + orderId + txnTime (the
 * pair a query names a transaction by, §3.3) + respCode. queryId is left out on purpose: a failure notice may
 * lack one, and it adds nothing once orderId + txnTime are there. Form encoding, field order and the amount do
 * not enter, so copies re-encoded on the way, or with a changed amount, stay one event.
 */
export function notificationEventId(fields: { txnType: string; orderId: string; txnTime: string; respCode: string }): string {
  return `unionpay:${fields.txnType}:${fields.orderId}:${fields.txnTime}:${fields.respCode}`;
}

export function parseUnionpayNotification(input: NotificationInput, context: NotificationContext): NotificationResult {
  try {
    return parse(input, context);
  } catch {
    // Only configuration can throw below (an unreadable trust anchor): nothing in the message is trusted.
    return reject('unknown-key', 'the notification could not be verified against the configured UnionPay certificates');
  }
}

function parse(input: NotificationInput, context: NotificationContext): NotificationResult {
  const contentType = input.headers['content-type'];
  if (contentType !== undefined && !contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return reject('malformed', `expected a form POST, got ${contentType.slice(0, 60)}`);
  }
  const fields = parseForm(input.body);
  if (Object.keys(fields).length === 0 || fields.signature === undefined) return reject('malformed', 'not a UnionPay form (no signature field)');

  // Checked with our own clock like the synchronous answers: an expired signer certificate is not UnionPay's now.
  const verified = verifyMessage(fields, context.trust, { checkDates: true, now: input.now });
  if (!verified.ok) {
    switch (verified.reason) {
      case 'no-certificate':
        return reject('unknown-key', 'no signPubKeyCert: the signer cannot be identified');
      case 'untrusted-certificate':
        return reject('unknown-key', 'signPubKeyCert does not chain to the UnionPay root and middle certificates (or is not UnionPay\u2019s, or expired)');
      case 'bad-signature':
        return reject('bad-signature', 'the signature does not match the fields');
      case 'malformed':
        return reject('bad-signature', 'the signature, signMethod or signPubKeyCert cannot be read');
    }
  }

  const { txnType, orderId, txnTime, respCode } = fields;
  if (!txnType || !orderId || !txnTime || !respCode) return reject('malformed', 'txnType, orderId, txnTime and respCode are required');
  const eventId = notificationEventId({ txnType, orderId, txnTime, respCode });
  // DESIGN §8: who is it about, before what it says.
  if (fields.merId !== context.merId) return reject('wrong-merchant', 'merId is not this merchant\u2019s', eventId);

  const done = context.succeededCodes.includes(respCode);
  const amountOf = (): number | undefined => {
    try {
      return parseFen(fields.txnAmt, 'txnAmt');
    } catch {
      return undefined;
    }
  };

  if (txnType === '01') {
    const amount = amountOf();
    if (done && amount === undefined) return reject('malformed', 'a success notice without a valid txnAmt', eventId);
    const state = done ? 'succeeded' : context.pendingCodes.includes(respCode) ? 'pending' : 'failed';
    return {
      ok: true,
      eventId,
      subject: {
        kind: 'payment',
        channelOrderNo: orderId,
        trade: {
          state,
          channelState: respCode,
          channelTradeNo: fields.queryId,
          amount,
          currency: 'CNY',
          paidAt: done ? paidAtOf(fields) : undefined,
        },
      },
      ack: UNIONPAY_ACK,
    };
  }

  if (txnType === '04') {
    // A refund notice names the consume only by origQryId; the payment's orderId comes back in reqReserved,
    // where our refund request put it (adapter.ts). A refund made elsewhere (the merchant portal) has none.
    const channelOrderNo = fields.reqReserved ?? '';
    if (orderNumberProblems('unionpay', channelOrderNo).length > 0) {
      return { ok: true, eventId, subject: { kind: 'ignored', reason: 'a refund the cashier did not request (no order number in reqReserved)' }, ack: UNIONPAY_ACK };
    }
    const amount = amountOf();
    if (done && amount === undefined) return reject('malformed', 'a refund success notice without a valid txnAmt', eventId);
    const refund: RefundResult = {
      state: done ? 'succeeded' : context.pendingCodes.includes(respCode) ? 'processing' : 'failed',
      channelState: respCode,
      channelRefundNo: fields.queryId,
      amount,
      succeededAt: done ? paidAtOf(fields) : undefined,
    };
    return { ok: true, eventId, subject: { kind: 'refund', channelOrderNo, refundNo: orderId, refund }, ack: UNIONPAY_ACK };
  }

  // 31 is a consume void (消费撤销, §3.3): the cashier never sends one, so it comes from elsewhere (the merchant
  // portal, same clearing day) and is reconciled from the bill, not here. Other types are not ours to act on.
  const reason = txnType === '31' ? 'consume void (txnType 31): not requested by the cashier; reconcile from the bill' : `txnType ${txnType} is not a payment or refund result`;
  return { ok: true, eventId, subject: { kind: 'ignored', reason }, ack: UNIONPAY_ACK };
}
