// The UnionPay online gateway adapter (UPACP 5.1.0, signMethod 01): gateway and WAP pay are signed forms the
// browser posts to frontTransReq.do, app pay asks appTransReq.do for a `tn`, and queries go to queryTrans.do.
// Every answer is verified with its own signPubKeyCert chained to the UnionPay CA before a field of it is used.

import ky from 'ky';
import { RULEBOOK, UNKNOWN, assertOrderNumber } from '../../../shared/channels/index.ts';
import { RuleError } from '../../../shared/errors/index.ts';
import { assertMinorUnits, parseFen } from '../../../shared/money/index.ts';
import type { UnionpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { AttemptRef, ChannelAdapter, CloseOutcome, PayOutcome, PayRequest, QueryOutcome, TradeState } from '../types.ts';
import { sign, toForm, verifyMessage } from './crypto.ts';
import { formatBeijingStamp } from '../../../shared/channels/beijing-time.ts';
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

/**
 * How long after the payTimeout we sent an unpaid order still counts as open when closing: our clock and the
 * gateway's may disagree by a little, and the gateway refuses payment only once its own clock passes payTimeout.
 */
const PAY_TIMEOUT_GRACE_MS = 60_000;

const rules = RULEBOOK.unionpay.query;
const TRADE_STATES = rules.tradeStates === UNKNOWN ? undefined : rules.tradeStates;
const UNKNOWN_CODES: readonly string[] = rules.unknownCodes === UNKNOWN ? ['03', '04', '05'] : rules.unknownCodes;

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
      last = await sendOnce(path, fields);
      // Only transport trouble is worth repeating; a verified answer, or one that fails verification, stands.
      if (last.ok || !last.reason.startsWith('transport')) return last;
    }
    return last;
  }

  async function sendOnce(path: string, fields: Record<string, string>): Promise<Sent> {
    let status: number;
    let body: string;
    try {
      const response = await ky.post(`${gateway}${path}`, {
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
  };

  async function query(attempt: AttemptRef): Promise<QueryOutcome> {
    const fields = signed({
      txnType: '00',
      txnSubType: '00',
      bizType: '000000',
      accessType: '0',
      orderId: attempt.channelOrderNo,
      // For a number without a time (never one we paid with), the attempt's creation is the best record left.
      txnTime: txnTimeFromOrderNumber(attempt.channelOrderNo) ?? formatBeijingStamp(attempt.createdAt),
    });
    const sent = await send(UNIONPAY_PATHS.query, fields, Math.max(0, http.readRetries));
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
  const states = TRADE_STATES ?? { succeeded: ['00', 'A6'], pending: ['03', '04', '05'], closed: [], failed: [], otherwise: 'failed' as const };
  if (states.succeeded.includes(origRespCode)) return 'succeeded';
  if (states.pending.includes(origRespCode)) return 'pending';
  if (states.closed.includes(origRespCode)) return 'closed';
  if (states.failed.includes(origRespCode)) return 'failed';
  return states.otherwise;
}

function floorSecond(at: Date): number {
  return Math.floor(at.getTime() / 1000) * 1000;
}

