// Pieces the three channels' signature code shares: SHA256withRSA (RSASSA-PKCS1-v1_5) over UTF-8 text,
// strict base64, byte-order `k=v&…` joining and random nonces. Everything is node:crypto; nothing here knows
// a channel's rules (those live in bff/channels/<id>/crypto.ts).

import { createPrivateKey, createPublicKey, randomInt, sign, verify, type KeyObject } from 'node:crypto';

/** A key as a KeyObject or as PEM text (for public keys also an X.509 certificate PEM). */
export type KeyInput = KeyObject | string;

export function toPrivateKey(key: KeyInput): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}

/** A private KeyObject is accepted too and yields its public half (handy for round-trip tests). */
export function toPublicKey(key: KeyInput): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** SHA256withRSA, PKCS#1 v1.5 (deterministic), base64 with padding: the "RSA2" of every channel here. */
export function rsaSha256Sign(message: string, privateKey: KeyInput): string {
  return sign('sha256', Buffer.from(message, 'utf8'), toPrivateKey(privateKey)).toString('base64');
}

/** Never throws: a malformed signature, a non-RSA or unparsable key all give `false`. */
export function rsaSha256Verify(message: string, signatureBase64: string, publicKey: KeyInput): boolean {
  const signature = decodeBase64Strict(signatureBase64);
  if (signature === null || signature.length === 0) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), toPublicKey(publicKey), signature);
  } catch {
    return false;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Canonical base64 only. Buffer.from(…, 'base64') skips foreign characters and ignores stray padding bits, so
 * "sig!" or a changed last character could decode to the same bytes: a tampered signature would still verify.
 */
export function decodeBase64Strict(text: string): Buffer | null {
  if (typeof text !== 'string' || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/** Sorts by the UTF-8 bytes of the key (what "ASCII order" means in the channels' Java SDKs for ASCII keys). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `k=v` pairs sorted by key bytes and joined with `&`, values raw (never URL-encoded). */
export function joinSorted(entries: ReadonlyArray<readonly [string, string]>): string {
  return [...entries]
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random alphanumeric string (WeChat's nonce_str / nonceStr: at most 32 characters). */
export function randomNonce(length = 32): string {
  let nonce = '';
  for (let i = 0; i < length; i += 1) nonce += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return nonce;
}

/** Unix time in whole seconds, as the channels write it. */
export function unixSeconds(now: number = Date.now()): string {
  return String(Math.floor(now / 1000));
}

// Keys: PEM (PKCS#1, PKCS#8, SPKI, or a certificate), or bare base64 DER ("no wrapper", as Alipay's key tool
// writes them).

function bareDer(text: string): Buffer {
  const der = decodeBase64Strict(text.replace(/\s+/g, ''));
  if (der === null || der.length === 0) throw new TypeError('key is neither PEM nor base64 DER');
  return der;
}

function isPem(text: string): boolean {
  return text.includes('-----BEGIN ');
}

export function loadPrivateKey(text: string): KeyObject {
  if (isPem(text)) return createPrivateKey(text);
  const der = bareDer(text);
  // Trying the DER types beats guessing from the base64 prefix (MIIEv… vs MIIEo… only holds for 2048-bit keys).
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

export function loadPublicKey(text: string): KeyObject {
  if (isPem(text)) return createPublicKey(text);
  const der = bareDer(text);
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}
