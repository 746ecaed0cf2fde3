// Alipay's asynchronous notification (notify_type trade_status_sync, channel-protocols.md §2.3) read into our neutral
// NotificationResult: the form decoded once, the RSA2 signature checked with the Alipay public key, the app checked,
// then a payment notice, or a refund notice (refunds re-use the payment's notify_url), with the answer Alipay expects.

import { parseYuan } from '../../../shared/money/index.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { Ack, NotificationInput, NotificationResult } from '../types.ts';
import { mapTradeState, parseAlipayTime, textOf } from './answers.ts';
import { verifyNotify } from './crypto.ts';

/**
 * "程序执行完后必须打印输出“success”（不包含引号）。如果商户反馈给支付宝的字符不是 success 这7个字符，支付宝服务器会
 * 不断重发通知" (§2.3): the body alone counts, so the status is a plain 200 either way.
 */
export const ACK_RECEIVED: Ack = { status: 200, body: 'success', contentType: 'text/plain' };

/**
 * A refusal only has to be anything but `success` for Alipay to send the notification again (§2.3). We answer
 * 200 with `fail`, as Alipay's own notify_url demos do ("验证失败 … out.println("fail")"): a 4xx would say the same to
 * Alipay but reads as our own fault in proxies and monitoring, which it is not.
 */
export const ACK_REFUSED: Ack = { status: 200, body: 'fail', contentType: 'text/plain' };

type Refusal = Extract<NotificationResult, { ok: false }>;

const refuse = (reason: Refusal['reason'], detail: string, eventId?: string): Refusal => ({ ok: false, reason, detail, eventId, ack: ACK_REFUSED });

/** The form decoded once (§2.3: never again, passback_params stays percent-encoded); null when a name comes twice. */
function formFields(body: string): Record<string, string> | null {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    // Which of two values the signature vouches for is exactly what a forger would like to choose.
    if (Object.hasOwn(fields, key)) return null;
    fields[key] = value;
  }
  return fields;
}

/** The fields only a refund notification carries (§2.3: refund_fee, gmt_refund, out_biz_no). */
const REFUND_FIELDS = ['refund_fee', 'gmt_refund', 'out_biz_no'] as const;

/** Verifies and reads one notification; never throws. */
export function parseAlipayNotification(credentials: AlipayCredentials, input: NotificationInput): NotificationResult {
  try {
    return read(credentials, input);
  } catch {
    // Nothing in `read` should throw; if something does, the notification is refused, never half-trusted.
    return refuse('malformed', 'the notification could not be read');
  }
}

function read(credentials: AlipayCredentials, input: NotificationInput): NotificationResult {
  const type = input.headers['content-type'];
  if (type !== undefined && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return refuse('malformed', `content-type ${type} is not application/x-www-form-urlencoded (§2.3)`);
  }
  const fields = formFields(input.body);
  if (fields === null) return refuse('malformed', 'a field is given twice');
  const eventId = textOf(fields.notify_id);

  if (!fields.sign) return refuse('bad-signature', 'the notification carries no sign', eventId);
  // sign_type sits outside the signed content of a trade notification (A1), so it is the one field anybody could
  // change; only RSA2 is checked here, and anything else is refused rather than read as RSA2.
  if (fields.sign_type !== undefined && fields.sign_type !== 'RSA2') {
    return refuse('bad-signature', `sign_type ${fields.sign_type} is not RSA2, the only type we accept`, eventId);
  }
  if (!verifyNotify(fields, credentials.alipayPublicKey)) {
    return refuse('bad-signature', 'the signature does not verify with the Alipay public key we hold', eventId);
  }
  // Authentic, but maybe about another app of the same Alipay account (or another merchant's, via a shared URL).
  if (fields.app_id !== credentials.appId) return refuse('wrong-merchant', `app_id ${fields.app_id ?? '(none)'} is not our app`, eventId);
  // notify_id stays the same across Alipay's retries of one notification (§2.3): the event id to de-duplicate on.
  if (eventId === undefined) return refuse('malformed', 'no notify_id');
  if (fields.notify_type !== 'trade_status_sync') {
    return { ok: true, eventId, subject: { kind: 'ignored', reason: `notify_type ${fields.notify_type ?? '(none)'}` }, ack: ACK_RECEIVED };
  }

  const channelOrderNo = textOf(fields.out_trade_no);
  const status = textOf(fields.trade_status);
  if (channelOrderNo === undefined || status === undefined) return refuse('malformed', 'out_trade_no or trade_status is missing', eventId);
  const yuan = (field: string): number | null => {
    try {
      return parseYuan(fields[field], field);
    } catch {
      return null;
    }
  };

  if (REFUND_FIELDS.some((field) => fields[field] !== undefined && fields[field] !== '')) {
    // A refund (§2.3, §2.8): partial ones leave TRADE_SUCCESS, the last one closes the trade (TRADE_CLOSED + gmt_close).
    const refundNo = textOf(fields.out_biz_no);
    const refunded = yuan('refund_fee');
    if (refundNo === undefined || refunded === null) return refuse('malformed', 'a refund notification needs out_biz_no and refund_fee in yuan', eventId);
    return {
      ok: true,
      eventId,
      subject: {
        kind: 'refund',
        channelOrderNo,
        refundNo,
        refund: {
          // Alipay notifies a refund once it is done; failed refunds are never notified (§2.8 has no failed state for
          // synchronous refunds).
          state: 'succeeded',
          channelState: status,
          // refund_fee is "退款通知中，返回总退款金额" — the trade's refunded total so far, not this refund's own amount.
          // It is all the notification says; it equals this refund's amount only for the first refund of a trade. The
          // refund query (refund_amount per out_request_no) has the exact figure for later ones, so it is reported as
          // the total it is, and the refund's own amount is left to the query.
          refundedTotal: refunded,
          succeededAt: parseAlipayTime(fields.gmt_refund),
        },
      },
      ack: ACK_RECEIVED,
    };
  }

  // A payment (TRADE_SUCCESS / TRADE_FINISHED), or a close without refund (TRADE_CLOSED, for products that notify it).
  const amount = yuan('total_amount');
  if (amount === null) return refuse('malformed', 'total_amount is not an exact yuan amount', eventId);
  return {
    ok: true,
    eventId,
    subject: {
      kind: 'payment',
      channelOrderNo,
      trade: {
        state: mapTradeState(status),
        channelState: status,
        channelTradeNo: textOf(fields.trade_no),
        // total_amount is the order's amount; discounts show in receipt_amount / buyer_pay_amount, not here.
        amount,
        currency: 'CNY',
        paidAt: parseAlipayTime(fields.gmt_payment),
      },
    },
    ack: ACK_RECEIVED,
  };
}
