import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import a5 from '../../../test/fixtures/vectors/alipay-a5-cert-sn.json' with { type: 'json' };
import {
  loadPrivateKey,
  loadPublicKey,
  responseSignedContent,
  rootCertSn,
  signContent,
  signNotify,
  signParams,
  signResponse,
  verifyNotify,
  verifyParams,
  verifyResponse,
} from './crypto.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const gateway = generateKeyPairSync('rsa', { modulusLength: 2048 });

const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'der' }).toString('base64');
const bare = (pem: string): string => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

/** Every record that differs from `fields` in one character of one value (each position of each value). */
function oneCharEdits(fields: Readonly<Record<string, string>>): Array<Record<string, string>> {
  return Object.entries(fields).flatMap(([key, value]) =>
    [...value].map((char, i) => {
      const changed = `${value.slice(0, i)}${char === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`;
      return { ...fields, [key]: changed };
    }),
  );
}

describe('keys', () => {
  const pkcs1 = app.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const pkcs8 = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicSpki = app.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const publicPkcs1 = app.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();

  it.each([
    ['PKCS#1 PEM', pkcs1],
    ['PKCS#8 PEM', pkcs8],
    ['PKCS#1 bare base64', bare(pkcs1)],
    ['PKCS#8 bare base64', bare(pkcs8)],
    ['PKCS#8 base64 with line breaks', pkcs8.split('\n').slice(1, -2).join('\n')],
  ])('private key from %s', (_, text) => {
    expect(spki(createPublicKey(loadPrivateKey(text)))).toBe(spki(app.publicKey));
  });

  it.each([
    ['SPKI PEM', publicSpki],
    ['PKCS#1 PEM', publicPkcs1],
    ['SPKI bare base64', bare(publicSpki)],
    ['PKCS#1 bare base64', bare(publicPkcs1)],
  ])('public key from %s', (_, text) => {
    expect(spki(loadPublicKey(text))).toBe(spki(app.publicKey));
  });

  it('public key from a certificate PEM', () => {
    expect(spki(loadPublicKey(a5.inputs.alipay_public_cert_pem))).toBe(a5.expected.alipay_public_cert_public_key_base64);
  });

  it('garbage is refused', () => {
    expect(() => loadPrivateKey('not a key')).toThrow();
    expect(() => loadPrivateKey('')).toThrow();
    expect(() => loadPublicKey('QUJDRA==')).toThrow();
  });
});

describe('signContent', () => {
  it('sorts by key bytes, joins raw values, honours exclude and dropEmpty, leaves out undefined', () => {
    const params = { b: '2', a: 'x&y=z%20', B: '', _: '_', aa: '[{"k":"v"}]', sign: 's', sign_type: 'RSA2', u: undefined };
    expect(signContent(params, { exclude: ['sign'], dropEmpty: true })).toBe(
      '_=_&a=x&y=z%20&aa=[{"k":"v"}]&b=2&sign_type=RSA2',
    );
    expect(signContent(params, { exclude: ['sign', 'sign_type'], dropEmpty: false })).toBe(
      'B=&_=_&a=x&y=z%20&aa=[{"k":"v"}]&b=2',
    );
  });
});

