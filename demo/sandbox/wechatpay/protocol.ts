// WeChat Pay's half of the API v3 envelope, as the sandbox plays it: the merchant's Authorization checked
// strictly (channel-protocols.md §1.1), every answer signed with the platform key under its PUB_KEY_ID (§1.2–1.3),
// WeChat's `{code, message}` error bodies, the id and time formats WeChat writes, and the two ways a bad day at
// WeChat looks from outside (a signed 500 SYSTEM_ERROR, or no answer at all).

import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { unixSeconds } from '../../../bff/channels/crypto-util.ts';
import { MAX_CLOCK_SKEW_SECONDS, parseAuthorization, requestMessage, signResponse, verify } from '../../../bff/channels/wechatpay/crypto.ts';
import type { SandboxSecrets } from '../../credentials.ts';
import type { FaultBook } from '../faults.ts';
import type { SandboxClock } from '../types.ts';
import { formatBeijingStamp } from '../../../shared/channels/beijing-time.ts';

export type WechatpaySecrets = SandboxSecrets['wechatpay'];

/** What the sandbox needs to play WeChat: the merchant's public halves and its own platform key. */
export interface WechatpayEnv {
  readonly secrets: WechatpaySecrets;
  readonly merchantPublicKey: KeyObject;
  readonly platformPrivateKey: KeyObject;
  readonly clock: SandboxClock;
  /** The scripted faults this channel acts out itself (forged and probing notifications, failing queries…). */
  readonly faults: FaultBook;
  /** A key that is not the platform key, for the `forgeSignature` fault. */
  forgeryKey(): KeyObject;
}

