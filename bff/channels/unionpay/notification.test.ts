import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoCredentials, type SandboxSecrets } from '../../../demo/credentials.ts';
import { impostorFor, signAsImpostor } from '../../../demo/sandbox/unionpay/impostor.ts';
import { signAnswer } from '../../../demo/sandbox/unionpay/messages.ts';
import { loadCredentials, type UnionpayCredentials } from '../../keys/index.ts';
import type { ChannelAdapter, NotificationInput } from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { sign, toForm } from './crypto.ts';
import { notificationEventId } from './notification.ts';

let secrets: SandboxSecrets['unionpay'];
let credentials: UnionpayCredentials;
let adapter: ChannelAdapter;

beforeAll(() => {
  const made = ensureDemoCredentials(mkdtempSync(join(tmpdir(), 'unionpay-notify-')), 'http://127.0.0.1:9');
  secrets = made.sandbox.unionpay;
  credentials = loadCredentials(made.credentialsDir).unionpay!;
  adapter = unionpayAdapter(credentials, { timeoutMs: 1000, readRetries: 0 });
}, 30_000);

const FORM = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' };
/** Within the demo certificates' validity (they run ten years from when the test made them). */
const now = () => new Date();

const OK = { status: 200, body: 'ok', contentType: 'text/plain;charset=UTF-8' };
const REJECTED = { status: 400, body: 'rejected', contentType: 'text/plain;charset=UTF-8' };

/** A consume's back notification as UnionPay sends it (U3's fields), for 2026-05-01 12:00:07 Beijing. */
function payment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    accessType: '0',
    merId: secrets.merId,
    orderId: '260501120007ABCDEFGH',
    txnTime: '20260501120007',
    txnAmt: '12800',
    currencyCode: '156',
    reqReserved: 'cart-42',
    queryId: '782605011200071234567',
    traceNo: '123456',
    traceTime: '0501120007',
    settleAmt: '12800',
    settleCurrencyCode: '156',
    settleDate: '0501',
    respCode: '00',
    respMsg: 'success',
    ...overrides,
  };
}

/** A refund's back notification: its own orderId, txnTime and queryId; the payment by origQryId and reqReserved. */
function refund(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return payment({
    txnType: '04',
    txnSubType: '00',
    orderId: '260502093000REFUND01',
    txnTime: '20260502093000',
    txnAmt: '5000',
    settleAmt: '5000',
    settleDate: '0502',
    traceTime: '0502093000',
    queryId: '782605020930001111111',
    origQryId: '782605011200071234567',
    reqReserved: '260501120007ABCDEFGH',
    ...overrides,
  });
}

const signed = (fields: Record<string, string | undefined>) => signAnswer(fields, secrets);
const input = (fields: Record<string, string>, extra: Partial<NotificationInput> = {}): NotificationInput => ({ headers: FORM, body: toForm(fields), now: now(), ...extra });
const parse = (fields: Record<string, string>, extra: Partial<NotificationInput> = {}) => adapter.parseNotification(input(fields, extra));

