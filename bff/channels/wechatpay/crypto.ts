// WeChat Pay API v3 signatures and AEAD as pure functions over node:crypto: the merchant side (Authorization,
// paySign, verifying responses and notifications, decrypting resources) and what a sandbox playing WeChat needs
// (signing responses, encrypting resources). Rules: channel-protocols.md §1.1–1.4, §1.6; known answers: W1–W6.

import { createCipheriv, createDecipheriv, X509Certificate, type KeyObject } from 'node:crypto';
import { CashierError, isCashierError } from '../../../shared/errors/index.ts';
import {
  decodeBase64Strict,
  randomNonce,
  rsaSha256Sign,
  rsaSha256Verify,
  unixSeconds,
  type KeyInput,
} from '../crypto-util.ts';

export const AUTHORIZATION_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Signatures of WeChat's signature probes start with this; a merchant must reject them (§1.2). */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/** ±5 min, as the skills doc and wechatpay-axios-plugin (MAXIMUM_CLOCK_OFFSET) apply it (§1.2). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type WechatpayCryptoErrorCode =
  | 'invalid-key-length'
  | 'invalid-nonce'
  | 'malformed-ciphertext'
  | 'authentication-failed'
  | 'invalid-prepay-id';

export class WechatpayCryptoError extends CashierError {
  override readonly name = 'WechatpayCryptoError';
  declare readonly code: WechatpayCryptoErrorCode;

  constructor(code: WechatpayCryptoErrorCode, message: string) {
    super(code, message);
  }
}

export function isWechatpayCryptoError(value: unknown): value is WechatpayCryptoError {
  return isCashierError(value) && value.name === 'WechatpayCryptoError';
}

// ---------------------------------------------------------------------------------------------------------
// Messages and signatures

/** Every line, the last included, ends with \n; a GET has an empty body line, so the message ends "\n\n" (W1). */
function lines(...pieces: readonly string[]): string {
  return pieces.map((piece) => `${piece}\n`).join('');
}

/** §1.1: method, path+query exactly as sent (no scheme/host), Unix seconds, nonce, body exactly as sent. */
export function requestMessage(
  method: string,
  urlPathAndQuery: string,
  timestamp: string | number,
  nonce: string,
  body: string,
): string {
  // WeChat signs the method in upper case (§1.1), whatever case the caller's HTTP client was given.
  return lines(method.toUpperCase(), urlPathAndQuery, String(timestamp), nonce, body);
}

/** §1.2: what WeChat signs on responses and notifications; the body is the raw text, never re-serialised. */
export function responseMessage(timestamp: string | number, nonce: string, body: string): string {
  return lines(String(timestamp), nonce, body);
}

/** §1.6: appId, timeStamp, nonceStr, then `prepay_id=…` (JSAPI, mini-program) or the bare prepay id (APP). */
export function invokeMessage(appId: string, timeStamp: string | number, nonceStr: string, line4: string): string {
  return lines(appId, String(timeStamp), nonceStr, line4);
}

/** Base64 SHA256withRSA with the merchant key (or, in a sandbox, the platform key). */
export function sign(message: string, privateKey: KeyInput): string {
  return rsaSha256Sign(message, privateKey);
}

/** `false`, never an exception, for a malformed signature or key. */
export function verify(message: string, signatureBase64: string, publicKey: KeyInput): boolean {
  return rsaSha256Verify(message, signatureBase64, publicKey);
}

// ---------------------------------------------------------------------------------------------------------
// Authorization header (merchant → WeChat)

export interface AuthorizationParams {
  readonly mchid: string;
  /** Serial of the merchant API certificate, not of the platform certificate (§1.1). */
  readonly serialNo: string;
  readonly privateKey: KeyInput;
  readonly method: string;
  /** Path plus query exactly as sent, e.g. `/v3/pay/transactions/out-trade-no/X?mchid=1230000109`. */
  readonly url: string;
  /** The body exactly as sent; `''` for GET and for an empty-body POST. */
  readonly body: string;
  readonly timestamp?: string | number;
  readonly nonce?: string;
}