export function wechatpayEnv(secrets: WechatpaySecrets, clock: SandboxClock, faults: FaultBook): WechatpayEnv {
  let forgery: KeyObject | undefined;
  // Made off the event loop at start: generating it in the middle of a delivery would stall every other
  // notification and answer for a few hundred milliseconds. Needed before it is ready, it is made on the spot.
  generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) => {
    if (!error) forgery ??= privateKey;
  });
  return {
    secrets,
    merchantPublicKey: createPublicKey(secrets.merchantPublicKey),
    platformPrivateKey: createPrivateKey(secrets.platformPrivateKey),
    clock,
    faults,
    forgeryKey: () => (forgery ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Answers

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * A signed answer: the body exactly as sent is what is signed (§1.2), a 204 signs an empty body line, and every
 * answer, errors included, carries Request-ID and the four Wechatpay-* headers. The serial is the PUB_KEY_ID:
 * the demo merchant is in public-key mode (§1.3).
 */
export function signedAnswer(env: WechatpayEnv, status: number, payload?: object): Response {
  const body = payload === undefined || status === 204 ? '' : JSON.stringify(payload);
  const { timestamp, nonce, signature } = signResponse(env.platformPrivateKey, body, {
    timestamp: unixSeconds(env.clock.now().getTime()),
  });
  const headers = new Headers({
    'Request-ID': requestId(),
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': env.secrets.platformPublicKeyId,
  });
  if (body !== '') headers.set('Content-Type', 'application/json; charset=utf-8');
  return new Response(body === '' ? null : body, { status, headers });
}

export function errorAnswer(env: WechatpayEnv, status: number, error: ErrorBody): Response {
  return signedAnswer(env, status, error);
}

export const SYSTEM_ERROR = { code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' } as const;

/** How long a "timeout" query is held before the connection is let go (long past any client's timeout). */
export const HANG_MS = 30_000;

/**
 * The `queryFailure: 'timeout'` fault: WeChat takes the request and says nothing. The request is held until the
 * client gives up (its abort closes the connection, so a test's server can close) or HANG_MS pass; then it gets
 * an unsigned 504, what a proxy in front of a silent WeChat would say, which no merchant may trust (§1.2). The timer
 * is unref'd: a hanging request never keeps a test process alive.
 */
export async function hang(signal: AbortSignal, ms: number = HANG_MS): Promise<Response> {
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
  return new Response(null, { status: 504 });
}

/** The query faults of the order `key` (§1.6 queries, §1.8 refund queries): a signed 500, a hang, or nothing. */
export async function queryFault(env: WechatpayEnv, key: string, signal: AbortSignal): Promise<Response | undefined> {
  const failure = env.faults.takeQueryFailure('wechatpay', key);
  if (failure === '5xx') return errorAnswer(env, 500, SYSTEM_ERROR);
  if (failure === 'timeout') return hang(signal);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Request verification (§1.1)

function signError(env: WechatpayEnv, message: string, detail?: Record<string, unknown>): Response {
  return errorAnswer(env, 401, { code: 'SIGN_ERROR', message, ...(detail ? { detail } : {}) });
}

/**
 * Checks the Authorization of every API request before anything else, as WeChat does: the header's strict shape,
 * our mchid, the merchant certificate's serial, a timestamp within ±5 min of the channel's clock, and the
 * signature over method, path and query exactly as received, timestamp, nonce and the raw body.
 */
export function verifyMerchant(env: WechatpayEnv): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    const fields = header === undefined ? null : parseAuthorization(header);
    if (fields === null) return signError(env, 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》');
    if (fields.mchid !== env.secrets.mchid) return signError(env, '商户号与签名证书不匹配 (mchid)');
    // WeChat writes serials in upper-case hex; a lower-case copy of the same serial is the same certificate.
    if (fields.serial_no.toUpperCase() !== env.secrets.merchantSerialNo.toUpperCase()) {
      return signError(env, '商户证书序列号有误 (serial_no)');
    }
    // Seconds only: a millisecond timestamp is one of WeChat's listed 401 causes (§1.1) and fails here as stale.
    const now = Number(unixSeconds(env.clock.now().getTime()));
    if (!/^\d{1,12}$/.test(fields.timestamp) || Math.abs(now - Number(fields.timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
      return signError(env, '签名时间戳已过期或不合法 (timestamp)');
    }
    const url = new URL(c.req.url);
    const target = `${url.pathname}${url.search}`;
    const body = await c.req.text();
    const message = requestMessage(c.req.method, target, fields.timestamp, fields.nonce_str, body);
    if (!verify(message, fields.signature, env.merchantPublicKey)) {
      // WeChat returns what it signed over so that a merchant can compare; the message itself holds no secret.
      return signError(env, '错误的签名，验签失败', {
        detail: { issue: 'sign not match' },
        field: 'signature',
        location: 'authorization',
        sign_information: {
          method: c.req.method,
          url: target,
          sign_message_length: Buffer.byteLength(message, 'utf8'),
          truncated_sign_message: message.slice(0, 64),
        },
      });
    }
    await next();
  };
}

// ---------------------------------------------------------------------------------------------------------
// Ids and times as WeChat writes them

const HEX = '0123456789abcdef';

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += String(randomInt(10));
  return out;
}

/** `wx` + Beijing time to the second + 22 hex characters: the 36-character shape of WeChat's examples (§1.6). */
export function newPrepayId(at: Date): string {
  let tail = '';
  for (const byte of randomBytes(22)) tail += HEX[byte % 16];
  return `wx${formatBeijingStamp(at)}${tail}`;
}

/** 28 digits, `4200000…` + date, the shape of WeChat transaction ids. */
export function newTransactionId(at: Date): string {
  return `42000${digits(5)}${formatBeijingStamp(at).slice(0, 8)}${digits(10)}`;
}

/**
 * 29 digits, `503` + 5 digits + the date + 13 digits: the shape of refund_id in WeChat's examples
 * (50000000382019052709732678859, 50300604212020051600550537447).
 */
export function newRefundId(at: Date): string {
  return `503${digits(5)}${formatBeijingStamp(at).slice(0, 8)}${digits(13)}`;
}

export function requestId(): string {
  return randomBytes(18).toString('hex').toUpperCase();
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The instant of an RFC 3339 date-time with seconds and an offset (what time_expire requires), else null. */
export function parseRfc3339(text: string): Date | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const offset = match[8] ?? '';
  const check = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0));
  // Date.UTC rolls 2026-02-30 over to March; a calendar date that does not exist is not a date.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== (month ?? 1) - 1 || (hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) {
    return null;
  }
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
