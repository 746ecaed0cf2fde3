import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import w4 from '../../../test/fixtures/vectors/wechatpay-w4-notification.json' with { type: 'json' };
import {
  aeadDecrypt,
  aeadEncrypt,
  appPayParameters,
  authorization,
  AUTHORIZATION_SCHEME,
  certificateSerial,
  invokeMessage,
  isWechatpayCryptoError,
  jsapiPayParameters,
  parseAuthorization,
  requestMessage,
  responseMessage,
  sign,
  signResponse,
  verify,
  verifyResponse,
  WechatpayCryptoError,
  type AeadDecryptParams,
} from './crypto.ts';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platformPem = platform.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Every string that differs from `text` in exactly one character (each position changed once). */
function oneCharEdits(text: string): string[] {
  return [...text].map((char, i) => {
    const changed = char === 'A' ? 'B' : 'A';
    return `${text.slice(0, i)}${changed}${text.slice(i + 1)}`;
  });
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isWechatpayCryptoError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a WechatpayCryptoError');
}

describe('messages', () => {
  it('request: five lines, each ending in \\n; an empty body still gets its line', () => {
    expect(requestMessage('GET', '/v3/certificates?a=1', 1554208460, 'N', '')).toBe(
      'GET\n/v3/certificates?a=1\n1554208460\nN\n\n',
    );
    expect(requestMessage('post', '/v3/pay/transactions/native', '1', 'N', '{}')).toBe(
      'POST\n/v3/pay/transactions/native\n1\nN\n{}\n',
    );
  });

  it('response and invoke messages', () => {
    expect(responseMessage('1624523846', 'nonce', '')).toBe('1624523846\nnonce\n\n');
    expect(responseMessage(1624523846, 'nonce', '{"a":1}')).toBe('1624523846\nnonce\n{"a":1}\n');
    expect(invokeMessage('wx1', 1554208460, 'N', 'prepay_id=wx2')).toBe('wx1\n1554208460\nN\nprepay_id=wx2\n');
  });
});