describe('request signing (signParams / verifyParams)', () => {
  const params = {
    app_id: '2021000122671080',
    method: 'alipay.trade.page.pay',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2024-05-01 12:00:00',
    version: '1.0',
    notify_url: 'https://m.example.com/notify?a=1&b=2',
    biz_content: '{"out_trade_no":"T1","total_amount":"0.01","subject":"语雀空间 500人规模"}',
  };
  const signed = signParams(params, app.privateKey);

  it('round trip; sign_type is signed; empty and absent params do not count', () => {
    expect(signed).toMatchObject(params);
    expect(verifyParams(signed, app.publicKey)).toBe(true);
    expect(verifyParams(signed, app.privateKey)).toBe(true);
    expect(verifyParams({ ...signed, app_auth_token: '' }, app.publicKey)).toBe(true);
    expect(verifyParams({ ...signed, sign_type: 'RSA' }, app.publicKey)).toBe(false);
    expect(signParams({ ...params, app_auth_token: '', extra: undefined }, app.privateKey)).toEqual({
      ...signed,
      app_auth_token: '',
    });
  });

  it('signs with a bare base64 PKCS#1 key the same as with the KeyObject', () => {
    const pkcs1 = bare(app.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    expect(signParams(params, pkcs1).sign).toBe(signed.sign);
  });

  it('changing any one character of any value, adding or removing a param fails', () => {
    const { sign, ...unsigned } = signed;
    for (const tampered of oneCharEdits(unsigned)) expect(verifyParams({ ...tampered, sign }, app.publicKey)).toBe(false);
    expect(verifyParams({ ...signed, alipay_sdk: 'x' }, app.publicKey)).toBe(false);
    const { notify_url: _, ...removed } = signed;
    expect(verifyParams(removed, app.publicKey)).toBe(false);
  });

  it('missing, malformed or foreign signatures and bad keys give false', () => {
    expect(verifyParams({ ...signed, sign: undefined }, app.publicKey)).toBe(false);
    expect(verifyParams({ ...signed, sign: '' }, app.publicKey)).toBe(false);
    expect(verifyParams({ ...signed, sign: `${signed.sign}!` }, app.publicKey)).toBe(false);
    expect(verifyParams(signed, gateway.publicKey)).toBe(false);
    expect(verifyParams(signed, 'not a key')).toBe(false);
  });
});

describe('notifications (signNotify / verifyNotify)', () => {
  const fields = {
    notify_type: 'trade_status_sync',
    notify_id: '2019081500222155624068450559358070',
    app_id: '2019073166072302',
    sign_type: 'RSA2',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '0.10',
    fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]',
    passback_params: 'a%3D1%26b%3D%E4%B8%AD',
    body: '',
  };

  it('verifies both shapes: sign_type left out of the content (trade) and kept (servicemarket)', () => {
    for (const keepSignType of [false, true]) {
      const posted = signNotify(fields, gateway.privateKey, { keepSignType });
      expect(posted).toMatchObject(fields);
      expect(verifyNotify(posted, gateway.publicKey)).toBe(true);
      expect(verifyNotify(posted, app.publicKey)).toBe(false);
    }
  });

  it('present-but-empty values are signed as key=: dropping one breaks the signature', () => {
    const posted = signNotify(fields, gateway.privateKey);
    const { body: _, ...withoutBody } = posted;
    expect(verifyNotify(withoutBody, gateway.publicKey)).toBe(false);
  });

  it('values are used as decoded once (a percent-decoded passback_params fails)', () => {
    const posted = signNotify(fields, gateway.privateKey);
    const decodedTwice = { ...posted, passback_params: decodeURIComponent(fields.passback_params) };
    expect(verifyNotify(decodedTwice, gateway.publicKey)).toBe(false);
  });

  it('changing any one character of any value, adding a field, or a missing sign fails', () => {
    const { sign, ...unsigned } = signNotify(fields, gateway.privateKey);
    for (const tampered of oneCharEdits(unsigned)) {
      expect(verifyNotify({ ...tampered, sign }, gateway.publicKey)).toBe(false);
    }
    expect(verifyNotify({ ...unsigned, sign, refund_fee: '0.10' }, gateway.publicKey)).toBe(false);
    expect(verifyNotify(unsigned, gateway.publicKey)).toBe(false);
  });

  it('sign_type is not signed in trade notifications, so anything but RSA2 there is refused', () => {
    const posted = signNotify(fields, gateway.privateKey);
    expect(verifyNotify({ ...posted, sign_type: 'RSA' }, gateway.publicKey)).toBe(false);
    const { sign_type: _, ...withoutSignType } = posted;
    expect(verifyNotify(withoutSignType, gateway.publicKey)).toBe(true);
  });
});

