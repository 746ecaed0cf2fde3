// The WeChat Pay adapter reading notifications (§1.2–1.5): every event type it knows, every reason it refuses one,
// and the acknowledgements WeChat takes as received or retries. Notifications are built here exactly as WeChat
// builds them (platform key, APIv3 key) so that each field can be varied, and taken from the sandbox's real deliveries.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWechatpaySandbox, type WechatpayTestSandbox } from '../../../demo/sandbox/wechatpay/testing.ts';
import type { Ack, ChannelAdapter, NotificationResult } from '../types.ts';
import { wechatpayAdapter } from './adapter.ts';
import { aeadEncrypt, SIGNTEST_PREFIX, signResponse } from './crypto.ts';

let t: WechatpayTestSandbox;
let adapter: ChannelAdapter;
let merchant: Server;
let notifyUrl: string;
const received: Array<{ headers: Record<string, string>; body: string }> = [];
let sequence = 0;

const NOW = new Date('2026-05-20T05:29:35Z');
const NOW_SECONDS = NOW.getTime() / 1000;

beforeAll(async () => {
  t = await startWechatpaySandbox({ refundProcessingMs: null });
  adapter = wechatpayAdapter(t.credentials, { timeoutMs: 3000, readRetries: 0 });
  merchant = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      // Header names arrive in lower case, as the BFF hands them over.
      received.push({ headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])), body });
      // Refuse probes (so the real one follows), take everything else (so nothing is retried into the next test).
      response.writeHead(String(request.headers['wechatpay-signature']).startsWith(SIGNTEST_PREFIX) ? 401 : 204).end();
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/wechatpay`;
}, 60_000);

afterAll(async () => {
  t?.context.notifier.stop();
  await t?.close();
  merchant?.closeAllConnections();
  await new Promise<void>((resolve) => merchant?.close(() => resolve()));
});

const transaction = (overrides: Record<string, unknown> = {}) => ({
  amount: { currency: 'CNY', payer_currency: 'CNY', payer_total: 12_800, total: 12_800 },
  appid: t.credentials.appid,
  attach: 'cart-42',
  bank_type: 'OTHERS',
  mchid: t.credentials.mchid,
  out_trade_no: '261127172214RPH101PW',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  promotion_detail: [],
  success_time: '2026-05-20T13:29:30+08:00',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  trade_type: 'NATIVE',
  transaction_id: '4200000123202605201234567890',
  ...overrides,
});

const refundResource = (overrides: Record<string, unknown> = {}) => ({
  amount: { payer_refund: 5000, payer_total: 12_800, refund: 5000, total: 12_800 },
  mchid: t.credentials.mchid,
  out_refund_no: 'RF261127172214AB',
  out_trade_no: '261127172214RPH101PW',
  refund_id: '50300604212026052000550537447',
  refund_status: 'SUCCESS',
  success_time: '2026-05-20T13:29:31+08:00',
  transaction_id: '4200000123202605201234567890',
  user_received_account: '支付用户零钱',
  ...overrides,
});

interface Built {
  readonly eventType?: string;
  readonly resource?: object | string;
  readonly associatedData?: string;
  /** The AAD the envelope states, when it should differ from the one encrypted with. */
  readonly statedAssociatedData?: string;
  readonly apiV3Key?: string;
  readonly algorithm?: string;
  readonly id?: string;
  readonly timestamp?: number;
  readonly serial?: string;
  readonly signWith?: 'platform' | 'other' | 'probe';
}

const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

/** A notification as WeChat sends it: body, then the four Wechatpay-* headers in lower case. */
function built(options: Built = {}): { headers: Record<string, string>; body: string } {
  const eventType = options.eventType ?? 'TRANSACTION.SUCCESS';
  const associatedData = options.associatedData ?? (eventType.startsWith('REFUND') ? 'refund' : 'transaction');
  const nonce = 'Kj7QIyUiYx1q';
  const plaintext = typeof options.resource === 'string' ? options.resource : JSON.stringify(options.resource ?? transaction());
  const ciphertext = aeadEncrypt({ key: options.apiV3Key ?? t.credentials.apiV3Key, nonce, associatedData, plaintext });
  const body = JSON.stringify({
    id: options.id ?? 'EV-2018022511223320873',
    create_time: '2026-05-20T13:29:35+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: {
      original_type: associatedData,
      algorithm: options.algorithm ?? 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: options.statedAssociatedData ?? associatedData,
      nonce,
    },
  });
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const signWith = options.signWith ?? 'platform';
  const signed =
    signWith === 'probe'
      ? { timestamp: String(timestamp), nonce: 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz', signature: `${SIGNTEST_PREFIX}c2lnbnRlc3Q=` }
      : signResponse(signWith === 'platform' ? t.secrets.platformPrivateKey : otherKey, body, { timestamp, nonce: 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz' });
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': signed.timestamp,
      'wechatpay-nonce': signed.nonce,
      'wechatpay-signature': signed.signature,
      'wechatpay-serial': options.serial ?? t.secrets.platformPublicKeyId,
    },
    body,
  };
}

const parse = (notification: { headers: Record<string, string>; body: string }, now: Date = NOW): NotificationResult =>
  adapter.parseNotification({ headers: notification.headers, body: notification.body, now });

const RECEIVED: Ack = { status: 200, body: '{"code":"SUCCESS","message":"成功"}', contentType: 'application/json; charset=utf-8' };
const refused = (status: number, message: string): Ack => ({ status, body: JSON.stringify({ code: 'FAIL', message }), contentType: 'application/json; charset=utf-8' });

describe('authentic notifications', () => {
  it('TRANSACTION.SUCCESS is a payment notice with the trade, the event id, and 200 SUCCESS as the acknowledgement', () => {
    expect(parse(built())).toEqual({
      ok: true,
      eventId: 'EV-2018022511223320873',
      subject: {
        kind: 'payment',
        channelOrderNo: '261127172214RPH101PW',
        trade: {
          state: 'succeeded',
          channelState: 'SUCCESS',
          channelTradeNo: '4200000123202605201234567890',
          amount: 12_800,
          currency: 'CNY',
          paidAt: new Date('2026-05-20T05:29:30Z'),
        },
      },
      ack: RECEIVED,
    });
  });

  it('REFUND.SUCCESS is a refund notice: out_refund_no, refund_id, amount.refund, success_time, user_received_account', () => {
    expect(parse(built({ eventType: 'REFUND.SUCCESS', resource: refundResource() }))).toEqual({
      ok: true,
      eventId: 'EV-2018022511223320873',
      subject: {
        kind: 'refund',
        channelOrderNo: '261127172214RPH101PW',
        refundNo: 'RF261127172214AB',
        refund: {
          state: 'succeeded',
          channelState: 'SUCCESS',
          channelRefundNo: '50300604212026052000550537447',
          amount: 5000,
          succeededAt: new Date('2026-05-20T05:29:31Z'),
          receivedAccount: '支付用户零钱',
        },
      },
      ack: RECEIVED,
    });
  });

  it.each([
    // ABNORMAL: the money left the merchant and waits to be redirected; not a failure (that would free it for a second refund).
    ['REFUND.ABNORMAL', 'ABNORMAL', 'processing'],
    ['REFUND.CLOSED', 'CLOSED', 'failed'],
  ] as const)('%s is a refund with channelState %s, %s, and no success time', (eventType, status, state) => {
    const { success_time: _none, ...resource } = refundResource({ refund_status: status });
    expect(parse(built({ eventType, resource }))).toMatchObject({
      ok: true,
      subject: { kind: 'refund', refundNo: 'RF261127172214AB', refund: { state, channelState: status, amount: 5000, succeededAt: undefined } },
      ack: RECEIVED,
    });
  });

  it('reads refund_status from the event type when the resource leaves it out', () => {
    const { refund_status: _none, ...resource } = refundResource();
    expect(parse(built({ eventType: 'REFUND.SUCCESS', resource }))).toMatchObject({ ok: true, subject: { refund: { state: 'succeeded', channelState: 'SUCCESS' } } });
  });

  it('acknowledges an event type the cashier does not act on, without acting', () => {
    expect(parse(built({ eventType: 'PROFITSHARING.SUCCESS', associatedData: 'profitsharing', resource: { mchid: t.credentials.mchid, order_id: '3008450740201411110007820472' } }))).toEqual({
      ok: true,
      eventId: 'EV-2018022511223320873',
      subject: { kind: 'ignored', reason: 'event type PROFITSHARING.SUCCESS' },
      ack: RECEIVED,
    });
  });

  it('takes event types and statuses as data: "constructor" is an unknown event, not a property of an object', () => {
    expect(parse(built({ eventType: 'constructor', associatedData: 'x', resource: { mchid: t.credentials.mchid } }))).toMatchObject({ ok: true, subject: { kind: 'ignored' } });
    expect(parse(built({ eventType: 'REFUND.SUCCESS', resource: refundResource({ refund_status: undefined }) }))).toMatchObject({ ok: true });
  });

  it('accepts a timestamp 300 s either side of now (§1.2)', () => {
    expect(parse(built({ timestamp: NOW_SECONDS - 300 })).ok).toBe(true);
    expect(parse(built({ timestamp: NOW_SECONDS + 300 })).ok).toBe(true);
  });

  it('takes an empty associated_data as WeChat allows it (§1.4)', () => {
    expect(parse(built({ associatedData: '' })).ok).toBe(true);
  });
});

describe('acknowledgements', () => {
  it('are answers a Response can carry: the received one, and every refusal', () => {
    const acks = [parse(built()).ack, ...['unknown-key', 'probe', 'stale'].map((kind) =>
      parse(built(kind === 'unknown-key' ? { serial: 'PUB_KEY_ID_0000' } : kind === 'probe' ? { signWith: 'probe' } : { timestamp: NOW_SECONDS - 600 })).ack,
    )];
    for (const ack of acks) {
      const response = new Response(ack.body, { status: ack.status, headers: { 'Content-Type': ack.contentType } });
      expect(response.status).toBe(ack.status);
    }
  });
});

describe('refused notifications, answered so that WeChat retries', () => {
  it.each([
    ['a key id it does not know', () => built({ serial: 'PUB_KEY_ID_0117000800002025045698789500001779' }), 'unknown-key', refused(401, '验签失败：未知的 Wechatpay-Serial')],
    ['a signature probe (WECHATPAY/SIGNTEST/)', () => built({ signWith: 'probe' }), 'signtest-probe', refused(401, '验签失败')],
    ['a signature by another key', () => built({ signWith: 'other' }), 'bad-signature', refused(401, '验签失败')],
    ['a timestamp 301 s old', () => built({ timestamp: NOW_SECONDS - 301 }), 'stale', refused(401, '验签失败：时间戳超出允许范围')],
    ['a timestamp 301 s ahead', () => built({ timestamp: NOW_SECONDS + 301 }), 'stale', refused(401, '验签失败：时间戳超出允许范围')],
    ['a resource encrypted with another APIv3 key', () => built({ apiV3Key: '0123456789abcdef0123456789abcdef' }), 'decrypt-failed', refused(500, '解密失败')],
    ['an associated_data other than the one encrypted with', () => built({ statedAssociatedData: 'refund' }), 'decrypt-failed', refused(500, '解密失败')],
    ['a transaction of another mchid', () => built({ resource: transaction({ mchid: '1900000109' }) }), 'wrong-merchant', refused(400, '商户号不匹配')],
    ['a transaction of another appid', () => built({ resource: transaction({ appid: 'wx0000000000000000' }) }), 'wrong-merchant', refused(400, '商户号不匹配')],
    ['a transaction without mchid', () => built({ resource: transaction({ mchid: undefined }) }), 'wrong-merchant', refused(400, '商户号不匹配')],
    ['a refund of another mchid', () => built({ eventType: 'REFUND.SUCCESS', resource: refundResource({ mchid: '1900000109' }) }), 'wrong-merchant', refused(400, '商户号不匹配')],
    ['an algorithm other than AEAD_AES_256_GCM', () => built({ algorithm: 'AEAD_SM4_GCM' }), 'malformed', refused(400, '通知格式错误')],
    ['a resource that is not JSON', () => built({ resource: 'not json' }), 'malformed', refused(400, '通知格式错误')],
    ['a success without amount', () => built({ resource: transaction({ amount: undefined }) }), 'malformed', refused(400, '通知格式错误')],
    ['a transaction without out_trade_no', () => built({ resource: transaction({ out_trade_no: undefined }) }), 'malformed', refused(400, '通知格式错误')],
    ['a refund without out_refund_no', () => built({ eventType: 'REFUND.SUCCESS', resource: refundResource({ out_refund_no: undefined }) }), 'malformed', refused(400, '通知格式错误')],
    ['a refund without amount.refund', () => built({ eventType: 'REFUND.SUCCESS', resource: refundResource({ amount: { total: 12_800 } }) }), 'malformed', refused(400, '通知格式错误')],
    ['REFUND.SUCCESS saying refund_status CLOSED', () => built({ eventType: 'REFUND.SUCCESS', resource: refundResource({ refund_status: 'CLOSED' }) }), 'malformed', refused(400, '通知格式错误')],
  ] as const)('refuses %s as %s', (_name, notification, reason, ack) => {
    const parsed = parse(notification());
    expect(parsed).toMatchObject({ ok: false, reason, eventId: 'EV-2018022511223320873', ack });
    // WeChat takes 200 and 204 as received whatever the body (§1.5): a refusal must be neither.
    expect([200, 204]).not.toContain(parsed.ack.status);
  });

  it('refuses a body changed after signing, by one byte', () => {
    const real = built();
    expect(parse({ headers: real.headers, body: real.body.replace('"summary":"支付成功"', '"summary":"支付成功 "') })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each(['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial'])('refuses a notification without %s as malformed', (header) => {
    const { [header]: _gone, ...headers } = built().headers;
    expect(parse({ headers, body: built().body })).toMatchObject({ ok: false, reason: 'malformed', ack: refused(400, '通知格式错误') });
  });

  it('refuses a signed body that is not a notification, with no event id to give', () => {
    const body = '["not","a","notification"]';
    const signed = signResponse(t.secrets.platformPrivateKey, body, { timestamp: NOW_SECONDS });
    const headers = { 'wechatpay-timestamp': signed.timestamp, 'wechatpay-nonce': signed.nonce, 'wechatpay-signature': signed.signature, 'wechatpay-serial': t.secrets.platformPublicKeyId };
    expect(parse({ headers, body })).toEqual({ ok: false, reason: 'malformed', detail: 'body is not a notification with an id', eventId: undefined, ack: refused(400, '通知格式错误') });
  });

  it('never throws, even on headers that do', () => {
    const hostile = new Proxy({} as Record<string, string>, {
      get() {
        throw new Error('boom');
      },
    });
    expect(adapter.parseNotification({ headers: hostile, body: built().body, now: NOW })).toMatchObject({ ok: false, reason: 'malformed', ack: { status: 400 } });
  });

  it('says nothing secret in a refusal', () => {
    const parsed = parse(built({ apiV3Key: '0123456789abcdef0123456789abcdef' }));
    const text = JSON.stringify(parsed);
    expect(text).not.toContain(t.credentials.apiV3Key);
    expect(text).not.toContain('0123456789abcdef0123456789abcdef');
  });
});

describe('the sandbox’s own deliveries', () => {
  async function paidWithNotification(script: Parameters<WechatpayTestSandbox['context']['faults']['set']>[2] = {}): Promise<string> {
    sequence += 1;
    const outTradeNo = `WXP${Date.now()}${sequence}`;
    await t.call('/v3/pay/transactions/native', {
      body: JSON.stringify({
        appid: t.credentials.appid,
        mchid: t.credentials.mchid,
        description: 'Celadon tea set',
        out_trade_no: outTradeNo,
        notify_url: notifyUrl,
        amount: { total: 12_800, currency: 'CNY' },
      }),
    });
    t.context.faults.set('wechatpay', outTradeNo, script);
    await t.sandbox.pay(outTradeNo);
    return outTradeNo;
  }

  async function deliveries(count: number): Promise<Array<{ headers: Record<string, string>; body: string }>> {
    const deadline = Date.now() + 5000;
    while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return received.splice(0, count);
  }

  it('reads the real TRANSACTION.SUCCESS and REFUND.SUCCESS, refuses the probe before them and the forged ones', async () => {
    const outTradeNo = await paidWithNotification({ probe: true });
    const [probe, real] = await deliveries(2);
    const now = t.context.clock.now();
    expect(parse(probe!, now)).toMatchObject({ ok: false, reason: 'signtest-probe' });
    const payment = parse(real!, now);
    expect(payment).toMatchObject({ ok: true, subject: { kind: 'payment', channelOrderNo: outTradeNo, trade: { state: 'succeeded', amount: 12_800 } } });
    // The probe was the same event: its id is reported for the log, though nothing acts on it.
    const probed = parse(probe!, now);
    expect(!probed.ok && probed.eventId).toBe(payment.ok && payment.eventId);

    await t.call('/v3/refund/domestic/refunds', {
      body: JSON.stringify({ out_trade_no: outTradeNo, out_refund_no: `RF${outTradeNo}`, notify_url: notifyUrl, amount: { refund: 5000, total: 12_800, currency: 'CNY' } }),
    });
    t.context.faults.set('wechatpay', outTradeNo, {});
    t.sandbox.settleRefund(`RF${outTradeNo}`, 'SUCCESS');
    const [refund] = await deliveries(1);
    expect(parse(refund!, t.context.clock.now())).toMatchObject({
      ok: true,
      subject: { kind: 'refund', channelOrderNo: outTradeNo, refundNo: `RF${outTradeNo}`, refund: { state: 'succeeded', channelState: 'SUCCESS', amount: 5000, receivedAccount: '支付用户零钱' } },
    });

    await paidWithNotification({ forgeSignature: true });
    const [forged] = await deliveries(1);
    expect(parse(forged!, t.context.clock.now())).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});
