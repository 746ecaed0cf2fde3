// The WeChat Pay adapter's bill(day) against the sandbox over real HTTP (§1.9): not-ready before 10:00 Beijing on
// D+1, a paid order and its refund as BillLines with WeChat's fees, each injectable discrepancy as the reconciliation
// will see it, a day with no bill, and every way the download can lie (altered file, altered or forged answer,
// truncated or non-gzip stream). Faults WeChat's side would cause are played by rewriting its answers in flight.

import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWechatpaySandbox, type WechatpayTestSandbox } from '../../../demo/sandbox/wechatpay/testing.ts';
import type { BillLine, BillSummary } from '../../bills/types.ts';
import type { HttpOptions } from '../index.ts';
import type { BillOutcome } from '../types.ts';
import { wechatpayAdapter } from './adapter.ts';
import { signResponse } from './crypto.ts';

const D = '2026-11-26';
const START = Date.parse(`${D}T09:00:00+08:00`);

let t: WechatpayTestSandbox;
let sequence = 0;
let sent: Array<{ url: string; authorization: string }> = [];
/** Rewrites WeChat's answer to the n-th request of a test (1-based). */
let fault: ((n: number, url: string, response: Response) => Response | Promise<Response>) | undefined;

const faultyFetch: typeof fetch = async (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  sent.push({ url: request.url, authorization: request.headers.get('authorization') ?? '' });
  const response = await fetch(request);
  return fault ? fault(sent.length, request.url, response) : response;
};

const adapter = (timeoutMs = 3000) => {
  const http: HttpOptions = { timeoutMs, readRetries: 0, fetch: faultyFetch, now: () => t.context.clock.now() };
  return wechatpayAdapter(t.credentials, http);
};

const day = {
  paid: { outTradeNo: '', transactionId: '', paidAt: new Date(0) },
  other: { outTradeNo: '', transactionId: '', paidAt: new Date(0) },
  refund: { outRefundNo: '', refundId: '' },
};

const channelSeconds = () => Math.floor(t.context.clock.now().getTime() / 1000);
const moveTo = (beijing: string) => t.context.clock.advance(Math.max(0, Date.parse(`${beijing}+08:00`) - t.context.clock.now().getTime()));

async function paid(total: number): Promise<{ outTradeNo: string; transactionId: string; paidAt: Date }> {
  const outTradeNo = `WXL${String((sequence += 1)).padStart(6, '0')}${Date.now() % 100_000}`;
  const answer = await t.call('/v3/pay/transactions/native', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: outTradeNo,
      notify_url: 'https://bff.example/notify/wechatpay',
      amount: { total, currency: 'CNY' },
    }),
    timestamp: channelSeconds(),
  });
  expect(answer.status).toBe(200);
  await t.sandbox.pay(outTradeNo);
  const stored = t.context.orders.get('wechatpay', outTradeNo);
  return { outTradeNo, transactionId: stored?.tradeNo ?? '', paidAt: new Date(stored?.paidAt ?? 0) };
}

async function ready(outcome: Promise<BillOutcome>): Promise<{ lines: BillLine[]; summary: BillSummary }> {
  const result = await outcome;
  if (result.kind !== 'ready') throw new Error(`expected a ready bill, got ${JSON.stringify(result)}`);
  const lines: BillLine[] = [];
  for await (const line of result.bill.lines) lines.push(line);
  return { lines, summary: await result.bill.summary };
}

/** Reads a ready bill to its end; returns what it yielded and what `summary` rejected with. */
async function refused(outcome: Promise<BillOutcome>): Promise<{ lines: BillLine[]; error: unknown; thrown: unknown }> {
  const result = await outcome;
  if (result.kind !== 'ready') throw new Error(`expected a ready bill, got ${JSON.stringify(result)}`);
  const lines: BillLine[] = [];
  let thrown: unknown;
  try {
    for await (const line of result.bill.lines) lines.push(line);
  } catch (error) {
    thrown = error;
  }
  const error = await result.bill.summary.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return { lines, error, thrown };
}

/** An answer as WeChat would sign it, for faults the sandbox does not produce. */
function wechatAnswer(status: number, body: string): Response {
  const signed = signResponse(t.secrets.platformPrivateKey, body, { timestamp: String(channelSeconds()) });
  return new Response(body, {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
      'Wechatpay-Serial': t.secrets.platformPublicKeyId,
    },
  });
}

/** The download's file, changed by `edit` and gzipped again: what a corrupting hop in between would deliver. */
async function rewritten(response: Response, edit: (csv: string) => string): Promise<Response> {
  const csv = gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8');
  return new Response(new Uint8Array(gzipSync(Buffer.from(edit(csv), 'utf8'))), { status: 200 });
}

