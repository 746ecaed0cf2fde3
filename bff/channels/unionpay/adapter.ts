// The UnionPay online gateway adapter (UPACP 5.1.0, signMethod 01): gateway and WAP pay are signed forms the
// browser posts to frontTransReq.do, app pay asks appTransReq.do for a `tn`, refunds go to backTransReq.do, and
// payments and refunds alike are queried on queryTrans.do. Every answer and notification is verified with its
// own signPubKeyCert chained to the UnionPay CA before a field of it is used.

import ky from 'ky';
import { RULEBOOK, UNKNOWN, assertOrderNumber } from '../../../shared/channels/index.ts';
import { RuleError } from '../../../shared/errors/index.ts';
import { assertMinorUnits, parseFen } from '../../../shared/money/index.ts';
import type { UnionpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type {
  AttemptRef,
  ChannelAdapter,
  CloseOutcome,
  NotificationInput,
  NotificationResult,
  PayOutcome,
  PayRequest,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  RefundRef,
  RefundRequest,
  RefundResult,
  TradeState,
  BillOutcome,
} from '../types.ts';
import { billOutcome, fileTransferUrl, settleDateOf } from './bill.ts';
import { sign, toForm, verifyMessage } from './crypto.ts';
import { formatBeijingStamp, parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';
import { parseUnionpayNotification } from './notification.ts';
import { paidAtOf, parseAnswer, reqReservedOf, txnTimeFromOrderNumber } from './wire.ts';

export const UNIONPAY_PATHS = {
  front: '/gateway/api/frontTransReq.do',
  app: '/gateway/api/appTransReq.do',
  back: '/gateway/api/backTransReq.do',
  query: '/gateway/api/queryTrans.do',
} as const;

/** Consume by product (§3.1): PC gateway posts from a desktop browser (07), WAP and app from a phone (08). */
const CHANNEL_TYPE: Readonly<Record<string, '07' | '08'>> = { gateway: '07', wap: '08', app: '08' };

/** respCode 34 "查无此交易": the queried orderId + txnTime names no transaction (§3.3 range 30–59). */
export const NOT_FOUND = '34';

/** respCode 12 "重复交易": the orderId was used before (§3.3 range 10–29). */
export const DUPLICATE = '12';

/** Our business code for a refund query whose orderId names a transaction that is not a refund. */
const NOT_A_REFUND = 'not_a_refund';

/**
 * How old a refund number (its txnTime, see wire.ts) may be and still be sent as is. The gateway takes only a
 * txnTime that is "now" (§3.3, window unpublished): an older number is a retry, so the adapter first asks
 * whether the earlier attempt arrived instead of sending a request the gateway would refuse as stale.
 */
export const REFUND_RESEND_MAX_AGE_MS = 5 * 60_000;

/**
 * How long after the payTimeout we sent an unpaid order still counts as open when closing: our clock and the
 * gateway's may disagree by a little, and the gateway refuses payment only once its own clock passes payTimeout.
 */
const PAY_TIMEOUT_GRACE_MS = 60_000;

const rules = RULEBOOK.unionpay.query;
const TRADE_STATES = rules.tradeStates === UNKNOWN ? undefined : rules.tradeStates;
const UNKNOWN_CODES: readonly string[] = rules.unknownCodes === UNKNOWN ? ['03', '04', '05'] : rules.unknownCodes;
const STATES = TRADE_STATES ?? { succeeded: ['00', 'A6'], pending: ['03', '04', '05'], closed: [], failed: [], otherwise: 'failed' as const };

type Sent = { readonly ok: true; readonly fields: Record<string, string> } | { readonly ok: false; readonly reason: string };

export function unionpayAdapter(credentials: UnionpayCredentials, http: HttpOptions): ChannelAdapter {
  const gateway = credentials.gateway.replace(/\/+$/, '');
  const trust = { root: credentials.rootCertificate, middle: credentials.middleCertificate };
  const now = (): Date => http.now?.() ?? new Date();

  const signed = (fields: Record<string, string | undefined>) => signRequest(credentials, fields);

  /**
   * One POST, its answer parsed and verified. Transport failures, HTTP errors and answers that do not verify, or
   * that speak of another merchant or order, all come back as `ok: false`: nothing in them can be trusted.
   */
  async function send(path: string, fields: Record<string, string>, retries: number): Promise<Sent> {
    let last: Sent = { ok: false, reason: 'not sent' };
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      last = await sendOnce(/^https?:\/\//.test(path) ? path : `${gateway}${path}`, fields);
      // Only transport trouble is worth repeating; a verified answer, or one that fails verification, stands.
      if (last.ok || !last.reason.startsWith('transport')) return last;
    }
    return last;
  }

  async function sendOnce(url: string, fields: Record<string, string>): Promise<Sent> {
    let status: number;
    let body: string;
    try {
      const response = await ky.post(url, {
        body: toForm(fields),
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        timeout: http.timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        ...(http.fetch ? { fetch: http.fetch } : {}),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      return { ok: false, reason: name === 'TimeoutError' ? `transport: no answer within ${http.timeoutMs} ms` : `transport: ${name}` };
    }
    if (status !== 200) return { ok: false, reason: `transport: HTTP ${status}` };
    const answer = parseAnswer(body);
    const verified = verifyMessage(answer, trust, { checkDates: true, now: now() });
    if (!verified.ok) return { ok: false, reason: `answer not verifiable (${verified.reason})` };
    // DESIGN §8: cross-check who the answer is about before acting on it.
    if (answer.merId !== undefined && answer.merId !== credentials.merId) return { ok: false, reason: 'answer for another merchant' };
    if (answer.orderId !== undefined && answer.orderId !== fields.orderId) return { ok: false, reason: 'answer for another order' };
    return { ok: true, fields: answer };
  }

  return {
    id: 'unionpay',

    async pay(request: PayRequest): Promise<PayOutcome> {
      const channelType = CHANNEL_TYPE[request.product];
      if (channelType === undefined) throw new RuleError('unsupported_product', `unionpay has no product ${JSON.stringify(request.product)}`, 'product');
      if (request.currency !== 'CNY') throw new RuleError('unsupported_currency', 'unionpay consumes are in CNY (currencyCode 156)', 'currency');
      assertMinorUnits(request.amount);
      if (request.amount < 1) throw new RuleError('invalid_amount', 'txnAmt must be at least 1 fen', 'amount');
      assertOrderNumber('unionpay', request.channelOrderNo);
      const txnTime = txnTimeFromOrderNumber(request.channelOrderNo);
      if (txnTime === undefined) {
        // Without a time in the order number a later query could not name this transaction (see wire.ts).
        throw new RuleError('invalid_order_number', 'unionpay order numbers must start with their Beijing time, yyMMddHHmmss', 'channelOrderNo');
      }
      const front = request.product !== 'app';
      if (front && !request.returnUrl) throw new RuleError('missing_return_url', 'the UnionPay gateway needs frontUrl to send the customer back', 'returnUrl');

      const fields = signed({
        txnType: '01',
        txnSubType: '01',
        bizType: '000201',
        channelType,
        accessType: '0',
        currencyCode: '156',
        txnAmt: String(request.amount),
        orderId: request.channelOrderNo,
        txnTime,
        // After payTimeout the gateway refuses to take the payment, and a query's answer is final (§3.3).
        payTimeout: formatBeijingStamp(request.expiresAt),
        backUrl: request.notifyUrl,
        frontUrl: front ? request.returnUrl : undefined,
        reqReserved: reqReservedOf(request.attach),
      });
      if (front) return { kind: 'action', action: { kind: 'form', action: `${gateway}${UNIONPAY_PATHS.front}`, method: 'POST', fields } };

      // A write: never repeated, so a lost answer leaves the attempt unknown for the query job to settle.
      const sent = await send(UNIONPAY_PATHS.app, fields, 0);
      if (!sent.ok) return { kind: 'unknown', reason: sent.reason };
      const { respCode = '', respMsg = '', tn } = sent.fields;
      if (respCode === '00') {
        if (!tn || !/^\d{1,64}$/.test(tn)) return { kind: 'unknown', reason: 'respCode 00 without a tn' };
        return { kind: 'action', action: { kind: 'app', channel: 'unionpay', parameters: { tn } } };
      }
      if (UNKNOWN_CODES.includes(respCode)) return { kind: 'unknown', reason: `respCode ${respCode}: ${respMsg}` };
      return { kind: 'failed', code: respCode || 'no_resp_code', message: respMsg || 'UnionPay refused the order' };
    },

    query: (attempt) => query(attempt),

    async close(attempt: AttemptRef): Promise<CloseOutcome> {
      // UnionPay cannot close an unpaid consume: the order ends when its payTimeout passes, after which the
      // gateway refuses to take payment and a query's answer is final (official demos, §3.3). So "close" asks the
      // channel and reports closed only when the channel has settled it, or when payTimeout has surely passed.
      const result = await query(attempt);
      if (result.layer !== 'trade') {
        return { kind: 'unknown', reason: result.layer === 'communication' ? result.reason : `respCode ${result.code}: ${result.message}` };
      }
      const { state } = result.trade;
      if (state === 'succeeded') return { kind: 'paid' };
      if (state === 'failed' || state === 'closed') return { kind: 'closed' };
      const expired = attempt.expiresAt !== undefined && now().getTime() >= floorSecond(attempt.expiresAt) + PAY_TIMEOUT_GRACE_MS;
      if (state === 'not-found') {
        // An app order that UnionPay does not know was never given a tn, so nobody can pay it. A gateway form the
        // customer has not posted yet can still arrive until payTimeout, when we know when that is.
        const formStillValid = attempt.product !== 'app' && attempt.expiresAt !== undefined && !expired;
        return formStillValid ? { kind: 'unknown', reason: 'the gateway form can still be posted until payTimeout' } : { kind: 'closed' };
      }
      // Pending: past payTimeout anything but 00/A6 counts as failed (official demo on payTimeout).
      return expired ? { kind: 'closed' } : { kind: 'unknown', reason: 'unpaid and payTimeout not passed: UnionPay has no close' };
    },

    parseNotification: (input: NotificationInput): NotificationResult =>
      parseUnionpayNotification(input, { merId: credentials.merId, trust, succeededCodes: STATES.succeeded, pendingCodes: STATES.pending }),

    async refund(request: RefundRequest): Promise<RefundOutcome> {
      if (request.currency !== 'CNY') throw new RuleError('unsupported_currency', 'unionpay refunds are in CNY, like its consumes', 'currency');
      assertMinorUnits(request.amount);
      if (request.amount < 1) throw new RuleError('invalid_amount', 'txnAmt must be at least 1 fen', 'amount');
      assertOrderNumber('unionpay', request.refundNo);
      // The refund names its payment only by the payment's queryId (RULEBOOK unionpay.refund.idPriority).
      if (!request.channelTradeNo) {
        return { kind: 'failed', code: 'missing_orig_qry_id', message: 'UnionPay refunds name the payment by its queryId (origQryId), and none is on record' };
      }
      // Like a payment's, the refund's txnTime is the time its number starts with, so queryRefund can name it
      // from the number alone (wire.ts). A number without one gets "now", and queryRefund falls back to
      // RefundRef.requestedAt, which must then be this moment to the second.
      const numbered = txnTimeFromOrderNumber(request.refundNo);
      const numberedAt = parseBeijingStamp(numbered)?.getTime();
      if (numbered !== undefined && numberedAt !== undefined && now().getTime() - numberedAt > REFUND_RESEND_MAX_AGE_MS) return resendOrAsk(request, numbered);
      const txnTime = numbered ?? formatBeijingStamp(now());

      const fields = signed({
        txnType: '04',
        txnSubType: '00',
        bizType: '000201',
        channelType: '07',
        accessType: '0',
        orderId: request.refundNo,
        txnTime,
        txnAmt: String(request.amount),
        origQryId: request.channelTradeNo,
        backUrl: request.notifyUrl,
        // Echoed in the refund's notification and query (§3.1), which otherwise name the payment only by
        // origQryId: this is how parseNotification says which payment a refund notice is about.
        reqReserved: request.channelOrderNo,
      });
      // A write: never repeated blindly (a lost answer is unknown; the same refundNo may be sent again later).
      const sent = await send(UNIONPAY_PATHS.back, fields, 0);
      if (!sent.ok) return { kind: 'unknown', reason: sent.reason };
      const { respCode = '', respMsg = '', queryId } = sent.fields;
      // 00 is "accepted" only: the result comes by notification or query (official demo Form_6_4_Refund, §3.3).
      if (respCode === '00') return { kind: 'accepted', refund: { state: 'processing', channelState: respCode, channelRefundNo: queryId, amount: request.amount } };
      if (UNKNOWN_CODES.includes(respCode)) return { kind: 'unknown', reason: `respCode ${respCode}: ${respMsg}` };
      if (respCode === DUPLICATE) return earlierAttempt(request, txnTime, { respCode, respMsg });
      return { kind: 'failed', code: respCode || 'no_resp_code', message: respMsg || 'UnionPay refused the refund' };
    },

    queryRefund: (ref: RefundRef) => queryRefund(ref.refundNo, txnTimeFromOrderNumber(ref.refundNo) ?? formatBeijingStamp(ref.requestedAt)),

    /**
     * The day's reconciliation file by file transfer (txnType 76, txnSubType 01, bizType 000000, fileType 00,
     * settleDate MMDD; official demo Form_7_2_FileTransfer), on the file host derived from the gateway (bill.ts).
     * A read: retried on transport trouble like queries. The answer is verified like every other before use.
     */
    async bill(day: string): Promise<BillOutcome> {
      const settleDate = settleDateOf(day);
      if (settleDate === undefined) throw new RuleError('invalid_day', `${JSON.stringify(day)} is not a clearing day such as 2026-11-26`, 'day');
      const at = now();
      const fields = signed({ txnType: '76', txnSubType: '01', bizType: '000000', accessType: '0', fileType: '00', settleDate, txnTime: formatBeijingStamp(at) });
      const sent = await send(fileTransferUrl(gateway), fields, Math.max(0, http.readRetries));
      if (!sent.ok) return { kind: 'unknown', reason: sent.reason };
      return billOutcome(sent.fields, { day, settleDate, merId: credentials.merId, now: at, unknownCodes: UNKNOWN_CODES });
    },
  };

  /**
   * 12 重复交易 for our refund number: a transaction with this orderId exists. If it is the refund that this
   * number names (same orderId + txnTime, a refund, the same amount), an earlier attempt arrived and its state
   * is the answer; the second request moved no money. Anything else means the number is taken for good.
   */
  async function earlierAttempt(request: RefundRequest, txnTime: string, refusal: { respCode: string; respMsg: string }): Promise<RefundOutcome> {
    const found = await queryRefund(request.refundNo, txnTime);
    if (found.layer === 'communication') return { kind: 'unknown', reason: `duplicate orderId, and the earlier attempt could not be read: ${found.reason}` };
    if (found.layer === 'business' && found.unknown) return { kind: 'unknown', reason: `duplicate orderId, and the query was inconclusive: respCode ${found.code}` };
    const taken = { kind: 'failed', code: refusal.respCode, message: refusal.respMsg || '重复交易' } as const;
    if (found.layer === 'business') return taken;
    const { refund } = found;
    if (refund.state === 'not-found') {
      // The orderId is used at another txnTime: not this number's refund. A number without a time cannot tell.
      return txnTimeFromOrderNumber(request.refundNo) === undefined ? { kind: 'unknown', reason: 'duplicate orderId at another txnTime' } : taken;
    }
    if (refund.amount !== undefined && refund.amount !== request.amount) return { ...taken, message: `${taken.message}: the refund number was used for another amount` };
    return { kind: 'accepted', refund };
  }

  /**
   * A refund number older than the gateway takes as "now": ask first. Found, the earlier attempt is the answer;
   * not found (34), nothing was refunded under it and it can no longer be sent, so the caller needs a new number.
   */
  async function resendOrAsk(request: RefundRequest, txnTime: string): Promise<RefundOutcome> {
    const found = await queryRefund(request.refundNo, txnTime);
    if (found.layer === 'communication') return { kind: 'unknown', reason: found.reason };
    if (found.layer === 'business') {
      // The number names a consume: no refund can be under it. Any other refusal of the query says nothing
      // about an earlier attempt, so the refund stays unknown.
      if (found.code === NOT_A_REFUND) return { kind: 'failed', code: DUPLICATE, message: '重复交易: the refund number is a payment\u2019s orderId' };
      return { kind: 'unknown', reason: `the earlier attempt could not be read: respCode ${found.code}: ${found.message}` };
    }
    if (found.refund.state === 'not-found') {
      return { kind: 'failed', code: 'refund_no_expired', message: 'the refund number\u2019s txnTime is too old to send, and UnionPay has no refund under it: use a new number' };
    }
    if (found.refund.amount !== undefined && found.refund.amount !== request.amount) {
      return { kind: 'failed', code: DUPLICATE, message: '重复交易: the refund number was used for another amount' };
    }
    return { kind: 'accepted', refund: found.refund };
  }

  /**
   * A refund by its own orderId + txnTime on queryTrans.do (RULEBOOK unionpay.query.separateRefundQuery: false).
   * respCode is the query's own result (00 worked, 34 no such transaction, others business); origRespCode is
   * the refund's: 00/A6 succeeded, 03/04/05 still processing, anything else failed (official demo Form_6_5_Query).
   */
  async function queryRefund(refundNo: string, txnTime: string): Promise<RefundQueryOutcome> {
    const sent = await queryTransaction(refundNo, txnTime);
    if (!sent.ok) return { layer: 'communication', ok: false, reason: sent.reason };
    const answer = sent.fields;
    const respCode = answer.respCode ?? '';
    if (respCode === NOT_FOUND) return { layer: 'trade', ok: true, refund: { state: 'not-found', channelState: respCode } };
    if (respCode !== '00') {
      return { layer: 'business', ok: false, code: respCode || 'no_resp_code', message: answer.respMsg ?? '', unknown: respCode === '' || UNKNOWN_CODES.includes(respCode) };
    }
    // The answer's txnType is the queried transaction's (3P field lists): a number naming a consume is no refund.
    if (answer.txnType !== undefined && answer.txnType !== '04') {
      return { layer: 'business', ok: false, code: NOT_A_REFUND, message: `orderId names a txnType ${answer.txnType} transaction`, unknown: false };
    }
    const origRespCode = answer.origRespCode;
    if (!origRespCode) return { layer: 'business', ok: false, code: 'no_orig_resp_code', message: 'respCode 00 without origRespCode', unknown: true };
    let amount: number | undefined;
    try {
      amount = answer.txnAmt === undefined ? undefined : parseFen(answer.txnAmt, 'txnAmt');
    } catch {
      amount = undefined;
    }
    const channelRefundNo = answer.queryId;
    let refund: RefundResult;
    if (STATES.succeeded.includes(origRespCode)) {
      if (amount === undefined) return { layer: 'business', ok: false, code: 'bad_txn_amt', message: 'a refunded answer without a valid txnAmt', unknown: true };
      refund = { state: 'succeeded', channelState: origRespCode, channelRefundNo, amount, succeededAt: paidAtOf(answer) };
    } else if (STATES.pending.includes(origRespCode)) {
      refund = { state: 'processing', channelState: origRespCode, channelRefundNo, amount };
    } else {
      refund = { state: 'failed', channelState: origRespCode, channelRefundNo, amount };
    }
    return { layer: 'trade', ok: true, refund };
  }

  /** queryTrans.do for one transaction (§3.3: txnType 00, txnSubType 00, bizType 000000); reads are retried. */
  function queryTransaction(orderId: string, txnTime: string): Promise<Sent> {
    const fields = signed({ txnType: '00', txnSubType: '00', bizType: '000000', accessType: '0', orderId, txnTime });
    return send(UNIONPAY_PATHS.query, fields, Math.max(0, http.readRetries));
  }

  async function query(attempt: AttemptRef): Promise<QueryOutcome> {
    // For a number without a time (never one we paid with), the attempt's creation is the best record left.
    const txnTime = txnTimeFromOrderNumber(attempt.channelOrderNo) ?? formatBeijingStamp(attempt.createdAt);
    const sent = await queryTransaction(attempt.channelOrderNo, txnTime);
    if (!sent.ok) return { layer: 'communication', ok: false, reason: sent.reason };
    const answer = sent.fields;
    const respCode = answer.respCode ?? '';
    const respMsg = answer.respMsg ?? '';
    if (respCode === NOT_FOUND) return { layer: 'trade', ok: true, trade: { state: 'not-found', channelState: respCode } };
    if (respCode !== '00') {
      return { layer: 'business', ok: false, code: respCode || 'no_resp_code', message: respMsg, unknown: respCode === '' || UNKNOWN_CODES.includes(respCode) };
    }
    const origRespCode = answer.origRespCode;
    if (!origRespCode) return { layer: 'business', ok: false, code: 'no_orig_resp_code', message: 'respCode 00 without origRespCode', unknown: true };
    const state = tradeState(origRespCode);
    if (state !== 'succeeded') return { layer: 'trade', ok: true, trade: { state, channelState: origRespCode } };
    let amount: number;
    try {
      amount = parseFen(answer.txnAmt, 'txnAmt');
    } catch {
      return { layer: 'business', ok: false, code: 'bad_txn_amt', message: 'a paid answer without a valid txnAmt', unknown: true };
    }
    return {
      layer: 'trade',
      ok: true,
      trade: {
        state,
        channelState: origRespCode,
        channelTradeNo: answer.queryId,
        amount,
        currency: 'CNY',
        paidAt: paidAtOf(answer),
      },
    };
  }
}

/**
 * A request as sent: the common fields (version 5.1.0, encoding, signMethod 01, certId, merId; `fields` may
 * override them), then the signature over all of them (§3.2). Empty values are left out of the form as well as
 * the signature, so the gateway checks exactly what was signed.
 */
export function signRequest(
  credentials: Pick<UnionpayCredentials, 'certId' | 'merId' | 'signPrivateKey'>,
  fields: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const message: Record<string, string> = {};
  const all = { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: credentials.certId, merId: credentials.merId, ...fields };
  for (const [key, value] of Object.entries(all)) if (value !== undefined && value !== '' && key !== 'signature') message[key] = value;
  return { ...message, signature: sign(message, credentials.signPrivateKey) };
}

/** origRespCode → trade state by RULEBOOK.unionpay.query.tradeStates: 00/A6 paid, 03/04/05 pending, others failed. */
export function tradeState(origRespCode: string): TradeState {
  const states = STATES;
  if (states.succeeded.includes(origRespCode)) return 'succeeded';
  if (states.pending.includes(origRespCode)) return 'pending';
  if (states.closed.includes(origRespCode)) return 'closed';
  if (states.failed.includes(origRespCode)) return 'failed';
  return states.otherwise;
}

function floorSecond(at: Date): number {
  return Math.floor(at.getTime() / 1000) * 1000;
}