export interface AuthorizationFields {
  readonly mchid: string;
  readonly nonce_str: string;
  readonly signature: string;
  readonly timestamp: string;
  readonly serial_no: string;
}

const AUTHORIZATION_KEYS = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'] as const;

export function authorization(params: AuthorizationParams): string {
  const timestamp = String(params.timestamp ?? unixSeconds());
  const nonce = params.nonce ?? randomNonce(32);
  const message = requestMessage(params.method, params.url, timestamp, nonce, params.body);
  const fields: AuthorizationFields = {
    mchid: params.mchid,
    nonce_str: nonce,
    signature: sign(message, params.privateKey),
    timestamp,
    serial_no: params.serialNo,
  };
  // The official example's order; WeChat accepts any order (§1.1).
  return `${AUTHORIZATION_SCHEME} ${AUTHORIZATION_KEYS.map((key) => `${key}="${fields[key]}"`).join(',')}`;
}

/**
 * The scheme, one space, then exactly the five `key="value"` pairs (any order, comma-separated, no spaces,
 * no duplicates, no other keys, no empty values); anything else is `null`.
 */
export function parseAuthorization(header: string): AuthorizationFields | null {
  const prefix = `${AUTHORIZATION_SCHEME} `;
  if (typeof header !== 'string' || !header.startsWith(prefix)) return null;
  const pair = /([a-z_]+)="([^"]*)"(,|$)/y;
  pair.lastIndex = prefix.length;
  const found = new Map<string, string>();
  while (pair.lastIndex < header.length) {
    const match = pair.exec(header);
    if (match === null) return null;
    const [, key = '', value = '', separator] = match;
    if (!(AUTHORIZATION_KEYS as readonly string[]).includes(key) || found.has(key) || value === '') return null;
    found.set(key, value);
    // A trailing comma would leave lastIndex at the end with a separator still expecting another pair.
    if (separator === ',' && pair.lastIndex === header.length) return null;
  }
  if (found.size !== AUTHORIZATION_KEYS.length) return null;
  return {
    mchid: found.get('mchid') ?? '',
    nonce_str: found.get('nonce_str') ?? '',
    signature: found.get('signature') ?? '',
    timestamp: found.get('timestamp') ?? '',
    serial_no: found.get('serial_no') ?? '',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Responses and notifications (WeChat → merchant)

/** The four Wechatpay-* headers and the raw body; a missing header is `undefined` and fails as 'malformed'. */
export interface SignedResponse {
  readonly timestamp?: string | undefined;
  readonly nonce?: string | undefined;
  readonly signature?: string | undefined;
  /** Wechatpay-Serial: a platform certificate serial or a `PUB_KEY_ID_…` public-key id (§1.3). */
  readonly serial?: string | undefined;
  readonly body: string;
}

export type VerifyResponseResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: 'signtest-probe' | 'unknown-serial' | 'stale-timestamp' | 'bad-signature' | 'malformed';
    };

/** Keyed by certificate serial or public-key id; both modes can be configured at once (grey migration, §1.3). */
export type WechatpayPublicKeys = ReadonlyMap<string, KeyObject> | Readonly<Record<string, KeyObject | string>>;

function lookupKey(keys: WechatpayPublicKeys, serial: string): KeyInput | undefined {
  if (typeof (keys as { get?: unknown }).get === 'function') {
    return (keys as ReadonlyMap<string, KeyObject>).get(serial);
  }
  const record = keys as Readonly<Record<string, KeyObject | string>>;
  // Own properties only: a serial such as "constructor" must not find Object.prototype.constructor.
  return Object.hasOwn(record, serial) ? record[serial] : undefined;
}

