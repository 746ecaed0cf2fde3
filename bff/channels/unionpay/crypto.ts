// UnionPay (UPACP) 5.1.0 signMethod 01 over node:crypto: the content rule, the double hash (SHA-256 hex, then
// SHA256withRSA), certId, messages verified with their own `signPubKeyCert` chained to the UnionPay root + middle
// CA, and the form encoding both ways. Rules: channel-protocols.md §3.2; known answers: U1–U3, U-CA.

import { createHash, X509Certificate } from 'node:crypto';
import { decodeBase64Strict, joinSorted, rsaSha256Sign, rsaSha256Verify, type KeyInput } from '../crypto-util.ts';

/** Form fields as decoded once from the wire; `undefined` means absent. */
export type UnionpayFields = Readonly<Record<string, string | undefined>>;

/**
 * The identity part (third `@` field) of a UnionPay signing certificate's CN: the production name, and the
 * one the test environment uses (U1). The official SDK accepts only these two; without the check any
 * merchant's certificate from the same CFCA middle CA (U2's, for one) could sign "UnionPay" notifications.
 */
export const UNIONPAY_SIGNER_IDENTITIES = ['中国银联股份有限公司', '00040000:SIGN'] as const;

/** Drop `signature` and every empty value, sort keys by byte order, join `k=v` with `&`, values raw. */
export function signContent(fields: UnionpayFields): string {
  const entries: Array<readonly [string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'signature' && value !== undefined && value !== '') entries.push([key, value]);
  }
  return joinSorted(entries);
}

/** 5.1.0 hashes twice: the RSA signature covers the 64 lower-case hex characters of SHA-256(content) (§3.2). */
function digestHex(fields: UnionpayFields): string {
  return createHash('sha256').update(signContent(fields), 'utf8').digest('hex');
}

/** The `signature` value for `fields` (which should already carry `certId` and `signMethod=01`). */
export function sign(fields: UnionpayFields, privateKey: KeyInput): string {
  return rsaSha256Sign(digestHex(fields), privateKey);
}

/** Verifies `fields.signature` with a known public key (or certificate PEM); never throws. */
export function verifyWithKey(fields: UnionpayFields, publicKey: KeyInput): boolean {
  const signature = fields.signature;
  return signature !== undefined && rsaSha256Verify(digestHex(fields), signature, publicKey);
}

/** `certId`: the signing certificate's serial number in decimal (U2). */
export function certId(certPem: string): string {
  return BigInt(`0x${new X509Certificate(certPem).serialNumber}`).toString(10);
}

// ---------------------------------------------------------------------------------------------------------
// Messages carrying signPubKeyCert (responses and notifications, U1/U3)

export interface UnionpayTrust {
  /** UnionPay root CA (PEM); the test one is SHA-1 signed, which node:crypto accepts (U-CA). */
  readonly root: string;
  readonly middle: string;
}

export interface VerifyMessageOptions {
  /**
   * Off by default: the published test messages (U1, U3) carry leaf certificates that have since expired and
   * must keep verifying, and the sandbox replays them. A production adapter may pass `checkDates: true` (the
   * official SDK checks the leaf's validity) with `now` from its own clock.
   */
  readonly checkDates?: boolean;
  readonly now?: Date;
  /** Accepted CN identities; defaults to UNIONPAY_SIGNER_IDENTITIES (production may narrow it to the first). */
  readonly signerIdentities?: readonly string[];
}

export type VerifyMessageResult =
  | { readonly ok: true; readonly certificate: X509Certificate }
  | {
      readonly ok: false;
      readonly reason: 'no-certificate' | 'untrusted-certificate' | 'bad-signature' | 'malformed';
    };

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

function withinDates(cert: X509Certificate, now: Date): boolean {
  return Date.parse(cert.validFrom) <= now.getTime() && now.getTime() <= Date.parse(cert.validTo);
}

/** Third `@`-separated part of the CN, as the official SDK reads it (`041@<org code>@<name>@<serial>`). */
function signerIdentity(cert: X509Certificate): string {
  const cn = cert.subject.split('\n').find((line) => line.startsWith('CN='));
  return cn?.slice(3).split('@')[2] ?? '';
}

/**
 * Chain first (leaf issued and signed by `middle`, `middle` by `root`), then the signer's identity, then the
 * signature with the leaf's public key. The trust anchors are configuration: unparsable PEM there throws.
 */
export function verifyMessage(
  fields: UnionpayFields,
  trust: UnionpayTrust,
  options: VerifyMessageOptions = {},
): VerifyMessageResult {
  const { signature, signPubKeyCert, signMethod } = fields;
  if (!signature || decodeBase64Strict(signature) === null || (signMethod !== undefined && signMethod !== '01')) {
    return { ok: false, reason: 'malformed' };
  }
  if (!signPubKeyCert) return { ok: false, reason: 'no-certificate' };
  const root = new X509Certificate(trust.root);
  const middle = new X509Certificate(trust.middle);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(signPubKeyCert);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const identities: readonly string[] = options.signerIdentities ?? UNIONPAY_SIGNER_IDENTITIES;
  const now = options.now ?? new Date();
  const trusted =
    issuedBy(leaf, middle) &&
    issuedBy(middle, root) &&
    identities.includes(signerIdentity(leaf)) &&
    (options.checkDates !== true || [leaf, middle, root].every((cert) => withinDates(cert, now)));
  if (!trusted) return { ok: false, reason: 'untrusted-certificate' };
  return verifyWithKey(fields, leaf.publicKey)
    ? { ok: true, certificate: leaf }
    : { ok: false, reason: 'bad-signature' };
}

// ---------------------------------------------------------------------------------------------------------
// application/x-www-form-urlencoded, both directions

/**
 * Decodes once: `+` is a space, `%0D%0A` is CRLF (kept, the certificate's line breaks are signed). A key sent
 * twice keeps its last value; callers verify and read the same record, so that cannot split the two.
 */
export function parseForm(body: string): Record<string, string> {
  // fromEntries defines own properties, so even a `__proto__` field is kept as data.
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * The WHATWG form serialiser escapes exactly what Java's URLEncoder escapes (all but A–Z a–z 0–9 `*-._`,
 * space as `+`), which is how UnionPay's SDKs and gateway write these forms (U1's raw_form round-trips).
 */
export function toForm(fields: UnionpayFields): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) form.append(key, value);
  return form.toString();
}
