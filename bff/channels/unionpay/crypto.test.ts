import { createHash, generateKeyPairSync, verify as rsaVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import uca from '../../../test/fixtures/vectors/unionpay-test-ca.json' with { type: 'json' };
import u2 from '../../../test/fixtures/vectors/unionpay-u2-request-signature.json' with { type: 'json' };
import w4 from '../../../test/fixtures/vectors/wechatpay-w4-notification.json' with { type: 'json' };
import {
  certId,
  parseForm,
  sign,
  signContent,
  toForm,
  UNIONPAY_SIGNER_IDENTITIES,
  verifyMessage,
  verifyWithKey,
} from './crypto.ts';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const trust = { root: uca.root_pem, middle: uca.middle_pem };

/** Every record that differs from `fields` in one character of one value (each position of each value). */
function oneCharEdits(fields: Readonly<Record<string, string>>): Array<Record<string, string>> {
  return Object.entries(fields).flatMap(([key, value]) =>
    [...value].map((char, i) => {
      const changed = `${value.slice(0, i)}${char === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`;
      return { ...fields, [key]: changed };
    }),
  );
}

const request = {
  version: '5.1.0',
  encoding: 'utf-8',
  signMethod: '01',
  txnType: '01',
  txnSubType: '01',
  bizType: '000201',
  channelType: '07',
  accessType: '0',
  merId: '777290058167151',
  orderId: 'ORDER20240501',
  txnTime: '20240501120000',
  txnAmt: '1',
  currencyCode: '156',
  frontUrl: 'https://m.example.com/return?a=1&b=2',
  reqReserved: '{"k":"中文"}',
  certId: '69903319369',
};

describe('signContent', () => {
  it('drops signature and empty values, sorts by key bytes, joins raw values', () => {
    expect(signContent({ b: '1', a: 'x&y', signature: 'S', e: '', u: undefined, A: 'Z', cert: 'l1\r\nl2' })).toBe(
      'A=Z&a=x&y&b=1&cert=l1\r\nl2',
    );
  });
});

describe('sign / verifyWithKey', () => {
  const signature = sign(request, merchant.privateKey);
  const signed = { ...request, signature };

  it('round trip, and the RSA signature is over the lower-case hex SHA-256 (double hash)', () => {
    expect(verifyWithKey(signed, merchant.publicKey)).toBe(true);
    const hex = createHash('sha256').update(signContent(request)).digest('hex');
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const bytes = Buffer.from(signature, 'base64');
    expect(rsaVerify('sha256', Buffer.from(hex), merchant.publicKey, bytes)).toBe(true);
    expect(rsaVerify('sha256', Buffer.from(hex.toUpperCase()), merchant.publicKey, bytes)).toBe(false);
  });

  it('empty fields and a stale signature field do not change the signature', () => {
    expect(sign({ ...request, signature: 'old', payTimeout: '' }, merchant.privateKey)).toBe(signature);
  });

  it('changing any one character of any value, adding or removing a field fails', () => {
    for (const tampered of oneCharEdits(request)) {
      expect(verifyWithKey({ ...tampered, signature }, merchant.publicKey)).toBe(false);
    }
    expect(verifyWithKey({ ...signed, reserved: 'x' }, merchant.publicKey)).toBe(false);
    const { reqReserved: _, ...removed } = signed;
    expect(verifyWithKey(removed, merchant.publicKey)).toBe(false);
  });

  it('missing or malformed signatures and wrong keys give false', () => {
    expect(verifyWithKey(request, merchant.publicKey)).toBe(false);
    expect(verifyWithKey({ ...request, signature: '' }, merchant.publicKey)).toBe(false);
    expect(verifyWithKey({ ...request, signature: `${signature}=` }, merchant.publicKey)).toBe(false);
    expect(verifyWithKey(signed, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)).toBe(false);
    expect(verifyWithKey(signed, 'garbage')).toBe(false);
  });
});

describe('certId', () => {
  it('is the decimal serial', () => {
    expect(certId(u2.merchant.certificate_pem)).toBe('69903319369');
  });
});

describe('verifyMessage', () => {
  // The published test merchant key and certificate (U2) chain to the test CA, so they can sign fresh messages;
  // their CN identity is not UnionPay's, so they pass only when that identity is explicitly allowed.
  const merchantIdentity = '700000000000001:SIGN';
  const fields = { ...request, respCode: '00', respMsg: 'success', signPubKeyCert: u2.merchant.certificate_pem };
  const message = { ...fields, signature: sign(fields, u2.merchant.private_key_pkcs8_pem) };
  const allowMerchant = { signerIdentities: [merchantIdentity] };

  it('accepts a message whose certificate chains to the CA and carries an allowed identity', () => {
    const result = verifyMessage(message, trust, allowMerchant);
    expect(result.ok).toBe(true);
    if (result.ok) expect(certId(result.certificate.toString())).toBe('69903319369');
  });

  it('refuses, by default, a certificate from the same CA that does not belong to UnionPay', () => {
    expect(UNIONPAY_SIGNER_IDENTITIES).toEqual(['中国银联股份有限公司', '00040000:SIGN']);
    expect(verifyMessage(message, trust)).toEqual({ ok: false, reason: 'untrusted-certificate' });
  });

  it('refuses a certificate not issued by the middle CA, or a middle not issued by the root', () => {
    const selfSigned = { ...fields, signPubKeyCert: w4.inputs.platform_certificate_pem };
    const signedBySelf = { ...selfSigned, signature: sign(selfSigned, w4.signer.private_key_pkcs8_pem) };
    expect(verifyMessage(signedBySelf, trust, { signerIdentities: [''] })).toEqual({
      ok: false,
      reason: 'untrusted-certificate',
    });
    expect(verifyMessage(message, { root: uca.middle_pem, middle: uca.middle_pem }, allowMerchant)).toEqual({
      ok: false,
      reason: 'untrusted-certificate',
    });
    const foreignRoot = { root: w4.inputs.platform_certificate_pem, middle: uca.middle_pem };
    expect(verifyMessage(message, foreignRoot, allowMerchant)).toEqual({
      ok: false,
      reason: 'untrusted-certificate',
    });
  });

  it('dates are ignored unless asked for', () => {
    const farFuture = new Date('2040-01-01T00:00:00Z');
    expect(verifyMessage(message, trust, { ...allowMerchant, now: farFuture }).ok).toBe(true);
    expect(verifyMessage(message, trust, { ...allowMerchant, now: farFuture, checkDates: true })).toEqual({
      ok: false,
      reason: 'untrusted-certificate',
    });
    const inside = new Date('2024-01-01T00:00:00Z');
    expect(verifyMessage(message, trust, { ...allowMerchant, now: inside, checkDates: true }).ok).toBe(true);
  });

  it('changing any one character of any value other than the certificate gives bad-signature', () => {
    const { signPubKeyCert, signature, ...rest } = message;
    for (const tampered of oneCharEdits(rest)) {
      const result = verifyMessage({ ...tampered, signPubKeyCert, signature }, trust, allowMerchant);
      // signMethod edits are refused before the signature is looked at.
      expect(result).toEqual({ ok: false, reason: tampered.signMethod === '01' ? 'bad-signature' : 'malformed' });
    }
  });

  it('a changed certificate never verifies', () => {
    const { signPubKeyCert } = message;
    for (let i = 0; i < signPubKeyCert.length; i += 7) {
      const tampered = `${signPubKeyCert.slice(0, i)}${signPubKeyCert[i] === 'A' ? 'B' : 'A'}${signPubKeyCert.slice(i + 1)}`;
      expect(verifyMessage({ ...message, signPubKeyCert: tampered }, trust, allowMerchant).ok).toBe(false);
    }
  });

  it('reasons: no-certificate, malformed certificate, signature or signMethod', () => {
    const { signPubKeyCert: _, ...withoutCertificate } = message;
    expect(verifyMessage(withoutCertificate, trust)).toEqual({ ok: false, reason: 'no-certificate' });
    expect(verifyMessage({ ...message, signPubKeyCert: '' }, trust)).toEqual({ ok: false, reason: 'no-certificate' });
    expect(verifyMessage({ ...message, signPubKeyCert: 'not PEM' }, trust)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyMessage({ ...message, signature: undefined }, trust)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyMessage({ ...message, signature: 'a b' }, trust)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyMessage({ ...message, signMethod: '11' }, trust)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a signature by another key with a genuine certificate is bad-signature', () => {
    const forged = { ...fields, signature: sign(fields, merchant.privateKey) };
    expect(verifyMessage(forged, trust, allowMerchant)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});

describe('form encoding', () => {
  it('parses + as space and %0D%0A as CRLF, decoding once', () => {
    expect(parseForm('a=1+2&cert=-----BEGIN+CERTIFICATE-----%0D%0AMII%3D&p=%2541&empty=')).toEqual({
      a: '1 2',
      cert: '-----BEGIN CERTIFICATE-----\r\nMII=',
      p: '%41',
      empty: '',
    });
  });

  it('keeps a __proto__ field as data; a repeated key keeps its last value', () => {
    const parsed = parseForm('__proto__=x&a=1&a=2');
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a']);
    expect(parsed.a).toBe('2');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('serialises like Java URLEncoder and round-trips', () => {
    expect(toForm({ a: 'x y*-._~!\'()', b: '中', c: undefined, d: '' })).toBe('a=x+y*-._%7E%21%27%28%29&b=%E4%B8%AD&d=');
    const fields = { ...request, signPubKeyCert: '-----BEGIN CERTIFICATE-----\r\nMIIB+/=\r\n-----END CERTIFICATE-----' };
    expect(parseForm(toForm(fields))).toEqual(fields);
  });
});
