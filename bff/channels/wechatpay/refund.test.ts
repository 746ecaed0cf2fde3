// The WeChat Pay adapter's refund and refund query against the sandbox over real HTTP (§1.8): the body it sends and
// signs, which id it names, how it maps WeChat's answers onto accepted / failed / unknown and the refund query onto
// the three result layers. Answers the sandbox does not give on its own (NOT_ENOUGH, 5xx, tampering) are played by
// WeChat's side of the wire, signed with the sandbox's platform key.

import { createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWechatpaySandbox, type WechatpayTestSandbox } from '../../../demo/sandbox/wechatpay/testing.ts';
import type { HttpOptions } from '../index.ts';
import type { RefundRef, RefundRequest } from '../types.ts';
import { wechatpayAdapter } from './adapter.ts';
import { parseAuthorization, requestMessage, signResponse, verify } from './crypto.ts';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly authorization: string;
  readonly body: string;
}

let t: WechatpayTestSandbox;
let blackHole: Server;
let blackHoleUrl: string;
let sent: Sent[] = [];
let fault: ((n: number, response: Response) => Response | Promise<Response>) | undefined;
let sequence = 0;

const recordingFetch: typeof fetch = async (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  sent.push({ url: request.url, method: request.method, authorization: request.headers.get('authorization') ?? '', body: await request.clone().text() });
  const response = await fetch(request, init);
  return fault ? fault(sent.length, response) : response;
};

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 2, fetch: recordingFetch };
const adapter = (http: Partial<HttpOptions> = {}, gateway?: string) =>
  wechatpayAdapter({ ...t.credentials, ...(gateway ? { gateway } : {}) }, { ...HTTP, ...http });

beforeAll(async () => {
  t = await startWechatpaySandbox({ refundProcessingMs: null });
  blackHole = createServer(() => undefined);
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await t?.close();
  blackHole?.closeAllConnections();
  await new Promise<void>((resolve) => blackHole?.close(() => resolve()));
});

beforeEach(() => {
  sent = [];
  fault = undefined;
});

/** A paid order at the sandbox: its out_trade_no and transaction_id. */
async function paid(total = 12_800): Promise<{ channelOrderNo: string; channelTradeNo: string }> {
  sequence += 1;
  const channelOrderNo = `WXA${Date.now()}${String(sequence).padStart(4, '0')}`;
  const answer = await t.call('/v3/pay/transactions/native', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: channelOrderNo,
      notify_url: 'https://bff.example/notify/wechatpay',
      amount: { total, currency: 'CNY' },
    }),
  });
  expect(answer.status).toBe(200);
  await t.sandbox.pay(channelOrderNo);
  sent = [];
  return { channelOrderNo, channelTradeNo: t.context.orders.get('wechatpay', channelOrderNo)?.tradeNo ?? '' };
}

function refundRequest(order: { channelOrderNo: string; channelTradeNo?: string }, overrides: Partial<RefundRequest> = {}): RefundRequest {
  sequence += 1;
  return {
    channelOrderNo: order.channelOrderNo,
    channelTradeNo: order.channelTradeNo,
    paymentCreatedAt: new Date(),
    refundNo: `RF${Date.now()}${String(sequence).padStart(4, '0')}`,
    amount: 5000,
    total: 12_800,
    currency: 'CNY',
    reason: 'one cup broken',
    notifyUrl: 'https://bff.example/notify/wechatpay/refund',
    ...overrides,
  };
}

const refRef = (request: RefundRequest): RefundRef => ({
  channelOrderNo: request.channelOrderNo,
  channelTradeNo: request.channelTradeNo,
  refundNo: request.refundNo,
  paymentCreatedAt: request.paymentCreatedAt,
  requestedAt: new Date(),
});

const refundIdOf = (refundNo: string) => {
  for (const order of t.context.orders.list()) {
    const found = (JSON.parse(order.details.refunds ?? '[]') as Array<{ outRefundNo: string; refundId: string }>).find((r) => r.outRefundNo === refundNo);
    if (found) return found.refundId;
  }
  return undefined;
};

