import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAnswer, signAnswer } from '../../../demo/sandbox/unionpay/messages.ts';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import { newChannelOrderNumber } from '../../../shared/channels/index.ts';
import type { UnionpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { ChannelAdapter, PayRequest, RefundRef, RefundRequest } from '../types.ts';
import { REFUND_RESEND_MAX_AGE_MS, unionpayAdapter } from './adapter.ts';
import { parseForm, verifyWithKey } from './crypto.ts';

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };

let test: TestSandbox;
let credentials: UnionpayCredentials;
let merchantCertificate: string;
let adapter: ChannelAdapter;

/** Every request the adapter sends, by path, with its form fields. */
const sent: Array<{ path: string; fields: Record<string, string> }> = [];
const recording: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const body = input instanceof Request ? await input.clone().text() : String(init?.body ?? '');
  sent.push({ path: url.pathname, fields: parseForm(body) });
  return fetch(input, init);
};

beforeAll(async () => {
  test = await startTestSandbox();
  credentials = test.credentials.unionpay!;
  merchantCertificate = readFileSync(join(test.credentialsDir, 'unionpay-sign-cert.pem'), 'utf8');
  adapter = unionpayAdapter(credentials, { ...HTTP, fetch: recording });
}, 60_000);

afterAll(async () => {
  await test?.close();
});

const order = (orderId: string) => test.sandbox.context.orders.get('unionpay', orderId);
const refundsOf = (queryId: string) => test.sandbox.context.orders.list().filter((o) => o.product === 'refund' && o.details.origQryId === queryId);

/** An app consume made through the adapter and paid at the sandbox; its queryId is the refund's origQryId. */
async function paidPayment(amount = 12_800) {
  const payRequest: PayRequest = {
    product: 'app',
    channelOrderNo: newChannelOrderNumber(['unionpay']),
    amount,
    currency: 'CNY',
    description: 'Celadon tea set',
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: 'http://127.0.0.1:9/notify/unionpay',
    creditCardsAllowed: true,
  };
  expect((await adapter.pay(payRequest)).kind).toBe('action');
  await test.sandbox.channels.unionpay.pay(payRequest.channelOrderNo);
  return { payRequest, queryId: order(payRequest.channelOrderNo)!.tradeNo };
}

function refundRequest(payment: Awaited<ReturnType<typeof paidPayment>>, overrides: Partial<RefundRequest> = {}): RefundRequest {
  return {
    channelOrderNo: payment.payRequest.channelOrderNo,
    channelTradeNo: payment.queryId,
    paymentCreatedAt: new Date(),
    refundNo: newChannelOrderNumber(['unionpay']),
    amount: 5000,
    total: 12_800,
    currency: 'CNY',
    reason: 'one cup broken',
    notifyUrl: 'http://127.0.0.1:9/notify/unionpay/refund',
    ...overrides,
  };
}

const refOf = (request: RefundRequest, requestedAt = new Date()): RefundRef => ({
  channelOrderNo: request.channelOrderNo,
  channelTradeNo: request.channelTradeNo,
  refundNo: request.refundNo,
  paymentCreatedAt: request.paymentCreatedAt,
  requestedAt,
});

