// Every published known-answer vector in test/fixtures/vectors (W1–W7, A1–A5, U-CA, U1–U3), positives and each
// vector's `negative` list, reproduced through the channel crypto modules as the vectors' README describes.
// Expected values come from the fixtures only; node:crypto is used directly where a vector checks a raw step.

import { createHash, createPublicKey, verify as rsaVerify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as alipay from '../../bff/channels/alipay/crypto.ts';
import * as unionpay from '../../bff/channels/unionpay/crypto.ts';
import * as wechatpay from '../../bff/channels/wechatpay/crypto.ts';
import { isWechatpayCryptoError } from '../../bff/channels/wechatpay/crypto.ts';
import a1 from '../fixtures/vectors/alipay-a1-trade-notify.json' with { type: 'json' };
import a2 from '../fixtures/vectors/alipay-a2-servicemarket-notify.json' with { type: 'json' };
import a3 from '../fixtures/vectors/alipay-a3-test-keys.json' with { type: 'json' };
import a4 from '../fixtures/vectors/alipay-a4-sync-response.json' with { type: 'json' };
import a5 from '../fixtures/vectors/alipay-a5-cert-sn.json' with { type: 'json' };
import uca from '../fixtures/vectors/unionpay-test-ca.json' with { type: 'json' };
import u1 from '../fixtures/vectors/unionpay-u1-open-front-notify.json' with { type: 'json' };
import u2 from '../fixtures/vectors/unionpay-u2-request-signature.json' with { type: 'json' };
import u3 from '../fixtures/vectors/unionpay-u3-consume-front-notify.json' with { type: 'json' };
import w1 from '../fixtures/vectors/wechatpay-w1-request-signature.json' with { type: 'json' };
import w2 from '../fixtures/vectors/wechatpay-w2-jsapi-paysign.json' with { type: 'json' };
import w3 from '../fixtures/vectors/wechatpay-w3-app-sign.json' with { type: 'json' };
import w4 from '../fixtures/vectors/wechatpay-w4-notification.json' with { type: 'json' };
import w5 from '../fixtures/vectors/wechatpay-w5-aes-gcm-128.json' with { type: 'json' };
import w6 from '../fixtures/vectors/wechatpay-w6-aes-gcm-256-iv16.json' with { type: 'json' };
import w7 from '../fixtures/vectors/wechatpay-w7-tradebill.json' with { type: 'json' };

const VECTORS = new URL('../fixtures/vectors/', import.meta.url);

/** The WechatpayCryptoError code `fn` throws, or a failure if it throws anything else or nothing. */
function wechatErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isWechatpayCryptoError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a WechatpayCryptoError');
}

/** RSA-SHA256 over `content` exactly as given, independent of the modules under test. */
function rawRsa2Valid(content: string, signatureBase64: string, publicKeyPem: string): boolean {
  const signature = Buffer.from(signatureBase64, 'base64');
  return rsaVerify('sha256', Buffer.from(content, 'utf8'), createPublicKey(publicKeyPem), signature);
}