/** An answer as WeChat would sign it, for faults the sandbox does not produce. */
function wechatAnswer(status: number, body: object | ''): Response {
  const text = body === '' ? '' : JSON.stringify(body);
  const signed = signResponse(t.secrets.platformPrivateKey, text);
  return new Response(text === '' ? null : text, {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Request-ID': 'FAULT',
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
      'Wechatpay-Serial': t.secrets.platformPublicKeyId,
    },
  });
}

async function tampered(response: Response): Promise<Response> {
  return new Response(`${await response.text()} `, { status: response.status, headers: response.headers });
}

/** A refund object as WeChat answers it, for the mapping tests. */
const refundAnswer = (request: RefundRequest, status: string, extra: Record<string, unknown> = {}) => ({
  amount: { currency: 'CNY', payer_refund: 5000, payer_total: 12_800, refund: 5000, total: 12_800 },
  channel: 'ORIGINAL',
  create_time: '2026-05-20T13:29:35+08:00',
  funds_account: 'AVAILABLE',
  out_refund_no: request.refundNo,
  out_trade_no: request.channelOrderNo,
  refund_id: '50300604212026052000550537447',
  status,
  transaction_id: request.channelTradeNo,
  user_received_account: '支付用户零钱',
  ...extra,
});

describe('refund', () => {
  it('POSTs transaction_id (when known), out_refund_no, reason, notify_url and amount, signed over the bytes sent', async () => {
    const order = await paid();
    const request = refundRequest(order);
    const outcome = await adapter().refund(request);

    expect(sent.map((call) => [call.method, call.url])).toEqual([['POST', `${t.url}/v3/refund/domestic/refunds`]]);
    const body = sent[0]?.body ?? '';
    expect(JSON.parse(body)).toEqual({
      transaction_id: order.channelTradeNo,
      out_refund_no: request.refundNo,
      reason: 'one cup broken',
      notify_url: 'https://bff.example/notify/wechatpay/refund',
      amount: { refund: 5000, total: 12_800, currency: 'CNY' },
    });
    const fields = parseAuthorization(sent[0]?.authorization ?? '');
    expect(fields?.mchid).toBe(t.credentials.mchid);
    const message = requestMessage('POST', '/v3/refund/domestic/refunds', fields?.timestamp ?? '', fields?.nonce_str ?? '', body);
    expect(verify(message, fields?.signature ?? '', createPublicKey(t.secrets.merchantPublicKey))).toBe(true);

    expect(outcome).toEqual({
      kind: 'accepted',
      refund: {
        state: 'processing',
        channelState: 'PROCESSING',
        channelRefundNo: refundIdOf(request.refundNo),
        amount: 5000,
        succeededAt: undefined,
        fundsAccount: 'AVAILABLE',
        receivedAccount: '支付用户零钱',
      },
    });
  });

  it('names out_trade_no when WeChat’s transaction id is not known (RULEBOOK idPriority)', async () => {
    const order = await paid();
    const outcome = await adapter().refund(refundRequest({ channelOrderNo: order.channelOrderNo }));
    const body = JSON.parse(sent[0]?.body ?? '{}') as Record<string, unknown>;
    expect(body.out_trade_no).toBe(order.channelOrderNo);
    expect(body).not.toHaveProperty('transaction_id');
    expect(outcome.kind).toBe('accepted');
  });

  it('cuts the reason to WeChat’s 80 characters and leaves out an empty one', async () => {
    const order = await paid();
    const long = await adapter().refund(refundRequest(order, { reason: `${'碎'.repeat(79)}杯子` }));
    expect(long.kind).toBe('accepted');
    expect((JSON.parse(sent[0]?.body ?? '{}') as { reason: string }).reason).toBe(`${'碎'.repeat(79)}杯`);
    const other = await paid();
    sent = [];
    await adapter().refund(refundRequest(other, { reason: '   ' }));
    expect(JSON.parse(sent[0]?.body ?? '{}')).not.toHaveProperty('reason');
  });

  it('gets the same refund back for the same refund number, and WeChat refunds once', async () => {
    const order = await paid();
    const request = refundRequest(order);
    const first = await adapter().refund(request);
    const again = await adapter().refund(request);
    expect(again).toEqual(first);
    // 7,800 fen are left, so 7,801 fails: the repeat moved no money.
    t.context.clock.advance(61_000);
    try {
      expect(await adapter().refund(refundRequest(order, { amount: 7801 }))).toEqual({ kind: 'failed', code: 'INVALID_REQUEST', message: '申请退款金额超过订单可退金额' });
    } finally {
      t.context.clock.advance(-61_000);
    }
  });

  it.each([
    ['more than the payment', { amount: 12_801 }, 'PARAM_ERROR'],
    ['another amount under the same number', 'same-number', 'INVALID_REQUEST'],
    ['a total that is not the order’s', { total: 12_801 }, 'INVALID_REQUEST'],
  ] as const)('fails with WeChat’s code for %s', async (_name, overrides, code) => {
    const order = await paid();
    let request = refundRequest(order);
    if (overrides === 'same-number') {
      await adapter().refund(request);
      request = { ...request, amount: 4000 };
    } else {
      request = { ...request, ...overrides };
    }
    expect(await adapter().refund(request)).toMatchObject({ kind: 'failed', code });
  });

  it('fails with RESOURCE_NOT_EXISTS for an unpaid order', async () => {
    const channelOrderNo = `WXU${Date.now()}`;
    await t.call('/v3/pay/transactions/native', {
      body: JSON.stringify({
        appid: t.credentials.appid,
        mchid: t.credentials.mchid,
        description: 'Celadon tea set',
        out_trade_no: channelOrderNo,
        notify_url: 'https://bff.example/notify/wechatpay',
        amount: { total: 12_800, currency: 'CNY' },
      }),
    });
    expect(await adapter().refund(refundRequest({ channelOrderNo }))).toEqual({ kind: 'failed', code: 'RESOURCE_NOT_EXISTS', message: '订单号不存在' });
  });

  it('is unknown on FREQUENCY_LIMITED, which is what a second refund within the minute gets', async () => {
    const order = await paid();
    await adapter().refund(refundRequest(order, { amount: 100 }));
    expect(await adapter().refund(refundRequest(order, { amount: 100 }))).toEqual({
      kind: 'unknown',
      reason: expect.stringMatching(/^FREQUENCY_LIMITED: 同一笔订单多次退款的请求需相隔1分钟 \(Request-ID [0-9A-F]{36}\)$/),
    });
  });

  it.each([
    ['NOT_ENOUGH', 403, 'failed'],
    ['NO_AUTH', 403, 'failed'],
    ['USER_ACCOUNT_ABNORMAL', 403, 'failed'],
    ['INVALID_REQUEST', 400, 'failed'],
    ['SYSTEM_ERROR', 500, 'unknown'],
    ['SYSTEM_ERROR', 400, 'unknown'],
    ['FREQUENCY_LIMITED', 429, 'unknown'],
  ] as const)('maps %s (HTTP %i) to %s', async (code, status, kind) => {
    fault = () => wechatAnswer(status, { code, message: '说明' });
    const outcome = await adapter().refund(refundRequest({ channelOrderNo: 'WXNONE000001' }));
    expect(outcome).toEqual(kind === 'failed' ? { kind, code, message: '说明' } : { kind, reason: `${code}: 说明 (Request-ID FAULT)` });
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['SUCCESS', 'succeeded', new Date('2026-05-20T05:29:40Z')],
    ['PROCESSING', 'processing', undefined],
    ['ABNORMAL', 'processing', undefined],
    ['CLOSED', 'failed', undefined],
    ['SOMETHING_NEW', 'processing', undefined],
    ['constructor', 'processing', undefined],
  ] as const)('reads status %s in the answer as %s', async (status, state, succeededAt) => {
    const request = refundRequest({ channelOrderNo: 'WXNONE000001', channelTradeNo: '4200000123202605201234567890' });
    fault = () => wechatAnswer(200, refundAnswer(request, status, status === 'SUCCESS' ? { success_time: '2026-05-20T13:29:40+08:00' } : {}));
    expect(await adapter().refund(request)).toEqual({
      kind: 'accepted',
      refund: { state, channelState: status, channelRefundNo: '50300604212026052000550537447', amount: 5000, succeededAt, fundsAccount: 'AVAILABLE', receivedAccount: '支付用户零钱' },
    });
  });

  it.each([
    ['a body changed in transit', (response: Response) => tampered(response)],
    ['an unsigned 200', () => new Response('{"status":"SUCCESS"}', { status: 200 })],
    ['an answer about another refund number', (_response: Response, request: RefundRequest) => wechatAnswer(200, refundAnswer({ ...request, refundNo: 'RFOTHER' }, 'SUCCESS'))],
    ['an answer without amount.refund', (_response: Response, request: RefundRequest) => wechatAnswer(200, refundAnswer(request, 'SUCCESS', { amount: { total: 12_800 } }))],
    ['a 502 without a body', () => wechatAnswer(502, '')],
  ] as const)('is unknown on %s, sent once', async (_name, answer) => {
    const order = await paid();
    const request = refundRequest(order);
    fault = (_n, response) => answer(response, request);
    expect((await adapter().refund(request)).kind).toBe('unknown');
    expect(sent).toHaveLength(1);
  });

  it('is unknown after the timeout, and is not re-sent', async () => {
    const outcome = await adapter({ timeoutMs: 150, readRetries: 3 }, blackHoleUrl).refund(refundRequest({ channelOrderNo: 'WXNONE000001' }));
    expect(outcome).toEqual({ kind: 'unknown', reason: 'no answer within 150 ms' });
    expect(sent).toHaveLength(1);
  });

  it('refunds CNY only, without calling WeChat', async () => {
    expect(await adapter().refund(refundRequest({ channelOrderNo: 'WXNONE000001' }, { currency: 'USD' }))).toEqual({
      kind: 'failed',
      code: 'unsupported_currency',
      message: 'WeChat Pay refunds CNY only',
    });
    expect(sent).toHaveLength(0);
  });
});