export function verifyResponse(
  response: SignedResponse,
  publicKeys: WechatpayPublicKeys,
  nowSeconds: number,
  maxSkewSeconds: number = MAX_CLOCK_SKEW_SECONDS,
): VerifyResponseResult {
  const { timestamp, nonce, signature, serial, body } = response;
  if (!timestamp || !nonce || !signature || !serial || typeof body !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  // Checked before anything else: a probe must fail even when everything else about it is fine (§1.2).
  if (signature.startsWith(SIGNTEST_PREFIX)) return { ok: false, reason: 'signtest-probe' };
  if (!/^\d{1,12}$/.test(timestamp) || decodeBase64Strict(signature) === null) {
    return { ok: false, reason: 'malformed' };
  }
  const publicKey = lookupKey(publicKeys, serial);
  if (publicKey === undefined) return { ok: false, reason: 'unknown-serial' };
  if (Math.abs(nowSeconds - Number(timestamp)) > maxSkewSeconds) return { ok: false, reason: 'stale-timestamp' };
  return verify(responseMessage(timestamp, nonce, body), signature, publicKey)
    ? { ok: true }
    : { ok: false, reason: 'bad-signature' };
}

export interface SignResponseOptions {
  readonly timestamp?: string | number;
  readonly nonce?: string;
}

/** The Wechatpay-Timestamp / -Nonce / -Signature a sandbox playing WeChat sends with `body`. */
export function signResponse(
  privateKey: KeyInput,
  body: string,
  options: SignResponseOptions = {},
): { readonly timestamp: string; readonly nonce: string; readonly signature: string } {
  const timestamp = String(options.timestamp ?? unixSeconds());
  const nonce = options.nonce ?? randomNonce(32);
  return { timestamp, nonce, signature: sign(responseMessage(timestamp, nonce, body), privateKey) };
}

// ---------------------------------------------------------------------------------------------------------
// Client invoke parameters (§1.6, W2/W3)

interface InvokeParams {
  readonly appId: string;
  readonly prepayId: string;
  readonly privateKey: KeyInput;
  readonly timeStamp?: string | number;
  readonly nonceStr?: string;
}

export interface JsapiPayParameters {
  readonly appId: string;
  readonly timeStamp: string;
  readonly nonceStr: string;
  readonly package: string;
  readonly signType: 'RSA';
  readonly paySign: string;
}

export interface AppPayParameters {
  readonly appid: string;
  readonly partnerid: string;
  readonly prepayid: string;
  readonly package: 'Sign=WXPay';
  readonly noncestr: string;
  readonly timestamp: string;
  readonly sign: string;
}

function barePrepayId(prepayId: string): string {
  // Mixing the two line-4 forms is the most common invoke-signature bug (W3 notes): refuse a prefixed id.
  if (prepayId === '' || prepayId.startsWith('prepay_id=')) {
    throw new WechatpayCryptoError('invalid-prepay-id', 'prepayId must be the bare id returned by the order API');
  }
  return prepayId;
}

/** WeixinJSBridge getBrandWCPayRequest / wx.requestPayment (which omits appId but still signs it, W2 notes). */
export function jsapiPayParameters(params: InvokeParams): JsapiPayParameters {
  const pkg = `prepay_id=${barePrepayId(params.prepayId)}`;
  const timeStamp = String(params.timeStamp ?? unixSeconds());
  const nonceStr = params.nonceStr ?? randomNonce(32);
  const paySign = sign(invokeMessage(params.appId, timeStamp, nonceStr, pkg), params.privateKey);
  return { appId: params.appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}

/** OpenSDK PayReq; line 4 is the bare prepay id and partnerid (the mchid) is not signed (W3). */
export function appPayParameters(params: InvokeParams & { readonly mchid: string }): AppPayParameters {
  const prepayid = barePrepayId(params.prepayId);
  const timestamp = String(params.timeStamp ?? unixSeconds());
  const noncestr = params.nonceStr ?? randomNonce(32);
  const signature = sign(invokeMessage(params.appId, timestamp, noncestr, prepayid), params.privateKey);
  return {
    appid: params.appId,
    partnerid: params.mchid,
    prepayid,
    package: 'Sign=WXPay',
    noncestr,
    timestamp,
    sign: signature,
  };
}

// ---------------------------------------------------------------------------------------------------------
// AEAD_AES_256_GCM resources (§1.4, W4–W6)

export type Bytes = string | Uint8Array;

const TAG_BYTES = 16;

function bytes(value: Bytes): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/**
 * The cipher follows the key length, not `resource.algorithm`: the APIv3 key is 32 bytes (AES-256) in
 * production, but wechatpay-go's published vectors use 16-byte keys (W4, W5) and only reproduce as AES-128.
 */
function cipherFor(key: Buffer): 'aes-128-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new WechatpayCryptoError('invalid-key-length', `AES-GCM key must be 16 or 32 bytes, got ${key.length}`);
}

function ivOf(nonce: Bytes): Buffer {
  // Any length: WeChat sends 12 bytes, wechatpay-axios-plugin's vector (W6) uses 16.
  const iv = bytes(nonce);
  if (iv.length === 0) throw new WechatpayCryptoError('invalid-nonce', 'AES-GCM nonce must not be empty');
  return iv;
}

export interface AeadDecryptParams {
  /** The APIv3 key (its UTF-8 bytes when a string). */
  readonly key: Bytes;
  readonly nonce: Bytes;
  /** `resource.associated_data`; may be `''`. */
  readonly associatedData: Bytes;
  /** base64(ciphertext ‖ 16-byte tag). */
  readonly ciphertext: string;
}

/** Throws WechatpayCryptoError; 'authentication-failed' when the tag does not check (wrong key, AAD or data). */
export function aeadDecrypt(params: AeadDecryptParams): string {
  const key = bytes(params.key);
  const algorithm = cipherFor(key);
  const iv = ivOf(params.nonce);
  const sealed = decodeBase64Strict(params.ciphertext);
  if (sealed === null) throw new WechatpayCryptoError('malformed-ciphertext', 'ciphertext is not base64');
  // Shorter than the tag cannot authenticate: Go's gcm.Open reports it as an authentication failure too (W5).
  if (sealed.length < TAG_BYTES) {
    throw new WechatpayCryptoError('authentication-failed', 'ciphertext shorter than the tag');
  }
  const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  decipher.setAAD(bytes(params.associatedData));
  try {
    // final() is what checks the tag; a decryptor that skips it accepts forged resources (§5.3).
    const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    return plaintext.toString('utf8');
  } catch {
    throw new WechatpayCryptoError('authentication-failed', 'AES-GCM authentication failed');
  }
}

export interface AeadEncryptParams {
  readonly key: Bytes;
  readonly nonce: Bytes;
  readonly associatedData: Bytes;
  readonly plaintext: string;
}

/** base64(ciphertext ‖ tag), the `resource.ciphertext` (and /v3/certificates) shape. */
export function aeadEncrypt(params: AeadEncryptParams): string {
  const key = bytes(params.key);
  const cipher = createCipheriv(cipherFor(key), key, ivOf(params.nonce), { authTagLength: TAG_BYTES });
  cipher.setAAD(bytes(params.associatedData));
  const ciphertext = Buffer.concat([cipher.update(params.plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([ciphertext, cipher.getAuthTag()]).toString('base64');
}

// ---------------------------------------------------------------------------------------------------------
// Certificates

/**
 * Upper-case hex of the serial as a number, as wechatpay-go prints it (`%X` of the big.Int); Node's serialNumber
 * is printed byte by byte and may start with a zero nibble that WeChat's form does not have.
 */
export function certificateSerial(pem: string): string {
  return BigInt(`0x${new X509Certificate(pem).serialNumber}`).toString(16).toUpperCase();
}
