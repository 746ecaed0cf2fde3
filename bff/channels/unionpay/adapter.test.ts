import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newChannelOrderNumber } from '../../../shared/channels/index.ts';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import type { UnionpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { AttemptRef, ChannelAdapter, PayRequest } from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { verifyWithKey } from './crypto.ts';

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };

let test: TestSandbox;
let credentials: UnionpayCredentials;
let merchantCertificate: string;
let adapter: ChannelAdapter;

beforeAll(async () => {
  test = await startTestSandbox();
  credentials = test.credentials.unionpay!;
  merchantCertificate = readFileSync(join(test.credentialsDir, 'unionpay-sign-cert.pem'), 'utf8');
  adapter = unionpayAdapter(credentials, HTTP);
}, 60_000);

afterAll(async () => {
  await test?.close();
});

function request(product: string, overrides: Partial<PayRequest> = {}): PayRequest {
  return {
    product,
    channelOrderNo: newChannelOrderNumber(['unionpay']),
    amount: 12_800,
    currency: 'CNY',
    description: 'Celadon tea set',
    attach: 'cart-42',
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: 'http://127.0.0.1:9/notify/unionpay',
    returnUrl: 'https://shop.example/return',
    creditCardsAllowed: true,
    ...overrides,
  };
}

const ref = (payRequest: PayRequest, extra: Partial<AttemptRef> = {}): AttemptRef => ({
  channelOrderNo: payRequest.channelOrderNo,
  createdAt: new Date(),
  product: payRequest.product,
  ...extra,
});

const order = (orderId: string) => test.sandbox.context.orders.get('unionpay', orderId);

