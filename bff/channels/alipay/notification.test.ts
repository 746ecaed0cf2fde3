// The Alipay notification parser on its own: a real production notification (vector A1) read as a payment, each
// kind of trade_status_sync the sandbox cannot be made to send (a close without refund, other notify types), every
// reason for refusing one, and the exact answers Alipay expects. Notifications the sandbox really sends are read in
// refund.test.ts and the shared contract suite.

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import a1 from '../../../test/fixtures/vectors/alipay-a1-trade-notify.json' with { type: 'json' };
import type { AlipayCredentials } from '../../keys/index.ts';
import type { NotificationResult } from '../types.ts';
import { signNotify } from './crypto.ts';
import { ACK_RECEIVED, ACK_REFUSED, parseAlipayNotification } from './notification.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const form = (fields: Readonly<Record<string, string>>) => new URLSearchParams(fields).toString();
const now = new Date('2026-11-27T08:00:00Z');

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipayKey = pair();
const appKey = pair();
const APP_ID = '2021000000000042';
const credentials: AlipayCredentials = {
  gateway: 'https://openapi.alipay.com/gateway.do',
  appId: APP_ID,
  appPrivateKey: appKey.privateKey,
  alipayPublicKey: alipayKey.publicKey,
};

/** What the sandbox posts for a paid trade, signed with "Alipay's" key (or another one). */
function payment(overrides: Record<string, string | undefined> = {}, key: KeyObject = alipayKey.privateKey) {
  const fields: Record<string, string | undefined> = {
    notify_time: '2026-11-27 16:00:01',
    notify_type: 'trade_status_sync',
    notify_id: '2026112700222160001000000000000001',
    app_id: APP_ID,
    auth_app_id: APP_ID,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: '2026112722001400000000000001',
    out_trade_no: 'AP20261127000001',
    buyer_id: '2088000000000042',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '128.00',
    receipt_amount: '128.00',
    subject: 'Celadon tea set',
    gmt_create: '2026-11-27 15:59:00',
    gmt_payment: '2026-11-27 16:00:00',
    passback_params: 'cart%2042%26x%3D1',
    ...overrides,
  };
  return form(signNotify(fields, key));
}

const parse = (body: string, headers: Record<string, string> = FORM, with_ = credentials): NotificationResult =>
  parseAlipayNotification(with_, { headers, body, now });

describe('acknowledgements', () => {
  it('answers "success" (7 characters, text/plain, 200) to what it accepts, and "fail" to what it refuses', () => {
    expect(ACK_RECEIVED).toEqual({ status: 200, body: 'success', contentType: 'text/plain' });
    expect(ACK_REFUSED).toEqual({ status: 200, body: 'fail', contentType: 'text/plain' });
    expect(parse(payment())).toMatchObject({ ok: true, ack: ACK_RECEIVED });
    expect(parse(payment(), FORM, { ...credentials, alipayPublicKey: pair().publicKey })).toMatchObject({ ok: false, ack: ACK_REFUSED });
  });
});