describe('sync responses', () => {
  describe('responseSignedContent', () => {
    it.each([
      ['a plain object', '{"k_response":{"code":"10000"},"sign":"x"}', '{"code":"10000"}'],
      [
        'braces and quotes inside strings',
        '{"k_response":{"a":"}{\\"},\\"sign\\":","b":{"c":[1,{"d":"\\\\"}]}},"sign":"x"}',
        '{"a":"}{\\"},\\"sign\\":","b":{"c":[1,{"d":"\\\\"}]}}',
      ],
      [
        'certificate mode (alipay_cert_sn before sign)',
        '{"k_response":{"code":"10000"},"alipay_cert_sn":"abc","sign":"x"}',
        '{"code":"10000"}',
      ],
      ['an AES-encrypted (string) value', '{"k_response":"SGVsbG8=","sign":"x"}', '"SGVsbG8="'],
    ])('%s', (_, raw, content) => {
      expect(responseSignedContent(raw, 'k_response')).toBe(content);
    });

    it.each([
      ['the key is absent', '{"other_response":{"code":"10000"},"sign":"x"}'],
      ['the value never closes', '{"k_response":{"code":"10000","sign":"x"'],
      ['the value is a number', '{"k_response":10000,"sign":"x"}'],
      ['a space before the value', '{"k_response": {"code":"10000"},"sign":"x"}'],
    ])('null when %s', (_, raw) => {
      expect(responseSignedContent(raw, 'k_response')).toBeNull();
    });
  });

  const key = 'alipay_trade_query_response';
  const json =
    '{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS","total_amount":"88.88","url":"https:\\/\\/a.example\\/"}';
  const raw = signResponse(key, json, gateway.privateKey);

  it('signResponse embeds the JSON text byte for byte and signs exactly it', () => {
    const { sign } = JSON.parse(raw) as { sign: string };
    expect(raw).toBe(`{"${key}":${json},"sign":"${sign}"}`);
    expect(responseSignedContent(raw, key)).toBe(json);
    expect(verifyResponse(raw, key, gateway.publicKey)).toBe(true);
    expect(verifyResponse(raw, key, app.publicKey)).toBe(false);
  });

  it('certificate mode: alipay_cert_sn sits between the value and sign, and still verifies', () => {
    const certMode = signResponse(key, json, gateway.privateKey, { alipayCertSn: '7513daaaa48aa3ba2e4018d84402479c' });
    expect(certMode.startsWith(`{"${key}":${json},"alipay_cert_sn":"7513daaaa48aa3ba2e4018d84402479c","sign":"`)).toBe(true);
    expect(verifyResponse(certMode, key, gateway.publicKey)).toBe(true);
  });

  it('error_response bodies verify under the method key too', () => {
    const error = signResponse('error_response', '{"code":"40002","msg":"Invalid Arguments"}', gateway.privateKey);
    expect(verifyResponse(error, key, gateway.publicKey)).toBe(true);
    expect(verifyResponse(error.replace('40002', '40004'), key, gateway.publicKey)).toBe(false);
  });

  it('changing any one character of the signed value or of the sign fails', () => {
    const start = raw.indexOf(json);
    for (let i = start; i < start + json.length; i += 1) {
      const tampered = `${raw.slice(0, i)}${raw[i] === 'A' ? 'B' : 'A'}${raw.slice(i + 1)}`;
      expect(verifyResponse(tampered, key, gateway.publicKey)).toBe(false);
    }
    const { sign } = JSON.parse(raw) as { sign: string };
    for (let i = 0; i < sign.length; i += 1) {
      const tamperedSign = `${sign.slice(0, i)}${sign[i] === 'A' ? 'B' : 'A'}${sign.slice(i + 1)}`;
      expect(verifyResponse(raw.replace(sign, tamperedSign), key, gateway.publicKey)).toBe(false);
    }
  });

  it('malformed bodies give false', () => {
    expect(verifyResponse('', key, gateway.publicKey)).toBe(false);
    expect(verifyResponse('not json', key, gateway.publicKey)).toBe(false);
    expect(verifyResponse('null', key, gateway.publicKey)).toBe(false);
    expect(verifyResponse(`{"${key}":${json}}`, key, gateway.publicKey)).toBe(false);
    expect(verifyResponse(`{"${key}":${json},"sign":42}`, key, gateway.publicKey)).toBe(false);
    expect(verifyResponse(raw.replace(key, 'alipay_trade_pay_response'), key, gateway.publicKey)).toBe(false);
  });

  it.each([
    ['a response key with a quote', 'k"_response', '{}'],
    ['leading whitespace', key, ' {}'],
    ['trailing whitespace', key, '{} '],
    ['two values', key, '{}{}'],
    ['invalid JSON', key, '{"a":}'],
  ])('signResponse refuses %s', (_, responseKey, text) => {
    expect(() => signResponse(responseKey, text, gateway.privateKey)).toThrow(TypeError);
  });
});

describe('certificate SNs', () => {
  it('an empty bundle has an empty root SN; a bundle of only non-RSA roots too', () => {
    expect(rootCertSn('')).toBe('');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
    const bundle = a5.inputs.alipay_root_cert_bundle_pem.match(pem) ?? [];
    expect(rootCertSn(`${bundle[0]}\n${bundle[2]}\n`)).toBe('');
  });
});
