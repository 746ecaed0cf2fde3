// UnionPay has no official Node SDK to point at our sandbox, so conformance is checked against the published
// vectors instead: the adapter's requests reproduce U2 (the public test merchant's real request signature), the
// sandbox accepts U2 exactly as published, and its answers and notifications (refunds' too) verify by the
// procedure that verifies U1 and U3.

import { createPrivateKey } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, unionpayAdapter } from '../../bff/channels/unionpay/adapter.ts';
import { certId, parseForm, signContent, toForm, verifyMessage, verifyWithKey } from '../../bff/channels/unionpay/crypto.ts';
import { parseAnswer } from '../../bff/channels/unionpay/wire.ts';
import type { UnionpayCredentials } from '../../bff/keys/index.ts';
import { ensureDemoCredentials, type SandboxSecrets } from '../../demo/credentials.ts';
import { BillDiscrepancyBook } from '../../demo/sandbox/bills.ts';
import { Notifier } from '../../demo/sandbox/notifier.ts';
import { OrderBook } from '../../demo/sandbox/order-book.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import { SandboxClock } from '../../demo/sandbox/types.ts';
import { unionpaySandbox } from '../../demo/sandbox/unionpay/index.ts';
import { newChannelOrderNumber } from '../../shared/channels/index.ts';
import uca from '../fixtures/vectors/unionpay-test-ca.json' with { type: 'json' };
import u1 from '../fixtures/vectors/unionpay-u1-open-front-notify.json' with { type: 'json' };
import u2 from '../fixtures/vectors/unionpay-u2-request-signature.json' with { type: 'json' };
import u3 from '../fixtures/vectors/unionpay-u3-consume-front-notify.json' with { type: 'json' };
import { FaultBook } from '../../demo/sandbox/faults.ts';

const TEST_GATEWAY = 'https://gateway.test.95516.com';
const testCa = { root: uca.root_pem, middle: uca.middle_pem };
const { signature: u2Signature, ...u2Unsigned } = u2.inputs.params;

/** The public test merchant (U2) as our BFF would load it from its .pfx. */
const u2Merchant: UnionpayCredentials = {
  gateway: TEST_GATEWAY,
  merId: u2.inputs.params.merId,
  certId: certId(u2.merchant.certificate_pem),
  signPrivateKey: createPrivateKey(u2.merchant.private_key_pkcs8_pem),
  rootCertificate: uca.root_pem,
  middleCertificate: uca.middle_pem,
};

/** Writes fields the way UnionPay writes a synchronous answer: raw `k=v`, key order, `&`. */
const rawAnswer = (fields: Readonly<Record<string, string>>) =>
  Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join('&');

describe('requests: the adapter signs as the published U2 request', () => {
  it('signRequest, the path pay and query take, gives U2\u2019s signature for U2\u2019s fields', () => {
    expect(u2Signature).toBe('');
    const request = signRequest(u2Merchant, u2Unsigned);
    expect(request.certId).toBe(u2.expected.cert_id);
    expect(signContent(request)).toBe(u2.expected.signed_content);
    expect(request.signature).toBe(u2.expected.signature);
  });

  it('a gateway pay built by the adapter for U2\u2019s order is U2\u2019s request plus payTimeout, signed the same way', async () => {
    // U2's txnTime, 2022-09-03 06:54:48 Beijing, is where our order number starts.
    const madeAt = new Date('2022-09-03T06:54:48+08:00');
    const adapter = unionpayAdapter(u2Merchant, { timeoutMs: 1000, readRetries: 0 });
    const outcome = await adapter.pay({
      product: 'gateway',
      channelOrderNo: newChannelOrderNumber(['unionpay'], madeAt),
      amount: Number(u2.inputs.params.txnAmt),
      currency: 'CNY',
      description: 'U2',
      expiresAt: new Date(madeAt.getTime() + 15 * 60_000),
      notifyUrl: u2.inputs.params.backUrl,
      returnUrl: u2.inputs.params.frontUrl,
      creditCardsAllowed: true,
    });
    if (outcome.kind !== 'action' || outcome.action.kind !== 'form') throw new Error(JSON.stringify(outcome));
    expect(outcome.action.action).toBe(`${TEST_GATEWAY}/gateway/api/frontTransReq.do`);
    const { signature, payTimeout, ...ours } = outcome.action.fields;
    expect(payTimeout).toBe('20220903070948');
    // Same field set and values; only our orderId differs, and we write the encoding as the SDKs do (UTF-8).
    expect(ours).toEqual({ ...u2Unsigned, orderId: ours.orderId, encoding: 'UTF-8' });
    expect(verifyWithKey(outcome.action.fields, u2.merchant.certificate_pem)).toBe(true);
    expect(signRequest(u2Merchant, { ...ours, orderId: u2.inputs.params.orderId, encoding: u2.inputs.params.encoding }).signature).toBe(
      u2.expected.signature,
    );
    expect(signature).not.toBe(u2.expected.signature);
  });
});