describe('a real production notification (vector A1)', () => {
  const realCredentials: AlipayCredentials = { ...credentials, appId: a1.fields.app_id, alipayPublicKey: createPublicKey(a1.alipay_public_key_pem) };

  it('is a payment of 0.10 yuan at 2019-08-15 15:56:24 Beijing time, with notify_id as the event id', () => {
    expect(parse(form(a1.fields), FORM, realCredentials)).toEqual({
      ok: true,
      eventId: '2019081500222155624068450559358070',
      subject: {
        kind: 'payment',
        channelOrderNo: '20190815155618536-564-57',
        trade: {
          state: 'succeeded',
          channelState: 'TRADE_SUCCESS',
          channelTradeNo: '2019081522001468450512505578',
          amount: 10,
          currency: 'CNY',
          paidAt: new Date('2019-08-15T07:56:24Z'),
        },
      },
      ack: ACK_RECEIVED,
    });
  });

  it('is refused when it is not for our app, and another merchant\u2019s published failing one is refused as unsigned by Alipay', () => {
    expect(parse(form(a1.fields), FORM, { ...realCredentials, appId: APP_ID })).toMatchObject({
      ok: false,
      reason: 'wrong-merchant',
      eventId: '2019081500222155624068450559358070',
    });
    const other = a1.negative[0]!.fields;
    expect(parse(form(other), FORM, { ...realCredentials, appId: other.app_id })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('what an authentic notification says', () => {
  it('a payment: total_amount in fen, gmt_payment as Beijing time; passback_params is not reported', () => {
    const parsed = parse(payment());
    expect(parsed).toEqual({
      ok: true,
      eventId: '2026112700222160001000000000000001',
      subject: {
        kind: 'payment',
        channelOrderNo: 'AP20261127000001',
        trade: {
          state: 'succeeded',
          channelState: 'TRADE_SUCCESS',
          channelTradeNo: '2026112722001400000000000001',
          amount: 12_800,
          currency: 'CNY',
          paidAt: new Date('2026-11-27T08:00:00Z'),
        },
      },
      ack: ACK_RECEIVED,
    });
  });

  it('TRADE_FINISHED is a payment too', () => {
    expect(parse(payment({ trade_status: 'TRADE_FINISHED' }))).toMatchObject({ ok: true, subject: { kind: 'payment', trade: { state: 'succeeded', channelState: 'TRADE_FINISHED' } } });
  });

  it('TRADE_CLOSED without refund fields is a payment notice of a closed trade', () => {
    const closed = parse(payment({ trade_status: 'TRADE_CLOSED', gmt_payment: undefined, gmt_close: '2026-11-27 16:15:00' }));
    expect(closed).toMatchObject({ ok: true, subject: { kind: 'payment', channelOrderNo: 'AP20261127000001', trade: { state: 'closed', channelState: 'TRADE_CLOSED', amount: 12_800 } } });
    if (closed.ok && closed.subject.kind === 'payment') expect(closed.subject.trade.paidAt).toBeUndefined();
  });

  it('a partial refund: out_biz_no is the refund number, refund_fee (the refunded total) the amount, gmt_refund with milliseconds', () => {
    const parsed = parse(
      payment({ notify_id: '2026112700222160001000000000000002', refund_fee: '50.00', gmt_refund: '2026-11-27 16:30:00.143', out_biz_no: 'AR20261127000001' }),
    );
    expect(parsed).toEqual({
      ok: true,
      eventId: '2026112700222160001000000000000002',
      subject: {
        kind: 'refund',
        channelOrderNo: 'AP20261127000001',
        refundNo: 'AR20261127000001',
        refund: { state: 'succeeded', channelState: 'TRADE_SUCCESS', refundedTotal: 5000, succeededAt: new Date('2026-11-27T08:30:00.143Z') },
      },
      ack: ACK_RECEIVED,
    });
  });

  it('the refund that empties the trade comes as TRADE_CLOSED with gmt_close, and is a refund notice', () => {
    const parsed = parse(payment({ trade_status: 'TRADE_CLOSED', refund_fee: '128.00', gmt_refund: '2026-11-27 16:31:02.5', out_biz_no: 'AR2', gmt_close: '2026-11-27 16:31:02' }));
    // Java's "S": ".5" is 5 milliseconds.
    expect(parsed).toMatchObject({ ok: true, subject: { kind: 'refund', refundNo: 'AR2', refund: { state: 'succeeded', channelState: 'TRADE_CLOSED', refundedTotal: 12_800, succeededAt: new Date('2026-11-27T08:31:02.005Z') } } });
  });

  it('another notify_type, authentic and ours, is acknowledged and ignored', () => {
    expect(parse(payment({ notify_type: 'trade_settle_sync' }))).toEqual({ ok: true, eventId: '2026112700222160001000000000000001', subject: { kind: 'ignored', reason: 'notify_type trade_settle_sync' }, ack: ACK_RECEIVED });
  });

  it('reads the form once: a "+" is a space, and a value with empty fields still verifies', () => {
    const body = payment({ subject: 'Celadon tea set', body: '' });
    expect(body).toContain('subject=Celadon+tea+set');
    expect(body).toContain('body=&');
    expect(parse(body).ok).toBe(true);
  });
});

describe('refusals', () => {
  it.each([
    ['signed with a key that is not Alipay\u2019s', () => payment({}, pair().privateKey), 'bad-signature'],
    ['without sign', () => payment().replace(/&?sign=[^&]*/, ''), 'bad-signature'],
    ['with sign_type RSA (the one unsigned field)', () => payment().replace('sign_type=RSA2', 'sign_type=RSA'), 'bad-signature'],
    ['with a changed amount', () => payment().replace('total_amount=128.00', 'total_amount=128.01'), 'bad-signature'],
    ['with a field added', () => `${payment()}&refund_fee=128.00`, 'bad-signature'],
    ['with passback_params decoded once more than signed', () => payment().replace('cart%252042', 'cart%2042'), 'bad-signature'],
    ['signed by Alipay for another app', () => payment({ app_id: '2021000000000043', auth_app_id: '2021000000000043' }), 'wrong-merchant'],
    ['with a field given twice', () => `${payment()}&out_trade_no=AP20261127000009`, 'malformed'],
    ['authentic but without notify_id', () => payment({ notify_id: undefined }), 'malformed'],
    ['authentic but without out_trade_no', () => payment({ out_trade_no: undefined }), 'malformed'],
    ['authentic but with total_amount not in yuan', () => payment({ total_amount: '128.001' }), 'malformed'],
    ['a refund without out_biz_no', () => payment({ refund_fee: '1.00', gmt_refund: '2026-11-27 16:30:00.1' }), 'malformed'],
    ['a refund whose refund_fee is no amount', () => payment({ refund_fee: 'x', out_biz_no: 'AR1' }), 'malformed'],
  ] as const)('refuses one %s (%s)', (_what, body, reason) => {
    const parsed = parse(body());
    expect(parsed).toMatchObject({ ok: false, reason, ack: ACK_REFUSED });
  });

  it('refuses a body that is not a form, and never throws on garbage', () => {
    expect(parse(JSON.stringify({ notify_id: '1' }), { 'content-type': 'application/json' })).toMatchObject({ ok: false, reason: 'malformed', ack: ACK_REFUSED });
    for (const body of ['', '%', '&&&=', 'sign=%E0%A4%A', '\u0000']) {
      expect(() => parse(body)).not.toThrow();
      expect(parse(body).ok).toBe(false);
    }
  });

  it('keeps the claimed notify_id on a refusal (for the log), and never reports a refused one as ok', () => {
    const forged = parse(payment({}, pair().privateKey));
    expect(forged).toEqual({
      ok: false,
      reason: 'bad-signature',
      detail: 'the signature does not verify with the Alipay public key we hold',
      eventId: '2026112700222160001000000000000001',
      ack: ACK_REFUSED,
    });
  });
});