/** Each `what` of a vector's negative list must have a case here, so a newly listed negative fails loudly. */
function negativeCases<T>(negatives: ReadonlyArray<{ readonly what: string }>, cases: Readonly<Record<string, T>>): T[] {
  return negatives.map(({ what }) => {
    const found = cases[what];
    if (found === undefined) throw new Error(`no test for negative case: ${what}`);
    return found;
  });
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

// -------------------------------------------------------------------------------------------------------------
describe('WeChat Pay', () => {
  describe('W1 / W1b request signature', () => {
    for (const vector of w1.cases) {
      const { inputs, expected } = vector;

      it(`${vector.id}: message and signature are byte-exact, with the PKCS#8 and the PKCS#1 key`, () => {
        const message = wechatpay.requestMessage(inputs.method, inputs.url, inputs.timestamp, inputs.nonce_str, inputs.body);
        expect(message).toBe(expected.message);
        expect(wechatpay.sign(message, w1.key.private_key_pkcs8_pem)).toBe(expected.signature);
        expect(wechatpay.sign(message, w1.key.private_key_pkcs1_pem)).toBe(expected.signature);
        expect(wechatpay.verify(message, expected.signature, w1.key.public_key_spki_pem)).toBe(true);
      });

      it(`${vector.id}: authorization() carries that signature and parses back`, () => {
        const header = wechatpay.authorization({
          mchid: inputs.mchid,
          serialNo: inputs.serial_no,
          privateKey: w1.key.private_key_pkcs8_pem,
          method: inputs.method,
          url: inputs.url,
          body: inputs.body,
          timestamp: inputs.timestamp,
          nonce: inputs.nonce_str,
        });
        if ('authorization_header_example' in expected) expect(header).toBe(expected.authorization_header_example);
        expect(wechatpay.parseAuthorization(header)).toEqual({
          mchid: inputs.mchid,
          nonce_str: inputs.nonce_str,
          signature: expected.signature,
          timestamp: inputs.timestamp,
          serial_no: inputs.serial_no,
        });
      });
    }

    it('W1: the two empty-body mistakes WeChat lists (no trailing \\n, body line left out) do not verify', () => {
      const [get] = w1.cases;
      if (get === undefined) throw new Error('W1 missing');
      const publicKey = w1.key.public_key_spki_pem;
      expect(wechatpay.verify(get.expected.message.slice(0, -1), get.expected.signature, publicKey)).toBe(false);
      expect(wechatpay.verify(get.expected.message.slice(0, -2), get.expected.signature, publicKey)).toBe(false);
    });

    it('W1: the header example with its pairs reordered parses to the same fields (order is free)', () => {
      const [get] = w1.cases;
      if (get === undefined || !('authorization_header_example' in get.expected)) throw new Error('W1 missing');
      const example = get.expected.authorization_header_example;
      const pairs = example.slice(wechatpay.AUTHORIZATION_SCHEME.length + 1).split(',');
      const reordered = `${wechatpay.AUTHORIZATION_SCHEME} ${pairs.reverse().join(',')}`;
      expect(wechatpay.parseAuthorization(reordered)).toEqual(wechatpay.parseAuthorization(example));
    });
  });

  it('W2: JSAPI paySign (line 4 = prepay_id=…)', () => {
    const { inputs, expected } = w2;
    expect(wechatpay.invokeMessage(inputs.appId, inputs.timeStamp, inputs.nonceStr, inputs.package)).toBe(expected.message);
    const parameters = wechatpay.jsapiPayParameters({
      appId: inputs.appId,
      prepayId: inputs.package.slice('prepay_id='.length),
      privateKey: w2.key.private_key_pkcs1_pem,
      timeStamp: inputs.timeStamp,
      nonceStr: inputs.nonceStr,
    });
    expect(parameters).toEqual({
      appId: inputs.appId,
      timeStamp: inputs.timeStamp,
      nonceStr: inputs.nonceStr,
      package: inputs.package,
      signType: inputs.signType,
      paySign: expected.paySign,
    });
  });

  it('W3: APP sign (line 4 = bare prepay id), different from W2 for the same inputs', () => {
    const { inputs, expected } = w3;
    expect(wechatpay.invokeMessage(inputs.appId, inputs.timeStamp, inputs.nonceStr, inputs.prepayId)).toBe(expected.message);
    const parameters = wechatpay.appPayParameters({
      appId: inputs.appId,
      mchid: '1900007291',
      prepayId: inputs.prepayId,
      privateKey: w3.key.private_key_pkcs8_pem,
      timeStamp: inputs.timeStamp,
      nonceStr: inputs.nonceStr,
    });
    expect(parameters).toEqual({
      appid: inputs.appId,
      partnerid: '1900007291',
      prepayid: inputs.prepayId,
      package: inputs.packageValue,
      noncestr: inputs.nonceStr,
      timestamp: inputs.timeStamp,
      sign: expected.sign,
    });
    expect(expected.sign).not.toBe(w2.expected.paySign);
  });

  describe('W4 notification', () => {
    const { headers, body, platform_certificate_pem: certificatePem, apiv3_key: apiv3Key } = w4.inputs;
    const signed = {
      timestamp: headers['Wechatpay-Timestamp'],
      nonce: headers['Wechatpay-Nonce'],
      signature: headers['Wechatpay-Signature'],
      serial: headers['Wechatpay-Serial'],
      body,
    };
    const now = w4.inputs.clock_unix_seconds;

    it('selects the key by Wechatpay-Serial (the certificate serial, upper-case hex) and verifies', () => {
      expect(wechatpay.certificateSerial(certificatePem)).toBe(w4.expected.certificate_serial_hex);
      expect(wechatpay.responseMessage(signed.timestamp, signed.nonce, body)).toBe(w4.expected.signed_message);
      expect(wechatpay.verifyResponse(signed, { [w4.expected.certificate_serial_hex]: certificatePem }, now)).toEqual({
        ok: w4.expected.signature_valid,
      });
      const keys = new Map([[signed.serial, createPublicKey(w4.inputs.platform_public_key_spki_pem)]]);
      expect(wechatpay.verifyResponse(signed, keys, now)).toEqual({ ok: true });
    });

    it('negative list', () => {
      const cases = { 'one extra space appended to the body before verifying': { ...signed, body: `${body} ` } };
      for (const [index, tampered] of negativeCases(w4.negative, cases).entries()) {
        const result = wechatpay.verifyResponse(tampered, { [signed.serial]: certificatePem }, now);
        expect(result.ok).toBe(w4.negative[index]?.signature_valid);
        expect(result).toEqual({ ok: false, reason: 'bad-signature' });
      }
    });

    it('is stale 301 s away from the pinned clock (the source pins it to the header timestamp)', () => {
      const keys = { [signed.serial]: certificatePem };
      expect(wechatpay.verifyResponse(signed, keys, now + 300)).toEqual({ ok: true });
      expect(wechatpay.verifyResponse(signed, keys, now + 301)).toEqual({ ok: false, reason: 'stale-timestamp' });
      expect(wechatpay.verifyResponse(signed, keys, now - 301)).toEqual({ ok: false, reason: 'stale-timestamp' });
    });

    it("the signer's private key re-creates the header signature and its self-test signature", () => {
      const { private_key_pkcs8_pem: key, self_test: selfTest } = w4.signer;
      expect(wechatpay.signResponse(key, body, { timestamp: signed.timestamp, nonce: signed.nonce })).toEqual({
        timestamp: signed.timestamp,
        nonce: signed.nonce,
        signature: signed.signature,
      });
      expect(wechatpay.sign(selfTest.message, key)).toBe(selfTest.signature);
    });

    it('resource decrypts with the 16-byte APIv3 key (AES-128-GCM although algorithm says AEAD_AES_256_GCM)', () => {
      const notification = JSON.parse(body) as {
        id: string;
        create_time: string;
        resource_type: string;
        event_type: string;
        summary: string;
        resource: { original_type: string; algorithm: string; ciphertext: string; associated_data: string; nonce: string };
      };
      const { resource } = notification;
      const fields = w4.expected.notification_fields;
      expect({
        id: notification.id,
        create_time: notification.create_time,
        resource_type: notification.resource_type,
        event_type: notification.event_type,
        summary: notification.summary,
        'resource.original_type': resource.original_type,
        'resource.algorithm': resource.algorithm,
      }).toEqual(fields);
      expect(Buffer.byteLength(apiv3Key)).toBe(w4.expected.aead.key_bytes);
      expect(resource.nonce).toBe(w4.expected.aead.nonce);
      expect(resource.associated_data).toBe(w4.expected.aead.associated_data);
      expect(Buffer.from(resource.ciphertext, 'base64').length).toBeGreaterThan(w4.expected.aead.tag_bytes);
      const plaintext = wechatpay.aeadDecrypt({
        key: apiv3Key,
        nonce: resource.nonce,
        associatedData: resource.associated_data,
        ciphertext: resource.ciphertext,
      });
      expect(plaintext).toBe(w4.expected.plaintext);
      expect(
        wechatpay.aeadEncrypt({ key: apiv3Key, nonce: resource.nonce, associatedData: resource.associated_data, plaintext }),
      ).toBe(resource.ciphertext);
    });
  });

  describe('W5 AES-GCM, 16-byte key', () => {
    const { inputs, expected } = w5;
    const params = { key: inputs.key, nonce: inputs.nonce, associatedData: inputs.associated_data };

    it('decrypts, and encrypting gives the same base64(ciphertext ‖ tag)', () => {
      expect(wechatpay.aeadDecrypt({ ...params, ciphertext: inputs.ciphertext_base64 })).toBe(expected.plaintext);
      expect(wechatpay.aeadEncrypt({ ...params, plaintext: expected.plaintext })).toBe(
        expected.encrypt_roundtrip_ciphertext_base64,
      );
    });

    it('negative list: wrong key, foreign ciphertext, 13-byte key', () => {
      const ciphertext = inputs.ciphertext_base64;
      const cases = {
        'key "testAPIv3Key1111"': {
          input: { ...params, key: 'testAPIv3Key1111', ciphertext },
          code: 'authentication-failed',
        },
        // 12 bytes, shorter than a tag: Go's gcm.Open calls that an authentication failure, and so do we.
        'ciphertext "SGVsbG8gV29ybGQK" (not produced with this key)': {
          input: { ...params, ciphertext: 'SGVsbG8gV29ybGQK' },
          code: 'authentication-failed',
        },
        'key "not a aes key" (13 bytes)': {
          input: { ...params, key: 'not a aes key', ciphertext },
          code: 'invalid-key-length',
        },
      };
      for (const { input, code } of negativeCases(w5.negative, cases)) {
        expect(wechatErrorCode(() => wechatpay.aeadDecrypt(input))).toBe(code);
      }
    });
  });

  describe('W6 AES-256-GCM, 16-byte IV', () => {
    for (const vector of w6.cases) {
      it(`${vector.id}: encrypts to the published value and decrypts back`, () => {
        const params = { key: w6.key, nonce: w6.iv, associatedData: vector.associated_data };
        expect(wechatpay.aeadEncrypt({ ...params, plaintext: vector.plaintext })).toBe(vector.ciphertext_base64);
        expect(wechatpay.aeadDecrypt({ ...params, ciphertext: vector.ciphertext_base64 })).toBe(vector.plaintext);
      });
    }

    it('W6b: the empty plaintext with empty AAD is a bare 16-byte tag', () => {
      const empty = w6.cases.find((vector) => vector.id === 'W6b');
      expect(Buffer.from(empty?.ciphertext_base64 ?? '', 'base64')).toHaveLength(16);
    });

    it('negative list: W6a with associated_data ""', () => {
      const w6a = w6.cases.find((vector) => vector.id === 'W6a');
      if (w6a === undefined) throw new Error('W6a missing');
      const cases = {
        'W6a ciphertext decrypted with associated_data ""': {
          key: w6.key,
          nonce: w6.iv,
          associatedData: '',
          ciphertext: w6a.ciphertext_base64,
        },
      };
      for (const input of negativeCases(w6.negative, cases)) {
        expect(wechatErrorCode(() => wechatpay.aeadDecrypt(input))).toBe('authentication-failed');
      }
    });
  });

  it('W7: the bill file is byte-exact (size, SHA-256, SHA-1 as WeChat publishes hash_value) and matches csv_text', () => {
    // Parsing the bill is another module's job; here only the fixture's integrity, which a CRLF-normalising
    // checkout would break.
    const file = readFileSync(new URL(w7.file, VECTORS));
    expect(file.length).toBe(w7.file_bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(w7.file_sha256);
    expect(createHash('sha1').update(file).digest('hex')).toBe(w7.file_sha1);
    expect(file.toString('utf8')).toBe(w7.csv_text);
  });
});

// -------------------------------------------------------------------------------------------------------------
describe('Alipay', () => {
  const withoutSignType = { exclude: ['sign', 'sign_type'], dropEmpty: false } as const;
  const withSignType = { exclude: ['sign'], dropEmpty: false } as const;

  describe('A1 trade notification (signed without sign_type)', () => {
    it('both contents are byte-exact; only the one without sign_type verifies', () => {
      const { expected } = a1;
      const without = alipay.signContent(a1.fields, withoutSignType);
      const kept = alipay.signContent(a1.fields, withSignType);
      expect(without).toBe(expected.content_without_sign_type);
      expect(kept).toBe(expected.content_with_sign_type);
      expect(rawRsa2Valid(without, a1.fields.sign, a1.alipay_public_key_pem)).toBe(expected.valid_without_sign_type);
      expect(rawRsa2Valid(kept, a1.fields.sign, a1.alipay_public_key_pem)).toBe(expected.valid_with_sign_type);
    });

    it('verifyNotify accepts it with the PEM and with the bare base64 key', () => {
      expect(alipay.verifyNotify(a1.fields, a1.alipay_public_key_pem)).toBe(true);
      expect(alipay.verifyNotify(a1.fields, a1.alipay_public_key_base64)).toBe(true);
    });

    it('negative list: the other merchant\'s notification fails both ways', () => {
      for (const negative of a1.negative) {
        const key = a1.alipay_public_key_pem;
        expect(rawRsa2Valid(alipay.signContent(negative.fields, withoutSignType), negative.fields.sign, key)).toBe(
          negative.valid_without_sign_type,
        );
        expect(rawRsa2Valid(alipay.signContent(negative.fields, withSignType), negative.fields.sign, key)).toBe(
          negative.valid_with_sign_type,
        );
        expect(alipay.verifyNotify(negative.fields, key)).toBe(false);
      }
    });
  });

  describe('A2 servicemarket notification (signed with sign_type)', () => {
    it('both contents are byte-exact; only the one with sign_type verifies', () => {
      const { expected } = a2;
      const kept = alipay.signContent(a2.fields, withSignType);
      const without = alipay.signContent(a2.fields, withoutSignType);
      expect(kept).toBe(expected.content_with_sign_type);
      expect(without).toBe(expected.content_without_sign_type);
      expect(rawRsa2Valid(kept, a2.fields.sign, a2.alipay_public_key_pem)).toBe(expected.valid_with_sign_type);
      expect(rawRsa2Valid(without, a2.fields.sign, a2.alipay_public_key_pem)).toBe(expected.valid_without_sign_type);
      expect(alipay.verifyNotify(a2.fields, a2.alipay_public_key_pem)).toBe(true);
    });

    it('negative list: service_code changed fails both ways', () => {
      for (const negative of a2.negative) {
        const key = a2.alipay_public_key_pem;
        expect(rawRsa2Valid(alipay.signContent(negative.fields, withSignType), negative.fields.sign, key)).toBe(
          negative.valid_with_sign_type,
        );
        expect(rawRsa2Valid(alipay.signContent(negative.fields, withoutSignType), negative.fields.sign, key)).toBe(
          negative.valid_without_sign_type,
        );
        expect(alipay.verifyNotify(negative.fields, key)).toBe(false);
      }
    });
  });

  describe('A3 keys', () => {
    const spki = (key: ReturnType<typeof alipay.loadPublicKey>): string =>
      key.export({ type: 'spki', format: 'der' }).toString('base64');

    it('sandbox app pair: every private form is the same key as the public key, in both public forms', () => {
      const [pair] = a3.key_pairs;
      if (pair === undefined) throw new Error('A3 sandbox pair missing');
      const published = spki(alipay.loadPublicKey(pair.public_key_pem));
      expect(spki(alipay.loadPublicKey(pair.public_key_no_wrapper))).toBe(published);
      expect(published).toBe(pair.public_key_no_wrapper.trim());
      const privateForms = [
        pair.private_key_pkcs1_pem,
        pair.private_key_pkcs8_pem,
        pair.private_key_pkcs1_no_wrapper,
        pair.private_key_pkcs8_no_wrapper,
      ];
      expect(privateForms.every((form) => typeof form === 'string' && form !== '')).toBe(true);
      for (const form of privateForms) expect(spki(createPublicKey(alipay.loadPrivateKey(form ?? '')))).toBe(published);
      expect(pair.expected.all_private_forms_match_public_key).toBe(true);
    });

    it('stable-environment pair: the private key matches the public key (no-wrapper and PEM forms)', () => {
      const pair = a3.key_pairs[1];
      if (pair === undefined) throw new Error('A3 stable pair missing');
      const published = spki(alipay.loadPublicKey(pair.public_key_no_wrapper));
      expect(spki(alipay.loadPublicKey(pair.public_key_pem))).toBe(published);
      expect(spki(createPublicKey(alipay.loadPrivateKey(pair.private_key_pkcs8_no_wrapper)))).toBe(published);
      expect(spki(createPublicKey(alipay.loadPrivateKey(pair.private_key_pkcs8_pem)))).toBe(published);
      expect(pair.expected.private_matches_public).toBe(true);
    });

    it('Alipay public keys load from PEM and no-wrapper forms alike', () => {
      for (const key of a3.alipay_public_keys) {
        const forms = [
          'pem' in key ? key.pem : undefined,
          'no_wrapper' in key ? key.no_wrapper : undefined,
        ].filter((form): form is string => form !== undefined);
        const loaded = new Set(forms.map((form) => spki(alipay.loadPublicKey(form))));
        expect(loaded.size).toBe(1);
      }
    });
  });

  describe('A4 sync response', () => {
    const { response_raw: raw, response_key: responseKey } = a4.inputs;

    it('the signed content is the raw substring and the sign verifies', () => {
      expect(alipay.responseSignedContent(raw, responseKey)).toBe(a4.expected.signed_content);
      expect((JSON.parse(raw) as { sign: string }).sign).toBe(a4.expected.sign);
      expect(alipay.verifyResponse(raw, responseKey, a4.alipay_public_key_pem)).toBe(a4.expected.valid);
    });

    it('negative list: sign "wrong-sing"', () => {
      const cases = { 'sign "wrong-sing"': raw.replace(a4.expected.sign, 'wrong-sing') };
      for (const [index, tampered] of negativeCases(a4.negative, cases).entries()) {
        expect(tampered).not.toBe(raw);
        expect(alipay.verifyResponse(tampered, responseKey, a4.alipay_public_key_pem)).toBe(a4.negative[index]?.valid);
      }
    });
  });

  describe('A5 certificate SNs', () => {
    const { inputs, expected } = a5;

    it('app_cert_sn, the Alipay public cert SN and the key taken from the cert', () => {
      expect(alipay.certSn(inputs.app_cert_pem)).toBe(expected.app_cert_sn);
      expect(alipay.certSn(inputs.alipay_public_cert_pem)).toBe(expected.alipay_public_cert_sn);
      expect(alipay.publicKeyBase64FromCert(inputs.alipay_public_cert_pem)).toBe(
        expected.alipay_public_cert_public_key_base64,
      );
    });

    it('the intermediate values: issuer most-specific-first + decimal serial, MD5', () => {
      const { app_cert_issuer: issuer, app_cert_serial_decimal: serial } = expected.intermediate;
      expect(createHash('md5').update(`${issuer}${serial}`, 'utf8').digest('hex')).toBe(expected.app_cert_sn);
      expect(BigInt(`0x${new X509Certificate(inputs.app_cert_pem).serialNumber}`).toString()).toBe(serial);
    });

    it('alipay_root_cert_sn joins the RSA-signed roots only (SM2 and ECDSA skipped)', () => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
      const blocks = inputs.alipay_root_cert_bundle_pem.match(pem) ?? [];
      expect(blocks).toHaveLength(expected.intermediate.root_bundle.length);
      // subject_cn is descriptive ("ROOTCA (NRCAC)" is CN=ROOTCA, O=NRCAC): the CN must start it.
      const algorithmOids: Readonly<Record<string, string>> = {
        'SM2-with-SM3': '06082a811ccf55018375',
        sha256WithRSAEncryption: '06092a864886f70d01010b',
        'ecdsa-with-SHA384': '06082a8648ce3d040303',
        sha1WithRSAEncryption: '06092a864886f70d010105',
      };
      for (const entry of expected.intermediate.root_bundle) {
        const certificate = new X509Certificate(blocks[entry.index] ?? '');
        const cn = certificate.subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3) ?? '';
        expect(entry.subject_cn.startsWith(cn) && cn !== '').toBe(true);
        expect(certificate.raw.includes(Buffer.from(algorithmOids[entry.signature_algorithm] ?? 'ff', 'hex'))).toBe(true);
      }
      const included = expected.intermediate.root_bundle
        .filter((entry) => entry.included)
        .map((entry) => alipay.certSn(blocks[entry.index] ?? ''));
      expect(alipay.rootCertSn(inputs.alipay_root_cert_bundle_pem)).toBe(included.join('_'));
      expect(alipay.rootCertSn(inputs.alipay_root_cert_bundle_pem)).toBe(expected.alipay_root_cert_sn);
    });
  });
});