describe('sign / verify', () => {
  const body = '{"description":"深圳腾大-QQ公仔"}';
  const message = requestMessage('POST', '/v3/pay/transactions/jsapi', 1554208460, 'NONCE', body);
  const signature = sign(message, merchant.privateKey);

  it('round trip with KeyObject and PEM keys (PKCS#1 and PKCS#8 sign the same)', () => {
    expect(verify(message, signature, merchant.publicKey)).toBe(true);
    expect(verify(message, signature, merchant.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(true);
    expect(sign(message, merchant.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())).toBe(signature);
    expect(sign(message, merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toBe(signature);
  });

  it('changing any one character of the message fails', () => {
    for (const tampered of oneCharEdits(message)) expect(verify(tampered, signature, merchant.publicKey)).toBe(false);
  });

  it('changing any one character of the signature fails, including padding bits and appended junk', () => {
    for (const tampered of oneCharEdits(signature)) expect(verify(message, tampered, merchant.publicKey)).toBe(false);
    // Buffer.from(…, 'base64') would ignore these and decode the original bytes.
    expect(verify(message, `${signature}!`, merchant.publicKey)).toBe(false);
    expect(verify(message, ` ${signature}`, merchant.publicKey)).toBe(false);
    expect(verify(message, signature.replace('==', '=\n='), merchant.publicKey)).toBe(false);
  });

  it('malformed input gives false, never an exception', () => {
    expect(verify(message, '', merchant.publicKey)).toBe(false);
    expect(verify(message, 'not base64 at all', merchant.publicKey)).toBe(false);
    expect(verify(message, signature, platform.publicKey)).toBe(false);
    expect(verify(message, signature, '-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n')).toBe(false);
    expect(verify(message, signature, generateKeyPairSync('ed25519').publicKey)).toBe(false);
  });
});

describe('Authorization header', () => {
  const params = {
    mchid: '1900007291',
    serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    privateKey: merchant.privateKey,
    method: 'GET',
    url: '/v3/refund/domestic/refunds/123123123123',
    body: '',
  };

  it('defaults: now in seconds and a 32-character alphanumeric nonce; the signature covers the request', () => {
    const before = Math.floor(Date.now() / 1000);
    const fields = parseAuthorization(authorization(params));
    if (fields === null) throw new Error('did not parse');
    expect(Number(fields.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(fields.timestamp)).toBeLessThanOrEqual(before + 2);
    expect(fields.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fields.mchid).toBe('1900007291');
    expect(fields.serial_no).toBe(params.serialNo);
    const message = requestMessage('GET', params.url, fields.timestamp, fields.nonce_str, '');
    expect(verify(message, fields.signature, merchant.publicKey)).toBe(true);
    expect(parseAuthorization(authorization(params))?.nonce_str).not.toBe(fields.nonce_str);
  });

  it('is exactly scheme, space, five pairs in the official order', () => {
    const header = authorization({ ...params, timestamp: 1554208460, nonce: 'N' });
    const signature = sign(requestMessage('GET', params.url, 1554208460, 'N', ''), merchant.privateKey);
    expect(header).toBe(
      'WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="N",' +
        `signature="${signature}",timestamp="1554208460",serial_no="${params.serialNo}"`,
    );
  });

  describe('parseAuthorization', () => {
    const pairs = ['mchid="1"', 'nonce_str="n"', 'signature="s=="', 'timestamp="2"', 'serial_no="S"'];
    const ok = { mchid: '1', nonce_str: 'n', signature: 's==', timestamp: '2', serial_no: 'S' };

    it('accepts the five pairs in any order', () => {
      expect(parseAuthorization(`${AUTHORIZATION_SCHEME} ${pairs.join(',')}`)).toEqual(ok);
      expect(parseAuthorization(`${AUTHORIZATION_SCHEME} ${[...pairs].reverse().join(',')}`)).toEqual(ok);
    });

    it.each([
      ['another scheme', `WECHATPAY2-SHA256-RSA4096 ${pairs.join(',')}`],
      ['lower-case scheme', `wechatpay2-sha256-rsa2048 ${pairs.join(',')}`],
      ['two spaces', `${AUTHORIZATION_SCHEME}  ${pairs.join(',')}`],
      ['no pairs', `${AUTHORIZATION_SCHEME} `],
      ['a missing key', `${AUTHORIZATION_SCHEME} ${pairs.slice(1).join(',')}`],
      ['a duplicate key', `${AUTHORIZATION_SCHEME} ${[...pairs, 'mchid="1"'].join(',')}`],
      ['an unknown key', `${AUTHORIZATION_SCHEME} ${[...pairs, 'extra="x"'].join(',')}`],
      ['a space after a comma', `${AUTHORIZATION_SCHEME} ${pairs.join(', ')}`],
      ['a trailing comma', `${AUTHORIZATION_SCHEME} ${pairs.join(',')},`],
      ['a trailing space', `${AUTHORIZATION_SCHEME} ${pairs.join(',')} `],
      ['an empty value', `${AUTHORIZATION_SCHEME} ${pairs.join(',').replace('"1"', '""')}`],
      ['an unquoted value', `${AUTHORIZATION_SCHEME} ${pairs.join(',').replace('"1"', '1')}`],
      ['single quotes', `${AUTHORIZATION_SCHEME} ${pairs.join(',').replace('"1"', "'1'")}`],
      ['an upper-case key', `${AUTHORIZATION_SCHEME} ${pairs.join(',').replace('mchid', 'MCHID')}`],
    ])('rejects %s', (_, header) => {
      expect(parseAuthorization(header)).toBeNull();
    });
  });
});

describe('verifyResponse', () => {
  const body = '{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS","summary":"支付成功"}';
  const now = 1_700_000_000;
  const headers = signResponse(platform.privateKey, body, { timestamp: now, nonce: 'nonce123' });
  const signed = { ...headers, serial: 'PUB_KEY_ID_01', body };
  const keys = { PUB_KEY_ID_01: platformPem };

  it('accepts a response signed by signResponse, with keys as a Record (PEM or KeyObject) or a Map', () => {
    expect(signed.timestamp).toBe(String(now));
    expect(signed.nonce).toBe('nonce123');
    expect(verifyResponse(signed, keys, now)).toEqual({ ok: true });
    expect(verifyResponse(signed, { PUB_KEY_ID_01: platform.publicKey }, now)).toEqual({ ok: true });
    expect(verifyResponse(signed, new Map([['PUB_KEY_ID_01', platform.publicKey]]), now)).toEqual({ ok: true });
  });

  it('selects the key by serial when certificate serials and public-key ids are configured together', () => {
    const both = { '5157F09EFDC096DE15EBE81A47057A7232F1B8E1': merchant.publicKey, PUB_KEY_ID_01: platform.publicKey };
    expect(verifyResponse(signed, both, now)).toEqual({ ok: true });
    expect(verifyResponse({ ...signed, serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' }, both, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('WECHATPAY/SIGNTEST/ probes fail even when everything else is right', () => {
    const probe = { ...signed, signature: `WECHATPAY/SIGNTEST/${signed.signature}` };
    expect(verifyResponse(probe, keys, now)).toEqual({ ok: false, reason: 'signtest-probe' });
    expect(verifyResponse({ ...probe, serial: 'unknown' }, keys, now)).toEqual({ ok: false, reason: 'signtest-probe' });
  });

  it('unknown serials, including names that exist on Object.prototype', () => {
    for (const serial of ['PUB_KEY_ID_02', 'constructor', '__proto__', 'toString', 'pub_key_id_01']) {
      expect(verifyResponse({ ...signed, serial }, keys, now)).toEqual({ ok: false, reason: 'unknown-serial' });
    }
  });

  it('stale beyond ±300 s by default, or the given window', () => {
    expect(verifyResponse(signed, keys, now + 300)).toEqual({ ok: true });
    expect(verifyResponse(signed, keys, now - 300)).toEqual({ ok: true });
    expect(verifyResponse(signed, keys, now + 301)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verifyResponse(signed, keys, now - 301)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(verifyResponse(signed, keys, now + 61, 60)).toEqual({ ok: false, reason: 'stale-timestamp' });
  });

  it('malformed: missing headers, a non-numeric or millisecond timestamp, a non-base64 signature', () => {
    for (const missing of ['timestamp', 'nonce', 'signature', 'serial'] as const) {
      expect(verifyResponse({ ...signed, [missing]: undefined }, keys, now)).toEqual({ ok: false, reason: 'malformed' });
      expect(verifyResponse({ ...signed, [missing]: '' }, keys, now)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifyResponse({ ...signed, timestamp: '1.7e9' }, keys, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyResponse({ ...signed, timestamp: `${now}000` }, keys, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyResponse({ ...signed, signature: 'a b c' }, keys, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('changing any one character of the body, nonce, timestamp or signature fails', () => {
    for (const tampered of oneCharEdits(body)) {
      expect(verifyResponse({ ...signed, body: tampered }, keys, now).ok).toBe(false);
    }
    for (const tampered of oneCharEdits(signed.nonce)) {
      expect(verifyResponse({ ...signed, nonce: tampered }, keys, now).ok).toBe(false);
    }
    for (const tampered of oneCharEdits(signed.timestamp)) {
      expect(verifyResponse({ ...signed, timestamp: tampered }, keys, now).ok).toBe(false);
    }
    for (const tampered of oneCharEdits(signed.signature)) {
      expect(verifyResponse({ ...signed, signature: tampered }, keys, now).ok).toBe(false);
    }
    expect(verifyResponse({ ...signed, body: `${body}\n` }, keys, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('an empty body (204) is signed and verified as an empty line', () => {
    const empty = { ...signResponse(platform.privateKey, '', { timestamp: now }), serial: 'PUB_KEY_ID_01', body: '' };
    expect(verifyResponse(empty, keys, now)).toEqual({ ok: true });
    expect(verify(`${now}\n${empty.nonce}\n\n`, empty.signature, platform.publicKey)).toBe(true);
  });
});

describe('invoke parameters', () => {
  it('JSAPI: package prepay_id=…, signType RSA, paySign over the four lines', () => {
    const parameters = jsapiPayParameters({ appId: 'wx1', prepayId: 'wx201410272009', privateKey: merchant.privateKey });
    expect(parameters.package).toBe('prepay_id=wx201410272009');
    expect(parameters.signType).toBe('RSA');
    expect(parameters.nonceStr).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(parameters.timeStamp).toMatch(/^\d{10}$/);
    const message = invokeMessage('wx1', parameters.timeStamp, parameters.nonceStr, parameters.package);
    expect(verify(message, parameters.paySign, merchant.publicKey)).toBe(true);
  });

  it('APP: package Sign=WXPay, partnerid = mchid, sign over the bare prepay id', () => {
    const parameters = appPayParameters({
      appId: 'wx1',
      mchid: '1900007291',
      prepayId: 'wx201410272009',
      privateKey: merchant.privateKey,
      timeStamp: 1700000000,
      nonceStr: 'N',
    });
    expect(parameters).toMatchObject({
      appid: 'wx1',
      partnerid: '1900007291',
      prepayid: 'wx201410272009',
      package: 'Sign=WXPay',
      noncestr: 'N',
      timestamp: '1700000000',
    });
    const bare = invokeMessage('wx1', 1700000000, 'N', 'wx201410272009');
    const prefixed = invokeMessage('wx1', 1700000000, 'N', 'prepay_id=wx201410272009');
    expect(verify(bare, parameters.sign, merchant.publicKey)).toBe(true);
    expect(verify(prefixed, parameters.sign, merchant.publicKey)).toBe(false);
  });

  it('refuses a prefixed or empty prepay id (the two line-4 forms mixed up)', () => {
    const params = { appId: 'wx1', mchid: '1', privateKey: merchant.privateKey };
    expect(errorCode(() => jsapiPayParameters({ ...params, prepayId: 'prepay_id=wx1' }))).toBe('invalid-prepay-id');
    expect(errorCode(() => appPayParameters({ ...params, prepayId: 'prepay_id=wx1' }))).toBe('invalid-prepay-id');
    expect(errorCode(() => appPayParameters({ ...params, prepayId: '' }))).toBe('invalid-prepay-id');
  });
});

describe('AEAD', () => {
  const plaintext = '{"mchid":"1900007291","trade_state":"SUCCESS","attach":"自定义数据"}';

  it.each([
    ['32-byte key (AES-256), 12-byte nonce', randomBytes(16).toString('hex'), 'abcdefghijkl'],
    ['16-byte key (AES-128), 12-byte nonce', 'testAPIv3Key0000', 'abcdefghijkl'],
    ['32-byte key, 16-byte IV', randomBytes(32), randomBytes(16)],
    ['32-byte key, 1-byte IV', randomBytes(32), 'x'],
  ])('round trip: %s', (_, key, nonce) => {
    const ciphertext = aeadEncrypt({ key, nonce, associatedData: 'transaction', plaintext });
    expect(Buffer.from(ciphertext, 'base64')).toHaveLength(Buffer.byteLength(plaintext) + 16);
    expect(aeadDecrypt({ key, nonce, associatedData: 'transaction', ciphertext })).toBe(plaintext);
    const empty = aeadEncrypt({ key, nonce, associatedData: '', plaintext: '' });
    expect(Buffer.from(empty, 'base64')).toHaveLength(16);
    expect(aeadDecrypt({ key, nonce, associatedData: '', ciphertext: empty })).toBe('');
  });

  it('AES-128 and AES-256 are really different ciphers (the key length picks)', () => {
    const nonce = 'abcdefghijkl';
    const short = aeadEncrypt({ key: 'k'.repeat(16), nonce, associatedData: '', plaintext });
    const long = aeadEncrypt({ key: 'k'.repeat(32), nonce, associatedData: '', plaintext });
    expect(short).not.toBe(long);
  });

  it.each([0, 15, 24, 31, 33])('a %i-byte key is refused', (length) => {
    const params = { key: 'k'.repeat(length), nonce: 'abcdefghijkl', associatedData: '' };
    expect(errorCode(() => aeadEncrypt({ ...params, plaintext }))).toBe('invalid-key-length');
    expect(errorCode(() => aeadDecrypt({ ...params, ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==' }))).toBe('invalid-key-length');
  });

  describe('failures', () => {
    const key = randomBytes(16).toString('hex');
    const sealed: AeadDecryptParams = {
      key,
      nonce: 'abcdefghijkl',
      associatedData: 'transaction',
      ciphertext: aeadEncrypt({ key, nonce: 'abcdefghijkl', associatedData: 'transaction', plaintext }),
    };

    it('a flipped bit in any byte of ciphertext or tag fails authentication', () => {
      const bytes = Buffer.from(sealed.ciphertext, 'base64');
      for (let i = 0; i < bytes.length; i += 1) {
        const tampered = Buffer.from(bytes);
        tampered[i] = (tampered[i] ?? 0) ^ 0x01;
        const ciphertext = tampered.toString('base64');
        expect(errorCode(() => aeadDecrypt({ ...sealed, ciphertext }))).toBe('authentication-failed');
      }
    });

    it('wrong key, nonce or AAD, a truncated tag, an empty ciphertext', () => {
      const otherKey = randomBytes(16).toString('hex');
      expect(errorCode(() => aeadDecrypt({ ...sealed, key: otherKey }))).toBe('authentication-failed');
      expect(errorCode(() => aeadDecrypt({ ...sealed, nonce: 'abcdefghijkm' }))).toBe('authentication-failed');
      expect(errorCode(() => aeadDecrypt({ ...sealed, associatedData: 'refund' }))).toBe('authentication-failed');
      const truncated = Buffer.from(sealed.ciphertext, 'base64').subarray(0, -1).toString('base64');
      expect(errorCode(() => aeadDecrypt({ ...sealed, ciphertext: truncated }))).toBe('authentication-failed');
      expect(errorCode(() => aeadDecrypt({ ...sealed, ciphertext: '' }))).toBe('authentication-failed');
    });

    it('malformed: non-base64 ciphertext, empty nonce', () => {
      expect(errorCode(() => aeadDecrypt({ ...sealed, ciphertext: `${sealed.ciphertext}!` }))).toBe('malformed-ciphertext');
      expect(errorCode(() => aeadDecrypt({ ...sealed, nonce: '' }))).toBe('invalid-nonce');
    });

    it('errors are told apart by name and carry a stable code', () => {
      const error = new WechatpayCryptoError('authentication-failed', 'x');
      expect(isWechatpayCryptoError(error)).toBe(true);
      expect(isWechatpayCryptoError(Object.assign(new Error('x'), { code: 'authentication-failed' }))).toBe(false);
      expect(error.toJSON()).toEqual({ code: 'authentication-failed', message: 'x' });
    });
  });
});

describe('certificateSerial', () => {
  it('upper-case hex as WeChat writes it', () => {
    expect(certificateSerial(w4.inputs.platform_certificate_pem)).toBe('D7CE59D1F522D701');
  });

  it('throws on something that is not a certificate', () => {
    expect(() => certificateSerial(platformPem)).toThrow();
  });
});