describe('answers: the adapter reads real UnionPay messages', () => {
  it('U1 and U3 verify with the procedure the adapter and sandbox tests use (verifyMessage, U-CA)', () => {
    expect(verifyMessage(parseForm(u1.raw_form), testCa).ok).toBe(true);
    expect(verifyMessage(u3.fields, testCa).ok).toBe(true);
    // Written raw as a synchronous answer would be, U3 survives the adapter's answer parser unchanged.
    expect(parseAnswer(rawAnswer(u3.fields))).toEqual(u3.fields);
  });

  it('an adapter for the U3 merchant accepts U3 from the gateway while its certificate was valid, not after', async () => {
    const gateway = createServer((_request, response) => response.writeHead(200).end(rawAnswer(u3.fields)));
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const attempt = { channelOrderNo: u3.fields.orderId, createdAt: new Date('2022-09-08T13:22:06+08:00'), product: 'gateway' };
    const at = (iso: string) => unionpayAdapter({ ...u2Merchant, gateway: url }, { timeoutMs: 2000, readRetries: 0, now: () => new Date(iso) });
    try {
      // Verified and about our merchant and order; a front notification carries no origRespCode, so the
      // business layer says so — the point is that it got past verification.
      expect(await at('2022-09-08T13:30:00+08:00').query(attempt)).toEqual({
        layer: 'business',
        ok: false,
        code: 'no_orig_resp_code',
        message: 'respCode 00 without origRespCode',
        unknown: true,
      });
      expect(await at('2026-01-01T00:00:00+08:00').query(attempt)).toEqual({
        layer: 'communication',
        ok: false,
        reason: 'answer not verifiable (untrusted-certificate)',
      });
    } finally {
      gateway.closeAllConnections();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    }
  });
});