/** The Beijing wall-clock text as an instant, written independently of the adapter. */
const beijing = (stamp: string) =>
  new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}+08:00`);

async function payOrThrow(payRequest: PayRequest) {
  const outcome = await adapter.pay(payRequest);
  if (outcome.kind !== 'action') throw new Error(`pay gave ${JSON.stringify(outcome)}`);
  return outcome.action;
}

async function postForm(action: { kind: string; action?: string; fields?: Record<string, string> }) {
  if (action.kind !== 'form' || !action.action || !action.fields) throw new Error('not a form');
  return fetch(action.action, {
    method: 'POST',
    body: new URLSearchParams(action.fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

describe('pay: the signed gateway form (no server call)', () => {
  // 2026-05-01 12:00:07 in Beijing; the order expires at 12:15:07.900, which payTimeout writes to the second.
  const madeAt = new Date('2026-05-01T04:00:07.250Z');
  const fixed = (product: string) =>
    request(product, {
      channelOrderNo: newChannelOrderNumber(['unionpay'], madeAt),
      expiresAt: new Date('2026-05-01T04:15:07.900Z'),
      attach: 'cart=42&gift',
    });

  it('gateway: frontTransReq.do with every consume field, txnTime and payTimeout in Beijing time, channelType 07', async () => {
    const payRequest = fixed('gateway');
    const action = await payOrThrow(payRequest);
    expect(action).toMatchObject({ kind: 'form', method: 'POST', action: `${test.url}/gateway/api/frontTransReq.do` });
    if (action.kind !== 'form') return;
    expect(payRequest.channelOrderNo.slice(0, 12)).toBe('260501120007');
    const { signature, ...unsigned } = action.fields;
    expect(unsigned).toEqual({
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      certId: credentials.certId,
      merId: credentials.merId,
      txnType: '01',
      txnSubType: '01',
      bizType: '000201',
      channelType: '07',
      accessType: '0',
      currencyCode: '156',
      txnAmt: '12800',
      orderId: payRequest.channelOrderNo,
      txnTime: '20260501120007',
      payTimeout: '20260501121507',
      backUrl: 'http://127.0.0.1:9/notify/unionpay',
      frontUrl: 'https://shop.example/return',
      // `&` and `=` would break UnionPay's raw answers: the official demos' full-width stand-ins.
      reqReserved: 'cart＝42＆gift',
    });
    expect(credentials.certId).toMatch(/^\d+$/);
    expect(verifyWithKey(action.fields, merchantCertificate)).toBe(true);
    expect(verifyWithKey({ ...action.fields, txnAmt: '1' }, merchantCertificate)).toBe(false);
    expect(signature).toBeTruthy();
  });

  it('wap: the same form with channelType 08; no attach, no reqReserved', async () => {
    const action = await payOrThrow({ ...fixed('wap'), attach: undefined });
    if (action.kind !== 'form') throw new Error('not a form');
    expect(action.fields.channelType).toBe('08');
    expect(action.fields.frontUrl).toBe('https://shop.example/return');
    expect('reqReserved' in action.fields).toBe(false);
    expect(verifyWithKey(action.fields, merchantCertificate)).toBe(true);
  });

  it('the sandbox gateway accepts the form as built, shows the amount and then knows the order', async () => {
    const payRequest = request('gateway');
    const page = await postForm(await payOrThrow(payRequest));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('¥128.00');
    expect(order(payRequest.channelOrderNo)).toMatchObject({ status: 'pending', product: 'gateway', amount: 12_800 });
    expect(order(payRequest.channelOrderNo)?.details.reqReserved).toBe('cart-42');
  });

  it('refuses what UnionPay could not take: another product, currency, a number without its time, no returnUrl', async () => {
    await expect(adapter.pay(request('qr'))).rejects.toMatchObject({ code: 'unsupported_product' });
    await expect(adapter.pay(request('app', { currency: 'USD' }))).rejects.toMatchObject({ code: 'unsupported_currency' });
    await expect(adapter.pay(request('app', { channelOrderNo: 'ABCDEFGHIJ123456' }))).rejects.toMatchObject({ code: 'invalid_order_number' });
    await expect(adapter.pay(request('app', { channelOrderNo: 'ORDER-1' }))).rejects.toMatchObject({ code: 'invalid_order_number' });
    await expect(adapter.pay(request('gateway', { returnUrl: undefined }))).rejects.toMatchObject({ code: 'missing_return_url' });
    await expect(adapter.pay(request('app', { amount: 0 }))).rejects.toMatchObject({ code: 'invalid_amount' });
  });
});

describe('pay: app (appTransReq.do over HTTP)', () => {
  it('returns the tn for the app SDK; the channel order carries our fields', async () => {
    const payRequest = request('app');
    const outcome = await adapter.pay(payRequest);
    expect(outcome).toMatchObject({ kind: 'action', action: { kind: 'app', channel: 'unionpay' } });
    if (outcome.kind !== 'action' || outcome.action.kind !== 'app') return;
    const parameters = outcome.action.parameters as Record<string, string>;
    expect(Object.keys(parameters)).toEqual(['tn']);
    const saved = order(payRequest.channelOrderNo);
    expect(parameters.tn).toBe(saved?.details.tn);
    expect(saved).toMatchObject({ product: 'app', amount: 12_800, notifyUrl: 'http://127.0.0.1:9/notify/unionpay', status: 'pending' });
    expect(saved?.details).toMatchObject({ channelType: '08', txnTime: `20${payRequest.channelOrderNo.slice(0, 12)}`, reqReserved: 'cart-42' });
    expect(beijing(saved?.details.payTimeout ?? '').getTime()).toBe(Math.floor(payRequest.expiresAt.getTime() / 1000) * 1000);
  });

  it('a refusal is failed with UnionPay\u2019s code: wrong key (11), stale txnTime (10)', async () => {
    const foreign = unionpayAdapter({ ...credentials, signPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }, HTTP);
    expect(await foreign.pay(request('app'))).toEqual({ kind: 'failed', code: '11', message: '验证签名失败' });
    const stale = request('app', { channelOrderNo: newChannelOrderNumber(['unionpay'], new Date(Date.now() - 20 * 60_000)) });
    expect(await adapter.pay(stale)).toEqual({ kind: 'failed', code: '10', message: 'txnTime无效' });
    const duplicate = request('app');
    await payOrThrow(duplicate);
    expect(await adapter.pay(duplicate)).toEqual({ kind: 'failed', code: '12', message: '重复交易' });
  });
});

describe('query', () => {
  it('pending, then paid with amount, queryId and paidAt (traceTime, Beijing); not-found; failed', async () => {
    const payRequest = request('gateway');
    await postForm(await payOrThrow(payRequest));
    expect(await adapter.query(ref(payRequest))).toEqual({ layer: 'trade', ok: true, trade: { state: 'pending', channelState: '05' } });
    await test.sandbox.channels.unionpay.pay(payRequest.channelOrderNo);
    const txnTime = `20${payRequest.channelOrderNo.slice(0, 12)}`;
    expect(await adapter.query(ref(payRequest))).toEqual({
      layer: 'trade',
      ok: true,
      trade: {
        state: 'succeeded',
        channelState: '00',
        channelTradeNo: order(payRequest.channelOrderNo)?.tradeNo,
        amount: 12_800,
        currency: 'CNY',
        paidAt: beijing(txnTime),
      },
    });

    expect(await adapter.query(ref(request('app')))).toEqual({ layer: 'trade', ok: true, trade: { state: 'not-found', channelState: '34' } });

    const failing = request('app');
    await payOrThrow(failing);
    await test.sandbox.channels.unionpay.fail(failing.channelOrderNo);
    expect(await adapter.query(ref(failing))).toEqual({ layer: 'trade', ok: true, trade: { state: 'failed', channelState: '60' } });
  });

  it('names the original by orderId + the txnTime in the number, whatever createdAt says', async () => {
    const payRequest = request('app');
    await payOrThrow(payRequest);
    const later = ref(payRequest, { createdAt: new Date(Date.now() + 3_600_000) });
    expect(await adapter.query(later)).toMatchObject({ layer: 'trade', trade: { state: 'pending' } });
  });

  it('a query the channel refuses is a business result (11), never a trade state', async () => {
    const foreign = unionpayAdapter({ ...credentials, signPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }, HTTP);
    expect(await foreign.query(ref(request('app')))).toEqual({ layer: 'business', ok: false, code: '11', message: '验证签名失败', unknown: false });
  });
});

describe('close', () => {
  it('paid → paid; unpaid before payTimeout → unknown; an app order UnionPay never saw → closed', async () => {
    const paid = request('app');
    await payOrThrow(paid);
    await test.sandbox.channels.unionpay.pay(paid.channelOrderNo);
    expect(await adapter.close(ref(paid, { expiresAt: paid.expiresAt }))).toEqual({ kind: 'paid' });

    const open = request('app');
    await payOrThrow(open);
    expect(await adapter.close(ref(open, { expiresAt: open.expiresAt }))).toMatchObject({ kind: 'unknown' });
    expect(await adapter.close(ref(request('app')))).toEqual({ kind: 'closed' });
  });

  it('a gateway form not yet posted may still arrive until payTimeout: unknown, then closed', async () => {
    const form = request('gateway');
    await payOrThrow(form);
    expect(await adapter.close(ref(form, { expiresAt: form.expiresAt }))).toMatchObject({ kind: 'unknown' });
    const later = unionpayAdapter(credentials, { ...HTTP, now: () => new Date(form.expiresAt.getTime() + 61_000) });
    expect(await later.close(ref(form, { expiresAt: form.expiresAt }))).toEqual({ kind: 'closed' });
  });

  it('pending past the payTimeout we sent counts as closed even if the channel still says 05', async () => {
    const open = request('app', { expiresAt: new Date(Date.now() + 5 * 60_000) });
    await payOrThrow(open);
    const justBefore = unionpayAdapter(credentials, { ...HTTP, now: () => new Date(open.expiresAt.getTime() + 59_000) });
    expect(await justBefore.close(ref(open, { expiresAt: open.expiresAt }))).toMatchObject({ kind: 'unknown' });
    const after = unionpayAdapter(credentials, { ...HTTP, now: () => new Date(open.expiresAt.getTime() + 60_000) });
    expect(await after.query(ref(open))).toMatchObject({ layer: 'trade', trade: { state: 'pending', channelState: '05' } });
    expect(await after.close(ref(open, { expiresAt: open.expiresAt }))).toEqual({ kind: 'closed' });
  });

  it('once the channel\u2019s clock passes payTimeout it answers failed (01), and close says closed', async () => {
    const short = request('app', { expiresAt: new Date(Date.now() + 61_000) });
    await payOrThrow(short);
    test.sandbox.context.clock.advance(62_000);
    expect(await adapter.query(ref(short))).toEqual({ layer: 'trade', ok: true, trade: { state: 'failed', channelState: '01' } });
    expect(await adapter.close(ref(short))).toEqual({ kind: 'closed' });
  });
});

describe('transport', () => {
  let server: Server;
  let url: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      hits += 1;
      response.writeHead(502).end('bad gateway');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('retries reads only: a query is sent 1 + readRetries times, an app pay once', async () => {
    const broken = unionpayAdapter({ ...credentials, gateway: url }, { timeoutMs: 1000, readRetries: 2 });
    hits = 0;
    expect(await broken.query(ref(request('app')))).toEqual({ layer: 'communication', ok: false, reason: 'transport: HTTP 502' });
    expect(hits).toBe(3);
    hits = 0;
    expect(await broken.pay(request('app'))).toEqual({ kind: 'unknown', reason: 'transport: HTTP 502' });
    expect(hits).toBe(1);
    expect(await broken.close(ref(request('app')))).toEqual({ kind: 'unknown', reason: 'transport: HTTP 502' });
  });

  it('an answer re-encoded on the way (URL-encoded values) no longer verifies: unknown, not failed', async () => {
    // A proxy that URL-encodes the sandbox's raw answer, as a naive intermediary might: "+" becomes "%2B".
    const proxy = createServer(async (incoming, response) => {
      let body = '';
      for await (const chunk of incoming) body += String(chunk);
      const upstream = await fetch(`${test.url}${incoming.url ?? ''}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const raw = await upstream.text();
      const encoded = raw
        .split('&')
        .map((pair) => {
          const at = pair.indexOf('=');
          return `${pair.slice(0, at)}=${encodeURIComponent(pair.slice(at + 1))}`;
        })
        .join('&');
      response.writeHead(200).end(encoded);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const via = unionpayAdapter({ ...credentials, gateway: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, HTTP);
    try {
      expect(await via.pay(request('app'))).toEqual({ kind: 'unknown', reason: 'answer not verifiable (malformed)' });
      expect(await via.query(ref(request('app')))).toEqual({ layer: 'communication', ok: false, reason: 'answer not verifiable (malformed)' });
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