describe('refund: backTransReq.do, txnType 04', () => {
  it('sends the refund as the official demo does, signed, and reports it accepted and processing (00 = accepted, §3.3)', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    sent.length = 0;
    const outcome = await adapter.refund(request);
    const stored = order(request.refundNo)!;
    expect(outcome).toEqual({ kind: 'accepted', refund: { state: 'processing', channelState: '00', channelRefundNo: stored.tradeNo, amount: 5000 } });
    expect(sent.map((s) => s.path)).toEqual(['/gateway/api/backTransReq.do']);
    const { signature, ...fields } = sent[0]!.fields;
    expect(fields).toEqual({
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      certId: credentials.certId,
      merId: credentials.merId,
      txnType: '04',
      txnSubType: '00',
      bizType: '000201',
      channelType: '07',
      accessType: '0',
      orderId: request.refundNo,
      // The refund number starts with its own Beijing time, which is the txnTime (wire.ts).
      txnTime: `20${request.refundNo.slice(0, 12)}`,
      txnAmt: '5000',
      origQryId: payment.queryId,
      backUrl: 'http://127.0.0.1:9/notify/unionpay/refund',
      reqReserved: payment.payRequest.channelOrderNo,
    });
    expect(verifyWithKey(sent[0]!.fields, merchantCertificate)).toBe(true);
    expect(signature).toBeTruthy();
    expect(stored).toMatchObject({ amount: 5000, status: 'paid', notifyUrl: 'http://127.0.0.1:9/notify/unionpay/refund' });
  });

  it('the same refund number again: 12 重复交易 at UnionPay, and the adapter reports the earlier refund — money moved once', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    expect((await adapter.refund(request)).kind).toBe('accepted');
    sent.length = 0;
    const again = await adapter.refund(request);
    const stored = order(request.refundNo)!;
    expect(again).toEqual({
      kind: 'accepted',
      refund: { state: 'succeeded', channelState: '00', channelRefundNo: stored.tradeNo, amount: 5000, succeededAt: new Date(`${beijingIso(stored.details.txnTime!)}`) },
    });
    // The duplicate was refused by the channel, then the earlier refund read by its orderId + txnTime.
    expect(sent.map((s) => s.path)).toEqual(['/gateway/api/backTransReq.do', '/gateway/api/queryTrans.do']);
    expect(sent[1]!.fields).toMatchObject({ txnType: '00', orderId: request.refundNo, txnTime: `20${request.refundNo.slice(0, 12)}` });
    expect(refundsOf(payment.queryId).map((r) => r.amount)).toEqual([5000]);
  });

  it('a refund number used for another amount, or by a payment, is failed 12: the number is taken', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    await adapter.refund(request);
    expect(await adapter.refund({ ...request, amount: 4000 })).toEqual({
      kind: 'failed',
      code: '12',
      message: '重复交易: the refund number was used for another amount',
    });
    const other = await paidPayment();
    // The payment's own order number as refund number: the orderId is used, and it names no refund.
    expect(await adapter.refund(refundRequest(payment, { refundNo: other.payRequest.channelOrderNo }))).toEqual({ kind: 'failed', code: '12', message: '重复交易' });
    expect(refundsOf(payment.queryId)).toHaveLength(1);
  });

  it('refuses what UnionPay refuses with its code: more than is left (33), a queryId naming nothing (35)', async () => {
    const payment = await paidPayment();
    expect((await adapter.refund(refundRequest(payment, { amount: 5000 }))).kind).toBe('accepted');
    expect(await adapter.refund(refundRequest(payment, { amount: 7801 }))).toEqual({ kind: 'failed', code: '33', message: '交易金额超限[可退金额7800分]' });
    expect((await adapter.refund(refundRequest(payment, { amount: 7800 }))).kind).toBe('accepted');
    expect(await adapter.refund(refundRequest(payment, { channelTradeNo: '782605011200071234567' }))).toEqual({
      kind: 'failed',
      code: '35',
      message: '原交易不存在或状态不正确',
    });
  });

  it('without the payment\u2019s queryId there is nothing to name: failed missing_orig_qry_id, nothing sent', async () => {
    const payment = await paidPayment();
    sent.length = 0;
    expect(await adapter.refund(refundRequest(payment, { channelTradeNo: undefined }))).toEqual({
      kind: 'failed',
      code: 'missing_orig_qry_id',
      message: 'UnionPay refunds name the payment by its queryId (origQryId), and none is on record',
    });
    expect(sent).toEqual([]);
  });

  it('refuses requests UnionPay could not take before sending: another currency, no fen, a number that is no orderId', async () => {
    const payment = await paidPayment();
    await expect(adapter.refund(refundRequest(payment, { currency: 'USD' }))).rejects.toMatchObject({ code: 'unsupported_currency' });
    await expect(adapter.refund(refundRequest(payment, { amount: 0 }))).rejects.toMatchObject({ code: 'invalid_amount' });
    await expect(adapter.refund(refundRequest(payment, { amount: 12.5 }))).rejects.toMatchObject({ code: 'invalid_amount' });
    await expect(adapter.refund(refundRequest(payment, { refundNo: 'REFUND-1' }))).rejects.toMatchObject({ code: 'invalid_order_number' });
  });

  it('an old refund number is asked about before it is sent: the earlier refund if UnionPay has it, else failed (use a new number)', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    expect((await adapter.refund(request)).kind).toBe('accepted');
    const later = unionpayAdapter(credentials, { ...HTTP, fetch: recording, now: () => new Date(Date.now() + REFUND_RESEND_MAX_AGE_MS + 60_000) });
    sent.length = 0;
    expect(await later.refund(request)).toMatchObject({ kind: 'accepted', refund: { state: 'succeeded', amount: 5000 } });
    expect(sent.map((s) => s.path)).toEqual(['/gateway/api/queryTrans.do']);

    sent.length = 0;
    const neverSent = refundRequest(payment, { refundNo: newChannelOrderNumber(['unionpay'], new Date(Date.now() - REFUND_RESEND_MAX_AGE_MS - 60_000)) });
    expect(await adapter.refund(neverSent)).toEqual({
      kind: 'failed',
      code: 'refund_no_expired',
      message: 'the refund number\u2019s txnTime is too old to send, and UnionPay has no refund under it: use a new number',
    });
    expect(sent.map((s) => s.path)).toEqual(['/gateway/api/queryTrans.do']);
    expect(refundsOf(payment.queryId)).toHaveLength(1);
    // An old number that turns out to be a payment's orderId is taken.
    expect(await later.refund(refundRequest(payment, { refundNo: payment.payRequest.channelOrderNo }))).toEqual({
      kind: 'failed',
      code: '12',
      message: '重复交易: the refund number is a payment\u2019s orderId',
    });
  });

  it('its notification, parsed by the adapter, is the refund of this payment', async () => {
    const received: Array<{ headers: Record<string, string>; body: string }> = [];
    const shop = createServer((incoming, response) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      incoming.on('end', () => {
        received.push({ headers: Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k, String(v)])), body });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    try {
      const payment = await paidPayment();
      const request = refundRequest(payment, { notifyUrl: `http://127.0.0.1:${(shop.address() as AddressInfo).port}/notify` });
      await adapter.refund(request);
      const stored = order(request.refundNo)!;
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const parsed = adapter.parseNotification({ headers: received[0]!.headers, body: received[0]!.body, now: new Date() });
      expect(parsed).toEqual({
        ok: true,
        eventId: `unionpay:04:${request.refundNo}:20${request.refundNo.slice(0, 12)}:00`,
        subject: {
          kind: 'refund',
          channelOrderNo: payment.payRequest.channelOrderNo,
          refundNo: request.refundNo,
          refund: { state: 'succeeded', channelState: '00', channelRefundNo: stored.tradeNo, amount: 5000, succeededAt: new Date(beijingIso(stored.details.txnTime!)) },
        },
        ack: { status: 200, body: 'ok', contentType: 'text/plain;charset=UTF-8' },
      });
    } finally {
      shop.closeAllConnections();
      await new Promise<void>((resolve) => shop.close(() => resolve()));
    }
  });
});

