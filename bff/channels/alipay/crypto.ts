// Alipay OpenAPI 2.0 (gateway.do) RSA2 signatures over node:crypto: signing requests and checking them as the
// gateway does, verifying async notifications and sync responses (and signing responses for a sandbox playing
// Alipay), plus the certificate-mode serial numbers. Rules: channel-protocols.md §2.1–2.3; known answers: A1–A5.

import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { joinSorted, loadPrivateKey, loadPublicKey, rsaSha256Sign, rsaSha256Verify } from '../crypto-util.ts';

/** A KeyObject, or key text in any form `loadPrivateKey` / `loadPublicKey` accept. */
export type AlipayKey = KeyObject | string;

/** Form fields as decoded once from the wire; `undefined` means absent. */
export type AlipayFields = Readonly<Record<string, string | undefined>>;

// Keys (A3): PEM or the bare base64 "no wrapper" files Alipay's key tool writes; the loaders live in crypto-util.
export { loadPrivateKey, loadPublicKey } from '../crypto-util.ts';

function privateKeyOf(key: AlipayKey): KeyObject {
  return typeof key === 'string' ? loadPrivateKey(key) : key;
}

function publicKeyOf(key: AlipayKey): KeyObject | null {
  try {
    if (typeof key === 'string') return loadPublicKey(key);
    return key.type === 'private' ? createPublicKey(key) : key;
  } catch {
    return null;
  }
}

function verifyRsa2(content: string, sign: string | undefined, publicKey: AlipayKey): boolean {
  if (!sign) return false;
  const key = publicKeyOf(publicKey);
  return key !== null && rsaSha256Verify(content, sign, key);
}

// ---------------------------------------------------------------------------------------------------------
// Parameter signatures (requests §2.1, notifications §2.3)

export interface SignContentOptions {
  /** Keys left out of the content (`sign`; for trade notifications also `sign_type`). */
  readonly exclude: readonly string[];
  /** Requests drop empty values (§2.1); notifications keep them as `key=` (§2.3, the SDK's behaviour). */
  readonly dropEmpty: boolean;
}

/** Sorted by key bytes, `k=v` joined with `&`, values exactly as given (never URL-decoded or re-serialised). */
export function signContent(params: AlipayFields, options: SignContentOptions): string {
  const entries: Array<readonly [string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || options.exclude.includes(key)) continue;
    if (options.dropEmpty && value === '') continue;
    entries.push([key, value]);
  }
  return joinSorted(entries);
}

const REQUEST_CONTENT: SignContentOptions = { exclude: ['sign'], dropEmpty: true };

/** `params` (absent ones left out) plus `sign` over everything except `sign`, `sign_type` included (§2.1). */
export function signParams(params: AlipayFields, privateKey: AlipayKey): Readonly<Record<string, string>> {
  return withSign(params, rsaSha256Sign(signContent(params, REQUEST_CONTENT), privateKeyOf(privateKey)));
}

function withSign(fields: AlipayFields, sign: string): Readonly<Record<string, string>> {
  const kept = Object.entries(fields).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[0] !== 'sign',
  );
  // fromEntries defines own properties, so even a `__proto__` parameter stays data.
  return Object.fromEntries([...kept, ['sign', sign]]);
}

/**
 * The gateway's check of a request: every received parameter except `sign` (query and form merged; the SDK's
 * extra `alipay_sdk` is signed too, §2.1), empty values dropped.
 */
export function verifyParams(params: AlipayFields, publicKey: AlipayKey): boolean {
  return isRsa2(params) && verifyRsa2(signContent(params, REQUEST_CONTENT), params.sign, publicKey);
}

/**
 * Only RSA2 is implemented; a message naming another sign type is refused rather than checked as RSA2 (in
 * trade notifications sign_type is outside the signed content, so it is the one field a forger could change).
 */
function isRsa2(fields: AlipayFields): boolean {
  return fields.sign_type === undefined || fields.sign_type === 'RSA2';
}

export interface SignNotifyOptions {
  /** Sign with `sign_type` in the content, as some non-trade notifications are (A2); trade ones are not (A1). */
  readonly keepSignType?: boolean;
}

/** What a sandbox playing Alipay posts: `fields` (absent ones left out) plus `sign`, empty values signed as `key=`. */
export function signNotify(
  fields: AlipayFields,
  privateKey: AlipayKey,
  options: SignNotifyOptions = {},
): Readonly<Record<string, string>> {
  const exclude = options.keepSignType === true ? ['sign'] : ['sign', 'sign_type'];
  return withSign(fields, rsaSha256Sign(signContent(fields, { exclude, dropEmpty: false }), privateKeyOf(privateKey)));
}

/**
 * Async notification (§2.3): trade notifications are signed without `sign_type` (A1), some others with it
 * (A2), so the content with `sign_type` is tried first, then without, as the SDK does. Empty values stay.
 */
export function verifyNotify(fields: AlipayFields, alipayPublicKey: AlipayKey): boolean {
  if (!isRsa2(fields)) return false;
  const withSignType = signContent(fields, { exclude: ['sign'], dropEmpty: false });
  if (verifyRsa2(withSignType, fields.sign, alipayPublicKey)) return true;
  const withoutSignType = signContent(fields, { exclude: ['sign', 'sign_type'], dropEmpty: false });
  return withoutSignType !== withSignType && verifyRsa2(withoutSignType, fields.sign, alipayPublicKey);
}

// ---------------------------------------------------------------------------------------------------------
// Sync responses (§2.2, A4)