describe('parseNotification: what an authentic notification says', () => {
  it('a paid consume: succeeded with txnAmt, queryId and paidAt (traceTime, Beijing), acknowledged with HTTP 200', () => {
    expect(parse(signed(payment()))).toEqual({
      ok: true,
      eventId: 'unionpay:01:260501120007ABCDEFGH:20260501120007:00',
      subject: {
        kind: 'payment',
        channelOrderNo: '260501120007ABCDEFGH',
        trade: {
          state: 'succeeded',
          channelState: '00',
          channelTradeNo: '782605011200071234567',
          amount: 12_800,
          currency: 'CNY',
          paidAt: new Date('2026-05-01T12:00:07+08:00'),
        },
      },
      ack: OK,
    });
  });

  it('a failed consume (back-type transactions notify failures too): failed, no paidAt, still acknowledged', () => {
    const result = parse(signed(payment({ respCode: '60', respMsg: '交易失败', queryId: undefined, traceNo: undefined, traceTime: undefined, settleAmt: undefined, settleDate: undefined })));
    expect(result).toEqual({
      ok: true,
      eventId: 'unionpay:01:260501120007ABCDEFGH:20260501120007:60',
      subject: { kind: 'payment', channelOrderNo: '260501120007ABCDEFGH', trade: { state: 'failed', channelState: '60', channelTradeNo: undefined, amount: 12_800, currency: 'CNY', paidAt: undefined } },
      ack: OK,
    });
  });

  it('a refund (txnType 04): refundNo is its orderId, channelRefundNo its queryId, the payment\u2019s number from reqReserved', () => {
    expect(parse(signed(refund()))).toEqual({
      ok: true,
      eventId: 'unionpay:04:260502093000REFUND01:20260502093000:00',
      subject: {
        kind: 'refund',
        channelOrderNo: '260501120007ABCDEFGH',
        refundNo: '260502093000REFUND01',
        refund: {
          state: 'succeeded',
          channelState: '00',
          channelRefundNo: '782605020930001111111',
          amount: 5000,
          succeededAt: new Date('2026-05-02T09:30:00+08:00'),
        },
      },
      ack: OK,
    });
  });

  it.each([
    ['03', 'processing'],
    ['05', 'processing'],
    ['35', 'failed'],
  ] as const)('a refund notice with respCode %s is %s', (respCode, state) => {
    const result = parse(signed(refund({ respCode })));
    expect(result).toMatchObject({ ok: true, subject: { kind: 'refund', refund: { state, channelState: respCode, succeededAt: undefined } } });
  });

  it.each([
    ['a consume void (31)', { txnType: '31', txnSubType: '00' }, 'consume void (txnType 31): not requested by the cashier; reconcile from the bill'],
    ['a pre-auth (02)', { txnType: '02' }, 'txnType 02 is not a payment or refund result'],
    ['a refund without reqReserved (made elsewhere)', { txnType: '04', reqReserved: undefined }, 'a refund the cashier did not request (no order number in reqReserved)'],
    ['a refund whose reqReserved is no order number', { txnType: '04', reqReserved: 'cart-42' }, 'a refund the cashier did not request (no order number in reqReserved)'],
  ])('ignores %s, and acknowledges it so UnionPay stops', (_, overrides, reason) => {
    const result = parse(signed(payment(overrides)));
    expect(result).toMatchObject({ ok: true, subject: { kind: 'ignored', reason }, ack: OK });
  });
});