describe('the sandbox as "UnionPay test"', () => {
  let demo: SandboxSecrets['unionpay'];

  beforeAll(() => {
    demo = ensureDemoCredentials(mkdtempSync(join(tmpdir(), 'unionpay-conformance-')), 'http://127.0.0.1:9').sandbox.unionpay;
  }, 30_000);

  it('accepts U2 exactly as published (its clock at U2\u2019s txnTime), and pays it with a U3-shaped answer', async () => {
    const orders = new OrderBook();
    const sandbox = unionpaySandbox({
      // The public test merchant's certificate is the one that checks requests; the sandbox signs as itself.
      secrets: { unionpay: { ...demo, merId: u2.inputs.params.merId, merchantCertificate: u2.merchant.certificate_pem } } as SandboxSecrets,
      orders,
      faults: new FaultBook(),
      notifier: new Notifier({ fetch: async () => new Response('', { status: 200 }) }),
      publicUrl: 'http://sandbox.test',
      clock: new SandboxClock(() => new Date('2022-09-03T06:54:50+08:00')),
      bills: new BillDiscrepancyBook(),
    });
    const published = { ...u2Unsigned, signature: u2.expected.signature };
    const page = await sandbox.app.request('/gateway/api/frontTransReq.do', {
      method: 'POST',
      body: toForm(published),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('¥0.01');
    await sandbox.pay(u2.inputs.params.orderId);

    const paid = await sandbox.app.request('/gateway/api/queryTrans.do', {
      method: 'POST',
      body: toForm(
        signRequest(u2Merchant, { txnType: '00', txnSubType: '00', bizType: '000000', accessType: '0', orderId: u2.inputs.params.orderId, txnTime: u2.inputs.params.txnTime }),
      ),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const answer = parseAnswer(await paid.text());
    expect(verifyMessage(answer, { root: demo.rootCertificate, middle: demo.middleCertificate }).ok).toBe(true);
    // Every field of UnionPay's real consume answer (U3) except the card data (accNo) and exchangeRate.
    const u3Keys = Object.keys(u3.fields).filter((key) => key !== 'accNo' && key !== 'exchangeRate');
    expect(u3Keys.filter((key) => !(key in answer))).toEqual([]);
    expect(answer).toMatchObject({
      respCode: '00',
      origRespCode: '00',
      merId: u2.inputs.params.merId,
      orderId: u2.inputs.params.orderId,
      txnTime: u2.inputs.params.txnTime,
      txnAmt: '1',
      settleAmt: '1',
      settleDate: '0903',
      traceTime: '0903065448',
      encoding: 'utf-8',
    });
  });

  it('a refund for the U2 test merchant, built by the adapter, has the official demo\u2019s fields, is accepted, and is answered and notified in messages that verify like U1/U3', async () => {
    const notifications: string[] = [];
    const sandbox = unionpaySandbox({
      secrets: { unionpay: { ...demo, merId: u2.inputs.params.merId, merchantCertificate: u2.merchant.certificate_pem } } as SandboxSecrets,
      orders: new OrderBook(),
      faults: new FaultBook(),
      notifier: new Notifier({
        timeScale: 0.001,
        fetch: async (_url, init) => {
          notifications.push(String(init?.body));
          return new Response('ok', { status: 200 });
        },
      }),
      publicUrl: 'http://sandbox.test',
      clock: new SandboxClock(),
      bills: new BillDiscrepancyBook(),
    });
    const requests: Record<string, string>[] = [];
    // The adapter talks to the sandbox in-process; what it sends is kept to compare with the official demo.
    const viaSandbox: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      requests.push(parseForm(await request.clone().text()));
      return sandbox.app.request(request);
    };
    const adapter = unionpayAdapter(
      { ...u2Merchant, rootCertificate: demo.rootCertificate, middleCertificate: demo.middleCertificate },
      { timeoutMs: 2000, readRetries: 0, fetch: viaSandbox },
    );
    const channelOrderNo = newChannelOrderNumber(['unionpay']);
    const paying = await adapter.pay({
      product: 'app',
      channelOrderNo,
      amount: 1,
      currency: 'CNY',
      description: 'U2',
      expiresAt: new Date(Date.now() + 15 * 60_000),
      notifyUrl: u2.inputs.params.backUrl,
      creditCardsAllowed: true,
    });
    expect(paying.kind).toBe('action');
    await sandbox.pay(channelOrderNo);
    const paid = await adapter.query({ channelOrderNo, createdAt: new Date(), product: 'app' });
    const channelTradeNo = paid.layer === 'trade' ? paid.trade.channelTradeNo : undefined;
    expect(channelTradeNo).toMatch(/^\d{21}$/);

    const refundNo = newChannelOrderNumber(['unionpay']);
    const outcome = await adapter.refund({
      channelOrderNo,
      channelTradeNo,
      paymentCreatedAt: new Date(),
      refundNo,
      amount: 1,
      total: 1,
      currency: 'CNY',
      notifyUrl: u2.inputs.params.backUrl,
    });
    // Accepted means the sandbox verified the request with U2's certificate (else 11).
    expect(outcome).toMatchObject({ kind: 'accepted', refund: { state: 'processing', channelState: '00' } });
    const refundRequest = requests.find((request) => request.txnType === '04')!;
    // Official demo Form_6_4_Refund: these fields and no others (reqReserved is its optional pass-through).
    expect(Object.keys(refundRequest).sort()).toEqual(
      ['version', 'encoding', 'signMethod', 'txnType', 'txnSubType', 'bizType', 'accessType', 'channelType', 'backUrl', 'orderId', 'merId', 'origQryId', 'txnTime', 'txnAmt', 'reqReserved', 'certId', 'signature'].sort(),
    );
    expect(refundRequest.certId).toBe(u2.expected.cert_id);
    expect(verifyWithKey(refundRequest, u2.merchant.certificate_pem)).toBe(true);

    const end = Date.now() + 5000;
    while (notifications.length < 2 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    const notice = notifications.find((body) => parseForm(body).txnType === '04') ?? '';
    // Form-encoded like U1's raw form, round-tripping the same way; verified as U1 and U3 are.
    expect(toForm(parseForm(notice))).toBe(notice);
    const fields = parseForm(notice);
    expect(verifyMessage(fields, { root: demo.rootCertificate, middle: demo.middleCertificate }).ok).toBe(true);
    // The fields refund notices carry (3P: essensoft/paylink UnionPayForm_6_4_RefundNotifyResponse), less card data.
    const refundNoticeKeys = ['queryId', 'traceTime', 'signature', 'signMethod', 'settleCurrencyCode', 'settleAmt', 'settleDate', 'traceNo', 'respCode', 'respMsg', 'signPubKeyCert', 'version', 'encoding', 'bizType', 'txnTime', 'currencyCode', 'txnAmt', 'txnType', 'txnSubType', 'accessType', 'reqReserved', 'merId', 'orderId', 'origQryId'];
    expect(refundNoticeKeys.filter((key) => !(key in fields))).toEqual([]);
    expect(fields).toMatchObject({ txnType: '04', txnSubType: '00', orderId: refundNo, origQryId: channelTradeNo, txnAmt: '1', merId: u2.inputs.params.merId, reqReserved: channelOrderNo });
    expect(adapter.parseNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, body: notice, now: new Date() })).toMatchObject({
      ok: true,
      subject: { kind: 'refund', channelOrderNo, refundNo, refund: { state: 'succeeded', amount: 1 } },
    });
  });

  describe('over HTTP', () => {
    let test: TestSandbox;
    const received: string[] = [];
    let merchant: ReturnType<typeof createServer>;
    let notifyUrl: string;

    beforeAll(async () => {
      test = await startTestSandbox();
      merchant = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        request.on('end', () => {
          received.push(body);
          response.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
      notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/unionpay`;
    }, 60_000);

    afterAll(async () => {
      await test?.close();
      merchant?.closeAllConnections();
      await new Promise<void>((resolve) => merchant?.close(() => resolve()));
    });

    it('its synchronous answers and notifications verify as U1/U3 do, and are encoded as UnionPay encodes them', async () => {
      const trust = { root: test.secrets.unionpay.rootCertificate, middle: test.secrets.unionpay.middleCertificate };
      const credentials = test.credentials.unionpay!;
      const orderId = newChannelOrderNumber(['unionpay']);
      const resigned = signRequest(credentials, {
        txnType: '01',
        txnSubType: '01',
        bizType: '000201',
        channelType: '08',
        accessType: '0',
        currencyCode: '156',
        txnAmt: '12800',
        orderId,
        txnTime: `20${orderId.slice(0, 12)}`,
        backUrl: notifyUrl,
      });
      const response = await fetch(`${test.url}/gateway/api/appTransReq.do`, {
        method: 'POST',
        body: toForm(resigned),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const body = await response.text();
      // Raw: the certificate's "+" and line breaks are not escaped in a synchronous answer.
      expect(body).toContain('signPubKeyCert=-----BEGIN CERTIFICATE-----\r\n');
      const answer = parseAnswer(body);
      expect(answer.respCode).toBe('00');
      expect(verifyMessage(answer, trust).ok).toBe(true);
      // The sandbox's signer carries UnionPay's test identity, so the default identity check applies unchanged.
      expect(verifyMessage(answer, trust, { signerIdentities: ['中国银联股份有限公司'] })).toEqual({ ok: false, reason: 'untrusted-certificate' });

      await test.sandbox.channels.unionpay.pay(resigned.orderId ?? '');
      const end = Date.now() + 5000;
      while (received.length === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
      const notification = received[0] ?? '';
      // Form-encoded like U1's raw form, and round-trips the same way.
      expect(toForm(parseForm(notification))).toBe(notification);
      const fields = parseForm(notification);
      expect(verifyMessage(fields, trust).ok).toBe(true);
      expect(fields).toMatchObject({ respCode: '00', orderId: resigned.orderId, txnAmt: '12800' });
    });
  });
});