describe('queryRefund: queryTrans.do with the refund\u2019s own orderId + txnTime', () => {
  it('succeeded with amount, queryId and when; not-found for a number UnionPay never saw', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    await adapter.refund(request);
    const stored = order(request.refundNo)!;
    // requestedAt is not what names it: the txnTime comes from the number.
    expect(await adapter.queryRefund(refOf(request, new Date(Date.now() + 3_600_000)))).toEqual({
      layer: 'trade',
      ok: true,
      refund: { state: 'succeeded', channelState: '00', channelRefundNo: stored.tradeNo, amount: 5000, succeededAt: new Date(beijingIso(stored.details.txnTime!)) },
    });
    expect(await adapter.queryRefund(refOf(refundRequest(payment)))).toEqual({ layer: 'trade', ok: true, refund: { state: 'not-found', channelState: '34' } });
  });

  it('a number that names a payment is no refund: business, not a trade state', async () => {
    const payment = await paidPayment();
    expect(await adapter.queryRefund(refOf(refundRequest(payment, { refundNo: payment.payRequest.channelOrderNo })))).toEqual({
      layer: 'business',
      ok: false,
      code: 'not_a_refund',
      message: 'orderId names a txnType 01 transaction',
      unknown: false,
    });
  });

  it('reads retry: a query failure (5xx) is retried readRetries times, then communication', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    await adapter.refund(request);
    test.sandbox.context.faults.set('unionpay', request.refundNo, { queryFailure: '5xx', queryFailures: 3 });
    sent.length = 0;
    expect(await adapter.queryRefund(refOf(request))).toEqual({ layer: 'communication', ok: false, reason: 'transport: HTTP 500' });
    expect(sent).toHaveLength(2);
    const patient = unionpayAdapter(credentials, { ...HTTP, readRetries: 2 });
    expect(await patient.queryRefund(refOf(request))).toMatchObject({ layer: 'trade', refund: { state: 'succeeded' } });
  });

  it('a query the gateway holds (timeout fault) is a communication failure after our timeout', async () => {
    const payment = await paidPayment();
    const request = refundRequest(payment);
    await adapter.refund(request);
    test.sandbox.context.faults.set('unionpay', request.refundNo, { queryFailure: 'timeout', queryFailures: 1 });
    const impatient = unionpayAdapter(credentials, { timeoutMs: 300, readRetries: 0 });
    expect(await impatient.queryRefund(refOf(request))).toEqual({ layer: 'communication', ok: false, reason: 'transport: no answer within 300 ms' });
    expect(await impatient.queryRefund(refOf(request))).toMatchObject({ layer: 'trade', refund: { state: 'succeeded' } });
  });
});

