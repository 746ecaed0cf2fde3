// UnionPay's side of the wire in the sandbox: checking a merchant's request the way the gateway does (envelope,
// certId, signature, then each field's format) and writing signed answers: raw `k=v&…` for synchronous APIs,
// form-encoded for notifications. Codes and rules: channel-protocols.md §3.1–3.3 (choices noted inline).

import { certId, sign, verifyWithKey, type UnionpayFields } from '../../../bff/channels/unionpay/crypto.ts';
import type { SandboxSecrets } from '../../credentials.ts';
import { parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';

type Secrets = SandboxSecrets['unionpay'];

/**
 * respCode families (§3.3: 01–09 UnionPay-side, 10–29 format, 30–59 merchant business, 60–89 cardholder/issuer).
 * The exact numbers below are our reading of UnionPay's appendix; the family is what a client acts on.
 */
export const RESP = {
  success: { respCode: '00', respMsg: 'success' },
  /** Accepted, result not yet known: the client must query (§3.3 "03/04/05"). */
  processing: { respCode: '05', respMsg: '交易已受理，请稍后查询交易结果' },
  format: '10',
  signature: '11',
  duplicate: '12',
  missing: '13',
  merchant: '31',
  /** 33 交易金额超限: a refund for more than what is left of the consume. */
  amountExceeded: '33',
  notFound: '34',
  /** 35 原交易不存在或状态不正确: origQryId names no paid consume of this merchant, or one past its refund window. */
  original: '35',
} as const;

export interface Rejection {
  readonly respCode: string;
  readonly respMsg: string;
}

/** origRespCode of a consume that failed: the customer's issuer declined (60–89), or payTimeout passed first. */
export const DECLINED: Rejection = { respCode: '60', respMsg: '交易失败，详情请咨询您的发卡行' };
export const TIMED_OUT: Rejection = { respCode: '01', respMsg: '交易失败[订单已超过支付超时时间]' };

/**
 * How far txnTime may be from the gateway's clock. UnionPay says only that it must be "now" (txnTime无效
 * otherwise, §3.3) and publishes no window: ten minutes either way is our choice. Queries are exempt, since they
 * repeat the original txnTime.
 */
export const TXN_TIME_WINDOW_MS = 10 * 60_000;

/** What a transaction request must say, per endpoint (§3.1, §3.3). */
export interface Expectation {
  readonly txnType: string;
  readonly txnSubType: string;
  readonly bizType: string;
  /**
   * New transactions carry a fresh txnTime, amount and URLs; a query names an old one; a back transaction
   * (refund) names its original by origQryId and carries no currencyCode (official demo Form_6_4_Refund).
   */
  readonly kind: 'front' | 'app' | 'query' | 'back';
}

export const CONSUME_FRONT: Expectation = { txnType: '01', txnSubType: '01', bizType: '000201', kind: 'front' };
export const CONSUME_APP: Expectation = { txnType: '01', txnSubType: '01', bizType: '000201', kind: 'app' };
export const QUERY: Expectation = { txnType: '00', txnSubType: '00', bizType: '000000', kind: 'query' };
/** Refund (退货, §3.3): txnType 04, txnSubType 00, on the consume's product (000201). */
export const REFUND: Expectation = { txnType: '04', txnSubType: '00', bizType: '000201', kind: 'back' };

export type Checked = { readonly ok: true; readonly fields: Record<string, string> } | ({ readonly ok: false } & Rejection);

const reject = (respCode: string, respMsg: string): Checked => ({ ok: false, respCode, respMsg });

const ORDER_ID = /^[0-9A-Za-z]{8,32}$/;
const URL_PATTERN = /^https?:\/\/[^\s]+$/;

/**
 * The gateway's checks in order: envelope (version, encoding, signMethod), merchant and certId, the signature
 * over everything sent, then the fields. Signature trouble answers 11, format 10, missing fields 13, an unknown
 * merchant 31. The envelope comes first because it says how to read the rest.
 */
export function checkRequest(fields: Record<string, string>, expect: Expectation, secrets: Secrets, now: Date): Checked {
  const envelope = checkEnvelope(fields, secrets);
  return envelope.ok ? checkFields(fields, expect, now) : envelope;
}

/** Version, encoding, signMethod, merchant, certId and the signature: what every endpoint checks first. */
export function checkEnvelope(fields: Record<string, string>, secrets: Secrets): Checked {
  const present = (name: string): boolean => (fields[name] ?? '') !== '';
  for (const name of ['version', 'encoding', 'signMethod', 'certId', 'signature', 'merId']) {
    if (!present(name)) return reject(RESP.missing, `${name}不能为空`);
  }
  // 5.0.0 (SHA-1) still exists at UnionPay; the sandbox speaks only 5.1.0.
  if (fields.version !== '5.1.0') return reject(RESP.format, 'version无效[沙箱仅支持5.1.0]');
  if (fields.encoding?.toUpperCase() !== 'UTF-8') return reject(RESP.format, 'encoding无效');
  if (fields.signMethod !== '01') return reject(RESP.format, 'signMethod无效');
  if (fields.merId !== secrets.merId) return reject(RESP.merchant, '商户状态不正确[商户号不存在]');
  if (fields.certId !== certId(secrets.merchantCertificate)) return reject(RESP.signature, '验证签名失败[certId不正确]');
  if (!verifyWithKey(fields, secrets.merchantCertificate)) return reject(RESP.signature, '验证签名失败');
  return { ok: true, fields };
}

/** The transaction's own fields, once the envelope and signature are good. */
export function checkFields(fields: Record<string, string>, expect: Expectation, now: Date): Checked {
  const present = (name: string): boolean => (fields[name] ?? '') !== '';
  const required =
    expect.kind === 'query'
      ? ['txnType', 'txnSubType', 'bizType', 'accessType', 'orderId', 'txnTime']
      : ['txnType', 'txnSubType', 'bizType', 'channelType', 'accessType', 'orderId', 'txnTime', 'txnAmt', 'backUrl'];
  if (expect.kind === 'front' || expect.kind === 'app') required.push('currencyCode');
  if (expect.kind === 'front') required.push('frontUrl');
  if (expect.kind === 'back') required.push('origQryId');
  for (const name of required) if (!present(name)) return reject(RESP.missing, `${name}不能为空`);

  if (fields.txnType !== expect.txnType || fields.txnSubType !== expect.txnSubType) {
    return reject(RESP.format, 'txnType或txnSubType无效');
  }
  if (fields.bizType !== expect.bizType) return reject(RESP.format, 'bizType无效');
  if (fields.accessType !== '0') return reject(RESP.format, 'accessType无效[沙箱仅支持商户直连接入0]');
  if (!ORDER_ID.test(fields.orderId ?? '')) return reject(RESP.format, 'orderId格式错误[8-32位数字字母]');
  const txnTime = parseBeijingStamp(fields.txnTime ?? '');
  if (!txnTime) return reject(RESP.format, 'txnTime无效');
  if (expect.kind === 'query') return { ok: true, fields };

  if (Math.abs(txnTime.getTime() - now.getTime()) > TXN_TIME_WINDOW_MS) return reject(RESP.format, 'txnTime无效');
  if (fields.channelType !== '07' && fields.channelType !== '08') return reject(RESP.format, 'channelType无效');
  // Integer fen, no decimal point, no leading zero (§3.3).
  if (!/^[1-9]\d{0,11}$/.test(fields.txnAmt ?? '')) return reject(RESP.format, 'txnAmt无效');
  // A refund takes the consume's currency; one that says so anyway must say CNY.
  if (present('currencyCode') || expect.kind !== 'back') {
    if (fields.currencyCode !== '156') return reject(RESP.format, 'currencyCode无效');
  }
  // queryId as UnionPay writes it: 21 digits (U3; the official .NET demo page's pattern for origQryId).
  if (expect.kind === 'back' && !/^\d{21}$/.test(fields.origQryId ?? '')) return reject(RESP.format, 'origQryId无效');
  if (!URL_PATTERN.test(fields.backUrl ?? '')) return reject(RESP.format, 'backUrl无效');
  if (expect.kind === 'front' && !URL_PATTERN.test(fields.frontUrl ?? '')) return reject(RESP.format, 'frontUrl无效');
  if (present('payTimeout')) {
    const payTimeout = parseBeijingStamp(fields.payTimeout ?? '');
    if (!payTimeout) return reject(RESP.format, 'payTimeout无效');
    // After payTimeout the gateway refuses the order (official demo comment on payTimeout).
    if (payTimeout.getTime() <= now.getTime()) return reject(RESP.format, 'payTimeout无效[已超时]');
  }
  return { ok: true, fields };
}

/** The answer's fields plus signPubKeyCert (inside the signed content, §3.2) and the signature. */
export function signAnswer(fields: Record<string, string | undefined>, secrets: Secrets): Record<string, string> {
  const answer: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') answer[key] = value;
  answer.signPubKeyCert = secrets.signerCertificate;
  answer.signature = sign(answer as UnionpayFields, secrets.signerPrivateKey);
  return answer;
}

/**
 * Synchronous answers are written raw, `k=v` joined by `&` in key order, values not URL-encoded (what the
 * published clients parse: smartwalle/unionpay keeps values undecoded). A value with `&` breaks that format
 * at the merchant's end, which is why UnionPay warns against such characters in reqReserved.
 */
export function rawAnswer(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key] ?? ''}`)
    .join('&');
}

/** Request fields echoed in every answer, when they look like what they should be (never free text). */
const ECHOED = ['version', 'encoding', 'txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'orderId', 'txnTime'] as const;

export function echo(fields: Record<string, string>): Record<string, string> {
  const echoed: Record<string, string> = { signMethod: '01' };
  for (const name of ECHOED) {
    const value = fields[name];
    if (value !== undefined && /^[0-9A-Za-z.-]{1,40}$/.test(value)) echoed[name] = value;
  }
  echoed.version = '5.1.0';
  return echoed;
}

/** A signed refusal: UnionPay signs its error answers too, so a client can tell them from a forgery. */
export function refusal(fields: Record<string, string>, rejection: Rejection, secrets: Secrets): string {
  return rawAnswer(signAnswer({ ...echo(fields), respCode: rejection.respCode, respMsg: rejection.respMsg }, secrets));
}