/** Where the JSON object or string starting at `start` ends (exclusive), or -1. Strings are skipped whole. */
function endOfJsonValue(text: string, start: number): number {
  const first = text[start];
  if (first !== '{' && first !== '[' && first !== '"') return -1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The raw text of the `<responseKey>` value, cut from the body, never rebuilt from parsed JSON (A4). README A4
 * ends it at the last `,"sign"`; scanning to the end of the value gives the same substring and also works in
 * certificate mode, where `"alipay_cert_sn":"…"` sits between the value and `sign` (gopay `getSignData`), and
 * for AES-encrypted responses, whose value is a JSON string. `null` when the key is not in the body.
 */
export function responseSignedContent(raw: string, responseKey: string): string | null {
  const needle = `"${responseKey}":`;
  const at = raw.indexOf(needle);
  if (at < 0) return null;
  const start = at + needle.length;
  const end = endOfJsonValue(raw, start);
  return end < 0 ? null : raw.slice(start, end);
}

/** Checks `sign` over the `<responseKey>` value, or over `error_response` when the gateway answered with that. */
export function verifyResponse(raw: string, responseKey: string, publicKey: AlipayKey): boolean {
  let sign: unknown;
  try {
    sign = (JSON.parse(raw) as { sign?: unknown } | null)?.sign;
  } catch {
    return false;
  }
  if (typeof sign !== 'string') return false;
  const content = responseSignedContent(raw, responseKey) ?? responseSignedContent(raw, 'error_response');
  return content !== null && verifyRsa2(content, sign, publicKey);
}

export interface SignResponseOptions {
  /** Certificate mode: the Alipay public certificate SN, placed between the value and `sign`. */
  readonly alipayCertSn?: string;
}

/**
 * The full body a sandbox playing Alipay returns: `{"<key>":<json>,"sign":"…"}` around the given JSON text,
 * which is signed and embedded byte for byte (re-serialising would change what the signature covers).
 */
export function signResponse(
  responseKey: string,
  responseJsonText: string,
  privateKey: AlipayKey,
  options: SignResponseOptions = {},
): string {
  if (!/^[a-z0-9_]+$/.test(responseKey)) throw new TypeError(`not an Alipay response key: ${responseKey}`);
  const head = `{"${responseKey}":${responseJsonText}`;
  // One JSON object or string with nothing around it, else verifiers would cut a different substring.
  if (responseSignedContent(head, responseKey) !== responseJsonText || !isJson(responseJsonText)) {
    throw new TypeError('responseJsonText must be a single JSON object (or string) without surrounding text');
  }
  const sign = rsaSha256Sign(responseJsonText, privateKeyOf(privateKey));
  const certSn = options.alipayCertSn === undefined ? '' : `,"alipay_cert_sn":${JSON.stringify(options.alipayCertSn)}`;
  return `${head}${certSn},"sign":"${sign}"}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Certificate mode (A5)

/**
 * MD5 (lower-case hex) of the issuer DN written most specific RDN first, comma-joined without spaces, followed
 * by the decimal serial. Node prints the issuer one RDN per line, least specific first (RFC 2253 escaping),
 * which is the same text reversed for the plain ASCII names Alipay's CAs use.
 */
export function certSn(pem: string): string {
  return snOf(new X509Certificate(pem));
}

function snOf(cert: X509Certificate): string {
  const issuer = cert.issuer.split('\n').reverse().join(',');
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  return createHash('md5').update(`${issuer}${serial}`, 'utf8').digest('hex');
}

// DER of the AlgorithmIdentifier OIDs the root SN keeps (1.2.840.113549.1.1.5 and .11).
const RSA_SIGNATURE_OIDS = new Set(['2a864886f70d010105', '2a864886f70d01010b']);

interface DerElement {
  readonly tag: number;
  /** Where the content starts and ends (exclusive). */
  readonly start: number;
  readonly end: number;
}

/** Reads the DER tag-length header at `offset` (short or long definite length form). */
function derElement(der: Buffer, offset: number): DerElement {
  const tag = der[offset] ?? -1;
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { tag, start: offset + 2, end: offset + 2 + first };
  const size = first & 0x7f;
  let length = 0;
  for (let i = 0; i < size; i += 1) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return { tag, start: offset + 2 + size, end: offset + 2 + size + length };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, … }, signature }. */
function signatureAlgorithmOidHex(cert: X509Certificate): string {
  const der = cert.raw;
  const certificate = derElement(der, 0);
  const tbs = derElement(der, certificate.start);
  const algorithm = derElement(der, tbs.end);
  const oid = derElement(der, algorithm.start);
  return oid.tag === 0x06 ? der.subarray(oid.start, oid.end).toString('hex') : '';
}

/**
 * `alipay_root_cert_sn`: the SNs of the bundle's sha1WithRSA / sha256WithRSA certificates in file order, joined
 * with `_`; the SM2 and ECDSA roots are skipped (README A5). (alipay-sdk keeps every 1.2.840.113549.1.1.* OID,
 * which gives the same answer for Alipay's bundle.)
 */
export function rootCertSn(bundlePem: string): string {
  const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks
    .map((block) => new X509Certificate(block))
    .filter((cert) => RSA_SIGNATURE_OIDS.has(signatureAlgorithmOidHex(cert)))
    .map(snOf)
    .join('_');
}

/** The Alipay public key in certificate mode: the certificate's SPKI, base64 (the "no wrapper" form). */
export function publicKeyBase64FromCert(pem: string): string {
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}