describe('queryRefund', () => {
  it('GETs the refund by out_refund_no, signed, and reads PROCESSING, then SUCCESS with its time', async () => {
    const order = await paid();
    const request = refundRequest(order, { refundNo: `RF|*@-_${Date.now()}` });
    await adapter().refund(request);
    sent = [];
    const processing = await adapter().queryRefund(refRef(request));
    const path = `/v3/refund/domestic/refunds/${encodeURIComponent(request.refundNo)}`;
    expect(sent.map((call) => [call.method, call.url, call.body])).toEqual([['GET', `${t.url}${path}`, '']]);
    const fields = parseAuthorization(sent[0]?.authorization ?? '');
    expect(verify(requestMessage('GET', path, fields?.timestamp ?? '', fields?.nonce_str ?? '', ''), fields?.signature ?? '', createPublicKey(t.secrets.merchantPublicKey))).toBe(true);
    expect(processing).toEqual({
      layer: 'trade',
      ok: true,
      refund: { state: 'processing', channelState: 'PROCESSING', channelRefundNo: refundIdOf(request.refundNo), amount: 5000, succeededAt: undefined, fundsAccount: 'AVAILABLE', receivedAccount: '支付用户零钱' },
    });

    expect(t.sandbox.settleRefund(request.refundNo, 'SUCCESS')).toBe(true);
    const done = await adapter().queryRefund(refRef(request));
    const successAt = (JSON.parse(t.context.orders.get('wechatpay', order.channelOrderNo)?.details.refunds ?? '[]') as Array<{ successAt: string }>)[0]?.successAt ?? '';
    expect(done).toEqual({
      layer: 'trade',
      ok: true,
      refund: {
        state: 'succeeded',
        channelState: 'SUCCESS',
        channelRefundNo: refundIdOf(request.refundNo),
        amount: 5000,
        // success_time is written to the second.
        succeededAt: new Date(Math.floor(Date.parse(successAt) / 1000) * 1000),
        fundsAccount: 'AVAILABLE',
        receivedAccount: '支付用户零钱',
      },
    });
  });

  it.each([
    ['ABNORMAL', 'processing'],
    ['CLOSED', 'failed'],
  ] as const)('reads a refund settled %s as %s', async (status, state) => {
    const order = await paid();
    const request = refundRequest(order);
    await adapter().refund(request);
    t.sandbox.settleRefund(request.refundNo, status);
    expect(await adapter().queryRefund(refRef(request))).toMatchObject({ layer: 'trade', refund: { state, channelState: status, succeededAt: undefined } });
  });

  it('says not-found for a refund number WeChat never saw', async () => {
    expect(await adapter().queryRefund(refRef(refundRequest({ channelOrderNo: 'WXNONE000001' })))).toEqual({
      layer: 'trade',
      ok: true,
      refund: { state: 'not-found', channelState: 'RESOURCE_NOT_EXISTS' },
    });
  });

  it('retries a 5xx read with a fresh signature and takes the answer that comes; gives up after readRetries', async () => {
    const order = await paid();
    const request = refundRequest(order);
    await adapter().refund(request);
    t.context.faults.set('wechatpay', order.channelOrderNo, { queryFailure: '5xx', queryFailures: 2 });
    sent = [];
    expect(await adapter().queryRefund(refRef(request))).toMatchObject({ layer: 'trade', refund: { state: 'processing' } });
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((call) => parseAuthorization(call.authorization)?.nonce_str)).size).toBe(3);

    t.context.faults.set('wechatpay', order.channelOrderNo, { queryFailure: '5xx', queryFailures: 3 });
    sent = [];
    expect(await adapter().queryRefund(refRef(request))).toEqual({ layer: 'business', ok: false, code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试', unknown: true });
    expect(sent).toHaveLength(3);
  });

  it('is a communication failure when the sandbox holds the query (the timeout fault), and answers the next', async () => {
    const order = await paid();
    const request = refundRequest(order);
    await adapter().refund(request);
    t.context.faults.set('wechatpay', order.channelOrderNo, { queryFailure: 'timeout', queryFailures: 1 });
    expect(await adapter({ timeoutMs: 200, readRetries: 0 }).queryRefund(refRef(request))).toEqual({ layer: 'communication', ok: false, reason: 'no answer within 200 ms' });
    expect(await adapter().queryRefund(refRef(request))).toMatchObject({ layer: 'trade', refund: { state: 'processing' } });
  });

  it('reports a 4xx other than RESOURCE_NOT_EXISTS on the business layer, as final', async () => {
    fault = () => wechatAnswer(400, { code: 'PARAM_ERROR', message: '参数错误' });
    expect(await adapter().queryRefund(refRef(refundRequest({ channelOrderNo: 'WXNONE000001' })))).toEqual({
      layer: 'business',
      ok: false,
      code: 'PARAM_ERROR',
      message: '参数错误',
      unknown: false,
    });
  });

  it.each([
    ['a body changed in transit', (response: Response) => tampered(response)],
    ['an answer about another refund number', (_response: Response, request: RefundRequest) => wechatAnswer(200, refundAnswer({ ...request, refundNo: 'RFOTHER' }, 'SUCCESS'))],
    ['an answer about another order', (_response: Response, request: RefundRequest) => wechatAnswer(200, refundAnswer({ ...request, channelOrderNo: 'WXSOMEONEELSE' }, 'SUCCESS'))],
    ['an unsigned 404', () => new Response('{"code":"RESOURCE_NOT_EXISTS","message":"退款单不存在"}', { status: 404 })],
  ] as const)('does not report a refund on %s', async (_name, answer) => {
    const order = await paid();
    const request = refundRequest(order);
    await adapter().refund(request);
    fault = (_n, response) => answer(response, request);
    expect((await adapter().queryRefund(refRef(request))).layer).toBe('communication');
  });
});