const lineOf = (lines: BillLine[], key: string) => lines.find((line) => (line.kind === 'refund' ? line.refundNo : line.channelOrderNo) === key);

beforeAll(async () => {
  t = await startWechatpaySandbox({ refundProcessingMs: null, now: () => new Date(START) });
  day.paid = await paid(12_800);
  day.other = await paid(2_000);
  const outRefundNo = `RFL${Date.now() % 1_000_000}`;
  const answer = await t.call('/v3/refund/domestic/refunds', {
    body: JSON.stringify({ out_trade_no: day.paid.outTradeNo, out_refund_no: outRefundNo, amount: { refund: 5_000, total: 12_800, currency: 'CNY' } }),
    timestamp: channelSeconds(),
  });
  expect(answer.status).toBe(200);
  expect(t.sandbox.settleRefund(outRefundNo, 'SUCCESS')).toBe(true);
  day.refund = { outRefundNo, refundId: (answer.json as { refund_id: string }).refund_id };
}, 60_000);

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  sent = [];
  fault = undefined;
  t.context.bills.clear('wechatpay', D);
});

describe('bill(day) by the channel clock', () => {
  it('is not-ready until 10:00 Beijing on D+1', async () => {
    moveTo('2026-11-27T09:59:59');
    const outcome = await adapter().bill(D);
    expect(outcome).toMatchObject({ kind: 'not-ready' });
    expect(outcome.kind === 'not-ready' && outcome.message).toMatch(/^STATEMENT_CREATING/);
  });

  it('from 10:00 is the day’s payments and refunds as BillLines, fees included, with the summary', async () => {
    moveTo('2026-11-27T10:00:00');
    const { lines, summary } = await ready(adapter().bill(D));
    expect(lines).toHaveLength(3);
    expect(lineOf(lines, day.paid.outTradeNo)).toMatchObject({
      kind: 'payment',
      channelOrderNo: day.paid.outTradeNo,
      channelTradeNo: day.paid.transactionId,
      amount: 12_800,
      fee: 77, // 128.00 × 0.6 %, half up
      status: 'SUCCESS',
      at: day.paid.paidAt,
    });
    expect(lineOf(lines, day.refund.outRefundNo)).toMatchObject({
      kind: 'refund',
      channelOrderNo: day.paid.outTradeNo,
      channelRefundNo: day.refund.refundId,
      amount: 5_000,
      fee: 30, // returned: 50.00 × 0.6 %
      status: 'SUCCESS',
    });
    expect(summary).toEqual({
      channel: 'wechatpay',
      rows: 3,
      settlementTotal: 14_800,
      refundTotal: 5_000,
      couponRefundTotal: 0,
      feeTotal: 77 + 12 - 30,
      orderTotal: 14_800,
      requestedRefundTotal: 5_000,
    });
    // Two signed requests: the application (ALL, gzip) and the download it named.
    expect(sent.map((request) => new URL(request.url).pathname)).toEqual(['/v3/bill/tradebill', '/v3/billdownload/file']);
    expect(new URL(sent[0]?.url ?? '').search).toBe(`?bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    expect(sent.every((request) => request.authorization.startsWith('WECHATPAY2-SHA256-RSA2048 '))).toBe(true);
  });

  it('is no-bill for a day without transactions', async () => {
    expect(await adapter().bill('2026-11-25')).toMatchObject({ kind: 'no-bill', message: expect.stringMatching(/^NO_STATEMENT_EXIST/) });
  });

  it('is failed for a day WeChat refuses (more than three months back) and for a string that is not a day', async () => {
    expect(await adapter().bill('2026-01-05')).toMatchObject({ kind: 'failed', code: 'INVALID_REQUEST' });
    sent = [];
    expect(await adapter().bill('2026-11-31')).toMatchObject({ kind: 'failed', code: 'invalid_day' });
    expect(sent).toHaveLength(0);
  });
});

describe('discrepancies injected at the sandbox reach the parsed lines', () => {
  it('missing: the payment has no line', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'missing', key: day.other.outTradeNo });
    const { lines } = await ready(adapter().bill(D));
    expect(lineOf(lines, day.other.outTradeNo)).toBeUndefined();
    expect(lines).toHaveLength(2);
  });

  it('extra: a line for an order nobody made', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'extra', key: 'NOBODY0001', amount: 999 });
    const { lines, summary } = await ready(adapter().bill(D));
    expect(lineOf(lines, 'NOBODY0001')).toMatchObject({ kind: 'payment', amount: 999, fee: 6, status: 'SUCCESS' });
    expect(summary).toMatchObject({ rows: 4, orderTotal: 14_800 + 999 });
  });

  it('amount: the payment billed for more than was paid', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'amount', key: day.other.outTradeNo, delta: 100 });
    const { lines } = await ready(adapter().bill(D));
    expect(lineOf(lines, day.other.outTradeNo)).toMatchObject({ amount: 2_100, fee: 12 });
  });

  it('fee: the refund returns a different fee', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'fee', key: day.refund.outRefundNo, delta: -5 });
    const { lines, summary } = await ready(adapter().bill(D));
    expect(lineOf(lines, day.refund.outRefundNo)).toMatchObject({ kind: 'refund', amount: 5_000, fee: 25 });
    expect(summary).toMatchObject({ feeTotal: 77 + 12 - 25 });
  });

  it('status: the refund billed as still processing', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'status', key: day.refund.outRefundNo, status: 'PROCESSING' });
    const { lines } = await ready(adapter().bill(D));
    expect(lineOf(lines, day.refund.outRefundNo)).toMatchObject({ kind: 'refund', status: 'PROCESSING' });
    expect(lineOf(lines, day.paid.outTradeNo)).toMatchObject({ status: 'SUCCESS' });
  });
});

describe('a bill that cannot be trusted', () => {
  it('an altered file: every line reads, then the SHA1 check fails and summary rejects', async () => {
    fault = (n, _url, response) => (n === 2 ? rewritten(response, (csv) => csv.replace('`128.00,', '`118.00,')) : response);
    const { lines, error, thrown } = await refused(adapter().bill(D));
    expect(lines).toHaveLength(3); // nothing about the rows themselves gives it away
    expect(error).toMatchObject({ name: 'BillError', code: 'unexpected_content', message: expect.stringMatching(/SHA1/) });
    expect(thrown).toBe(error);
  });

  it('a truncated download is refused even though its gzip prefix is valid', async () => {
    fault = async (n, _url, response) => {
      if (n !== 2) return response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      return new Response(bytes.slice(0, Math.floor(bytes.length / 2)), { status: 200 });
    };
    const { error } = await refused(adapter().bill(D));
    expect(error).toMatchObject({ name: 'BillError', code: 'bad_zip' });
  });

  it('a download that goes quiet is given up after the timeout and refused', async () => {
    fault = async (n, _url, response) => {
      if (n !== 2) return response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      // Half the file, then nothing: the connection stays open and silent.
      const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(bytes.slice(0, 20)) });
      return new Response(body, { status: 200 });
    };
    const started = Date.now();
    const { error } = await refused(adapter(300).bill(D));
    expect(error).toMatchObject({ name: 'BillError', code: 'missing_summary', message: expect.stringMatching(/broke off/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a download that is not gzip is a bad_zip BillError', async () => {
    fault = (n, _url, response) => (n === 2 ? new Response('交易时间,公众账号ID\r\n', { status: 200 }) : response);
    const { error } = await refused(adapter().bill(D));
    expect(error).toMatchObject({ name: 'BillError', code: 'bad_zip' });
  });

  it('an application answer whose hash was changed in flight fails its signature: unknown, nothing downloaded', async () => {
    fault = async (n, _url, response) => {
      if (n !== 1) return response;
      // One hex digit changed (to another one, whatever it was).
      const text = (await response.text()).replace(/"hash_value":"([0-9a-f])/, (_match, digit: string) => `"hash_value":"${digit === '0' ? '1' : '0'}`);
      return new Response(text, { status: response.status, headers: response.headers });
    };
    expect(await adapter().bill(D)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/not verifiable/) });
    expect(sent).toHaveLength(1);
  });

  it('a signed application with a wrong hash (WeChat’s own mistake) is still caught at the end of the file', async () => {
    fault = async (n, _url, response) => {
      if (n !== 1) return response;
      const json = JSON.parse(await response.text()) as Record<string, string>;
      return wechatAnswer(200, JSON.stringify({ ...json, hash_value: '0'.repeat(40) }));
    };
    const { lines, error } = await refused(adapter().bill(D));
    expect(lines).toHaveLength(3);
    expect(error).toMatchObject({ name: 'BillError', code: 'unexpected_content' });
  });

  it('WeChat’s SYSTEM_ERROR and a failed download leave the bill unknown', async () => {
    fault = (n, _url, response) => (n === 1 ? wechatAnswer(500, JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' })) : response);
    expect(await adapter().bill(D)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^SYSTEM_ERROR/) });
    sent = [];
    fault = (n, _url, response) => (n === 2 ? new Response(JSON.stringify({ code: 'INVALID_REQUEST', message: '下载地址已过期' }), { status: 400 }) : response);
    expect(await adapter().bill(D)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/INVALID_REQUEST/) });
  });
});