describe('parseNotification: what it refuses (HTTP 400, so UnionPay sends it again)', () => {
  it('malformed: an empty body, no signature, another content type, an authentic message without orderId or amount', () => {
    expect(adapter.parseNotification({ headers: FORM, body: '', now: now() })).toEqual({ ok: false, reason: 'malformed', detail: 'not a UnionPay form (no signature field)', ack: REJECTED });
    expect(adapter.parseNotification({ headers: FORM, body: toForm(payment() as Record<string, string>), now: now() })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parse(signed(payment()), { headers: { 'content-type': 'application/json' } })).toMatchObject({ ok: false, reason: 'malformed', ack: REJECTED });
    expect(parse(signed(payment({ orderId: undefined })))).toEqual({
      ok: false,
      reason: 'malformed',
      detail: 'txnType, orderId, txnTime and respCode are required',
      ack: REJECTED,
    });
    expect(parse(signed(payment({ txnAmt: '128.00' })))).toEqual({
      ok: false,
      reason: 'malformed',
      detail: 'a success notice without a valid txnAmt',
      eventId: 'unionpay:01:260501120007ABCDEFGH:20260501120007:00',
      ack: REJECTED,
    });
  });

  it('bad-signature: one field changed after signing, a signature that is not base64, UnionPay\u2019s certificate with another key', () => {
    const real = signed(payment());
    expect(parse({ ...real, txnAmt: '12801' })).toMatchObject({ ok: false, reason: 'bad-signature', detail: 'the signature does not match the fields', ack: REJECTED });
    expect(parse({ ...real, signature: `${real.signature!.slice(0, -4)}!!!!` })).toMatchObject({ ok: false, reason: 'bad-signature' });
    const { signature: _, ...unsigned } = real;
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(parse({ ...unsigned, signature: sign(unsigned, otherKey) })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('unknown-key: no signPubKeyCert, an impostor\u2019s self-made certificate, an expired signer certificate', () => {
    const { signPubKeyCert: _, ...noCert } = signed(payment());
    expect(parse(noCert)).toMatchObject({ ok: false, reason: 'unknown-key', detail: 'no signPubKeyCert: the signer cannot be identified' });
    const forged = signAsImpostor(signed(payment()), impostorFor(secrets));
    expect(parse(forged)).toMatchObject({ ok: false, reason: 'unknown-key', ack: REJECTED });
    const validTo = new Date(new X509Certificate(secrets.signerCertificate).validTo);
    expect(parse(signed(payment()), { now: new Date(validTo.getTime() + 1000) })).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(parse(signed(payment()), { now: new Date(validTo.getTime() - 1000) })).toMatchObject({ ok: true });
  });

  it('wrong-merchant: authentic, but for another merId (the event id is given, for the log)', () => {
    expect(parse(signed(payment({ merId: '777290058110048' })))).toEqual({
      ok: false,
      reason: 'wrong-merchant',
      detail: 'merId is not this merchant\u2019s',
      eventId: 'unionpay:01:260501120007ABCDEFGH:20260501120007:00',
      ack: REJECTED,
    });
  });

  it('never throws: garbage bodies and a broken trust anchor give rejections', () => {
    for (const body of ['%', '%E0%A4%A', '&&&', '=', 'signature', 'signature=%ZZ&signPubKeyCert=x', 'a'.repeat(100_000)]) {
      const result = adapter.parseNotification({ headers: FORM, body, now: now() });
      expect(result.ok, body.slice(0, 20)).toBe(false);
      if (!result.ok) expect(result.ack).toEqual(REJECTED);
    }
    const broken = unionpayAdapter({ ...credentials, rootCertificate: 'not a certificate' }, { timeoutMs: 1000, readRetries: 0 });
    expect(broken.parseNotification(input(signed(payment())))).toMatchObject({ ok: false, reason: 'unknown-key' });
  });
});

describe('event ids', () => {
  it('stay the same for every copy of a notification, however it was encoded on the way', () => {
    const fields = signed(payment());
    const reordered = Object.fromEntries(Object.entries(fields).reverse());
    // Percent-encoding every character a form may leave bare: the same fields, other bytes.
    const overEncoded = Object.entries(fields)
      .map(([key, value]) => `${key}=${[...value].map((c) => (/[A-Za-z0-9]/.test(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(c))).join('')}`)
      .join('&');
    const ids = [
      parse(fields),
      parse(reordered),
      adapter.parseNotification({ headers: FORM, body: overEncoded, now: now() }),
      // A copy delivered a day later is the same event.
      parse(fields, { now: new Date(Date.now() + 86_400_000) }),
    ].map((result) => (result.ok ? result.eventId : result.reason));
    expect(ids).toEqual(Array.from({ length: 4 }, () => 'unionpay:01:260501120007ABCDEFGH:20260501120007:00'));
  });

  it('differ between events: success and failure of one order, a payment and its refund, two refunds', () => {
    const ids = [payment(), payment({ respCode: '60' }), refund(), refund({ orderId: '260502093500REFUND02', txnTime: '20260502093500' })].map((fields) => {
      const result = parse(signed(fields));
      return result.ok ? result.eventId : result.reason;
    });
    expect(new Set(ids).size).toBe(4);
    expect(notificationEventId({ txnType: '04', orderId: 'R1', txnTime: '20260502093000', respCode: '00' })).toBe('unionpay:04:R1:20260502093000:00');
  });

  it('do not depend on the amount (a changed amount is the same event, for the BFF to cross-check)', () => {
    const honest = parse(signed(payment()));
    const changed = parse(signed(payment({ txnAmt: '1', settleAmt: '1' })));
    expect(changed).toMatchObject({ ok: true, subject: { trade: { amount: 1 } } });
    expect(changed.ok && honest.ok && changed.eventId === honest.eventId).toBe(true);
  });
});