// -------------------------------------------------------------------------------------------------------------
describe('UnionPay', () => {
  const trust = { root: uca.root_pem, middle: uca.middle_pem };
  const root = new X509Certificate(uca.root_pem);
  const middle = new X509Certificate(uca.middle_pem);
  const commaSubject = (certificate: X509Certificate): string => certificate.subject.split('\n').join(', ');
  // DER of the sha1WithRSAEncryption AlgorithmIdentifier OID (1.2.840.113549.1.1.5).
  const SHA1_WITH_RSA = Buffer.from('06092a864886f70d010105', 'hex');

  it('U-CA: root is self-signed, middle is signed by root, both SHA-1, files byte-exact', () => {
    expect(commaSubject(root)).toBe(uca.expected.root.subject);
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(uca.expected.root.self_signed);
    expect(root.validTo).toBe(uca.expected.root.valid_to);
    expect(commaSubject(middle)).toBe(uca.expected.middle.subject);
    expect(middle.checkIssued(root) && middle.verify(root.publicKey)).toBe(uca.expected.middle.signed_by_root);
    expect(middle.validTo).toBe(uca.expected.middle.valid_to);
    for (const [certificate, expected] of [
      [root, uca.expected.root],
      [middle, uca.expected.middle],
    ] as const) {
      expect(expected.signature_algorithm).toBe('sha1WithRSAEncryption');
      expect(certificate.raw.includes(SHA1_WITH_RSA)).toBe(true);
    }
    expect(sha256Hex(uca.root_pem)).toBe(uca.expected.root.sha256_of_file);
    expect(sha256Hex(uca.middle_pem)).toBe(uca.expected.middle.sha256_of_file);
  });

  describe('U1 open front notification (from the raw form)', () => {
    const fields = unionpay.parseForm(u1.raw_form);

    it('the form decodes to the published fields and re-encodes to the same bytes', () => {
      expect(fields).toEqual(u1.fields);
      expect(fields.signPubKeyCert).toContain('\r\n');
      expect(unionpay.toForm(fields)).toBe(u1.raw_form);
    });

    it('content, SHA-256 hex, signature and chain', () => {
      const content = unionpay.signContent(fields);
      expect(content).toBe(u1.expected.signed_content);
      expect(sha256Hex(content)).toBe(u1.expected.signed_content_sha256_hex);
      const result = unionpay.verifyMessage(fields, trust);
      expect(result.ok).toBe(u1.expected.signature_valid);
      if (!result.ok) return;
      const expected = u1.expected.sign_pub_key_cert;
      expect(commaSubject(result.certificate)).toBe(expected.subject);
      expect(result.certificate.serialNumber).toBe(expected.serial_hex);
      expect(unionpay.certId(fields.signPubKeyCert ?? '')).toBe(expected.serial_decimal);
      expect(result.certificate.validTo).toBe(expected.valid_to);
      expect(result.certificate.checkIssued(middle) && result.certificate.verify(middle.publicKey)).toBe(
        expected.issued_by_ca_middle,
      );
    });

    it('negative list: single hash, and CRLF normalised to LF', () => {
      const certificate = fields.signPubKeyCert ?? '';
      const cases = {
        'verify RSA-SHA256 directly over signed_content (single hash)': () =>
          rawRsa2Valid(u1.expected.signed_content, fields.signature ?? '', certificate),
        'signPubKeyCert line breaks normalised from CRLF to LF before building signed_content': () => {
          const normalised = { ...fields, signPubKeyCert: certificate.replaceAll('\r\n', '\n') };
          expect(unionpay.verifyMessage(normalised, trust)).toEqual({ ok: false, reason: 'bad-signature' });
          return unionpay.verifyWithKey(normalised, certificate);
        },
      };
      for (const [index, check] of negativeCases(u1.negative, cases).entries()) {
        expect(check()).toBe(u1.negative[index]?.signature_valid);
      }
    });

    it('with date checks on, the expired leaf is refused; at a time inside its validity it passes', () => {
      expect(unionpay.verifyMessage(fields, trust, { checkDates: true })).toEqual({
        ok: false,
        reason: 'untrusted-certificate',
      });
      expect(unionpay.verifyMessage(fields, trust, { checkDates: true, now: new Date('2016-06-01T00:00:00Z') }).ok).toBe(
        true,
      );
    });
  });

  describe('U2 merchant request signature', () => {
    const { params } = u2.inputs;

    it('content, SHA-256 hex and the byte-exact signature; certId is the decimal serial', () => {
      const content = unionpay.signContent(params);
      expect(content).toBe(u2.expected.signed_content);
      expect(sha256Hex(content)).toBe(u2.expected.signed_content_sha256_hex);
      expect(unionpay.sign(params, u2.merchant.private_key_pkcs8_pem)).toBe(u2.expected.signature);
      expect(unionpay.certId(u2.merchant.certificate_pem)).toBe(u2.expected.cert_id);
      expect(params.certId).toBe(u2.expected.cert_id);
      expect(unionpay.verifyWithKey({ ...params, signature: u2.expected.signature }, u2.merchant.certificate_pem)).toBe(true);
    });

    it('the merchant certificate is issued by the U-CA middle', () => {
      const certificate = new X509Certificate(u2.merchant.certificate_pem);
      expect(commaSubject(certificate)).toBe(u2.merchant.certificate_subject);
      expect(certificate.validTo).toBe(u2.merchant.certificate_valid_to);
      expect(certificate.checkIssued(middle) && certificate.verify(middle.publicKey)).toBe(
        u2.expected.certificate_issued_by_ca_middle,
      );
    });
  });

  describe('U3 consume front notification', () => {
    it('content, SHA-256 hex, signature and chain', () => {
      const content = unionpay.signContent(u3.fields);
      expect(content).toBe(u3.expected.signed_content);
      expect(sha256Hex(content)).toBe(u3.expected.signed_content_sha256_hex);
      const result = unionpay.verifyMessage(u3.fields, trust);
      expect(result.ok).toBe(u3.expected.signature_valid);
      if (!result.ok) return;
      const expected = u3.expected.sign_pub_key_cert;
      expect(commaSubject(result.certificate)).toBe(expected.subject);
      expect(unionpay.certId(u3.fields.signPubKeyCert)).toBe(expected.serial_decimal);
      expect(result.certificate.validTo).toBe(expected.valid_to);
      expect(result.certificate.checkIssued(middle) && result.certificate.verify(middle.publicKey)).toBe(
        expected.issued_by_ca_middle,
      );
    });

    it('the same answer re-signed with the U2 merchant key and certificate is refused (not a UnionPay signer)', () => {
      const forged = { ...u3.fields, signPubKeyCert: u2.merchant.certificate_pem };
      const signature = unionpay.sign(forged, u2.merchant.private_key_pkcs8_pem);
      expect(unionpay.verifyWithKey({ ...forged, signature }, u2.merchant.certificate_pem)).toBe(true);
      expect(unionpay.verifyMessage({ ...forged, signature }, trust)).toEqual({ ok: false, reason: 'untrusted-certificate' });
    });
  });
});