describe('answers the sandbox does not give: a stub gateway that signs as UnionPay', () => {
  let server: Server;
  let url: string;
  /** What the stub answers next, per path; fields are signed with the sandbox signer's key. */
  const next = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    server = createServer((incoming, response) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      incoming.on('end', () => {
        const request = parseForm(body);
        const fields = next.get(incoming.url ?? '') ?? {};
        const common = { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', merId: request.merId ?? '', orderId: request.orderId ?? '', txnTime: request.txnTime ?? '' };
        response.writeHead(200).end(rawAnswer(signAnswer({ ...common, ...fields }, test.secrets.unionpay)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const stub = () => unionpayAdapter({ ...credentials, gateway: url }, { ...HTTP, readRetries: 0 });
  const request = (): RefundRequest => ({
    channelOrderNo: newChannelOrderNumber(['unionpay']),
    channelTradeNo: '782605011200071234567',
    paymentCreatedAt: new Date(),
    refundNo: newChannelOrderNumber(['unionpay']),
    amount: 5000,
    total: 12_800,
    currency: 'CNY',
    notifyUrl: 'http://127.0.0.1:9/notify',
  });

  it.each(['03', '04', '05'])('refund answered %s (status unknown, §3.3): unknown, never failed', async (respCode) => {
    next.set('/gateway/api/backTransReq.do', { txnType: '04', respCode, respMsg: '交易已受理，请稍后查询交易结果' });
    expect(await stub().refund(request())).toEqual({ kind: 'unknown', reason: `respCode ${respCode}: 交易已受理，请稍后查询交易结果` });
  });

  it.each([
    ['05', { state: 'processing', channelState: '05', channelRefundNo: '782605020930001111111', amount: 5000 }],
    ['03', { state: 'processing', channelState: '03', channelRefundNo: '782605020930001111111', amount: 5000 }],
    ['A6', { state: 'succeeded', channelState: 'A6', channelRefundNo: '782605020930001111111', amount: 5000, succeededAt: new Date('2026-05-02T09:30:00+08:00') }],
    ['60', { state: 'failed', channelState: '60', channelRefundNo: '782605020930001111111', amount: 5000 }],
  ] as const)('queryRefund with origRespCode %s', async (origRespCode, refund) => {
    next.set('/gateway/api/queryTrans.do', { txnType: '04', respCode: '00', origRespCode, txnAmt: '5000', queryId: '782605020930001111111', traceTime: '0502093000' });
    const ref = { ...refOf(request()), refundNo: '260502093000REFUND01' };
    expect(await stub().queryRefund(ref)).toEqual({ layer: 'trade', ok: true, refund });
  });

  it('queryRefund: the query itself unknown (respCode 04) is business and unknown; 00 without origRespCode too', async () => {
    next.set('/gateway/api/queryTrans.do', { respCode: '04', respMsg: '交易状态未明' });
    expect(await stub().queryRefund(refOf(request()))).toEqual({ layer: 'business', ok: false, code: '04', message: '交易状态未明', unknown: true });
    next.set('/gateway/api/queryTrans.do', { txnType: '04', respCode: '00' });
    expect(await stub().queryRefund(refOf(request()))).toMatchObject({ layer: 'business', code: 'no_orig_resp_code', unknown: true });
  });

  it('a duplicate (12) whose earlier attempt cannot be read is unknown, never failed', async () => {
    next.set('/gateway/api/backTransReq.do', { txnType: '04', respCode: '12', respMsg: '重复交易' });
    next.set('/gateway/api/queryTrans.do', { respCode: '05', respMsg: '交易状态未明' });
    expect(await stub().refund(request())).toEqual({ kind: 'unknown', reason: 'duplicate orderId, and the query was inconclusive: respCode 05' });
  });

  it('an old refund number whose query is refused (say 11) stays unknown: the earlier attempt may have gone through', async () => {
    next.set('/gateway/api/queryTrans.do', { respCode: '11', respMsg: '验证签名失败' });
    const old = { ...request(), refundNo: newChannelOrderNumber(['unionpay'], new Date(Date.now() - REFUND_RESEND_MAX_AGE_MS - 60_000)) };
    expect(await stub().refund(old)).toEqual({ kind: 'unknown', reason: 'the earlier attempt could not be read: respCode 11: 验证签名失败' });
  });

  it('an answer signed by someone else is unknown; our own signature refused (11) is failed — nothing moved', async () => {
    const distrustful = unionpayAdapter({ ...credentials, gateway: url, rootCertificate: test.secrets.unionpay.signerCertificate }, HTTP);
    next.set('/gateway/api/backTransReq.do', { txnType: '04', respCode: '00' });
    expect(await distrustful.refund(request())).toEqual({ kind: 'unknown', reason: 'answer not verifiable (untrusted-certificate)' });
    const wrongKey = unionpayAdapter({ ...credentials, gateway: test.url, signPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }, HTTP);
    // The sandbox refuses our signature (11): that refusal is final for this request, and nothing moved.
    const payment = await paidPayment();
    expect(await wrongKey.refund(refundRequest(payment))).toEqual({ kind: 'failed', code: '11', message: '验证签名失败' });
  });
});

describe('transport', () => {
  it('a gateway that never answers: unknown after our timeout, and the write is sent once', async () => {
    let hits = 0;
    const silent = createServer(() => {
      hits += 1;
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const gateway = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const quiet = unionpayAdapter({ ...credentials, gateway }, { timeoutMs: 300, readRetries: 2 });
      const payment = await paidPayment();
      expect(await quiet.refund(refundRequest(payment))).toEqual({ kind: 'unknown', reason: 'transport: no answer within 300 ms' });
      expect(hits).toBe(1);
      hits = 0;
      expect(await quiet.queryRefund(refOf(refundRequest(payment)))).toEqual({ layer: 'communication', ok: false, reason: 'transport: no answer within 300 ms' });
      expect(hits).toBe(3);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

/** `yyyyMMddHHmmss` (Beijing) as an ISO instant, written independently of the adapter. */
function beijingIso(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}+08:00`;
}
