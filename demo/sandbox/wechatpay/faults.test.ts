// The faults the WeChat Pay sandbox acts out itself (demo/sandbox/faults.ts): forged and probing notifications, a
// misstated amount, failing and hanging queries, and a success after the order's expiry; plus the notifier's delivery
// faults, which reach WeChat's notifications through the fault book the channel shares with it.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aeadDecrypt, authorization, SIGNTEST_PREFIX, verifyResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import { hang } from './protocol.ts';
import { startWechatpaySandbox, type RawAnswer, type WechatpayTestSandbox } from './testing.ts';

let t: WechatpayTestSandbox;
let merchant: Server;
let notifyUrl: string;
let received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
/** What the merchant answers, delivery by delivery; the last entry repeats. */
let answers: number[] = [204];
let sequence = 0;

beforeAll(async () => {
  t = await startWechatpaySandbox({ timeScale: 0.0001, refundProcessingMs: null });
  merchant = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(answers[Math.min(received.length - 1, answers.length - 1)] ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/wechatpay`;
}, 60_000);

afterEach(() => {
  t.context.notifier.stop();
  received = [];
  answers = [204];
});

afterAll(async () => {
  await t?.close();
  merchant?.closeAllConnections();
  await new Promise<void>((resolve) => merchant?.close(() => resolve()));
});

const nowSeconds = () => Math.floor(t.context.clock.now().getTime() / 1000);

async function created(overrides: Record<string, unknown> = {}): Promise<string> {
  sequence += 1;
  const outTradeNo = `WXF${Date.now()}${String(sequence).padStart(4, '0')}`;
  const answer = await t.call('/v3/pay/transactions/native', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: outTradeNo,
      notify_url: notifyUrl,
      amount: { total: 12_800, currency: 'CNY' },
      ...overrides,
    }),
  });
  expect(answer.status).toBe(200);
  return outTradeNo;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function verdict(delivery: { headers: IncomingHttpHeaders; body: string }) {
  return verifyResponse(
    {
      timestamp: String(delivery.headers['wechatpay-timestamp']),
      nonce: String(delivery.headers['wechatpay-nonce']),
      signature: String(delivery.headers['wechatpay-signature']),
      serial: String(delivery.headers['wechatpay-serial']),
      body: delivery.body,
    },
    t.credentials.platformPublicKeys,
    nowSeconds(),
  );
}

function resourceOf(body: string): Record<string, unknown> {
  const { resource } = JSON.parse(body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
  return JSON.parse(aeadDecrypt({ key: t.credentials.apiV3Key, nonce: resource.nonce, associatedData: resource.associated_data, ciphertext: resource.ciphertext })) as Record<string, unknown>;
}

const query = (no: string, signal?: AbortSignal) =>
  signal
    ? fetchSigned(`/v3/pay/transactions/out-trade-no/${no}?mchid=${t.credentials.mchid}`, signal)
    : t.call(`/v3/pay/transactions/out-trade-no/${no}?mchid=${t.credentials.mchid}`);

/** t.call cannot be aborted; a hanging query needs a client that gives up. */
async function fetchSigned(path: string, signal: AbortSignal): Promise<RawAnswer> {
  const header = authorization({
    mchid: t.credentials.mchid,
    serialNo: t.credentials.merchantSerialNo,
    privateKey: t.credentials.merchantPrivateKey,
    method: 'GET',
    url: path,
    body: '',
  });
  const response = await fetch(`${t.url}${path}`, { headers: { Authorization: header, Accept: 'application/json' }, signal });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('forgeSignature', () => {
  it('signs every delivery with a key that is not WeChat’s, under WeChat’s key id, over the real body', async () => {
    answers = [500, 204];
    const no = await created();
    t.context.faults.set('wechatpay', no, { forgeSignature: true });
    await t.sandbox.pay(no);
    await until(() => received.length === 2);
    for (const delivery of received) {
      expect(delivery.headers['wechatpay-serial']).toBe(t.secrets.platformPublicKeyId);
      expect(verdict(delivery)).toEqual({ ok: false, reason: 'bad-signature' });
      // The body itself is the real one: it decrypts with the APIv3 key and says the order is paid.
      expect(resourceOf(delivery.body)).toMatchObject({ out_trade_no: no, trade_state: 'SUCCESS' });
    }
    // The notifier logs a delivery once its answer is read, a moment after the merchant has it.
    await until(() => t.context.notifier.log.filter((d) => d.orderKey === no).length === 2);
    expect(t.context.notifier.log.filter((d) => d.orderKey === no).map((d) => [d.attempt, d.forged, d.status])).toEqual([
      [1, true, 500],
      [2, true, 204],
    ]);
  });

  it('forges refund notifications too', async () => {
    const no = await created();
    await t.sandbox.pay(no);
    await until(() => received.length === 1);
    received = [];
    t.context.faults.set('wechatpay', no, { forgeSignature: true });
    await t.call('/v3/refund/domestic/refunds', {
      body: JSON.stringify({ out_trade_no: no, out_refund_no: `RF${no}`, notify_url: notifyUrl, amount: { refund: 100, total: 12_800, currency: 'CNY' } }),
    });
    expect(t.sandbox.settleRefund(`RF${no}`, 'SUCCESS')).toBe(true);
    await until(() => received.length === 1);
    expect(verdict(received[0]!)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(resourceOf(received[0]!.body)).toMatchObject({ out_refund_no: `RF${no}`, refund_status: 'SUCCESS' });
  });
});

describe('changeAmount', () => {
  it('states the changed amount in TRANSACTION.SUCCESS, authentically signed; the query keeps the real one', async () => {
    const no = await created();
    t.context.faults.set('wechatpay', no, { changeAmount: 1 });
    await t.sandbox.pay(no);
    await until(() => received.length === 1);
    expect(verdict(received[0]!)).toEqual({ ok: true });
    expect(resourceOf(received[0]!.body)).toMatchObject({ out_trade_no: no, amount: { total: 1, payer_total: 1, currency: 'CNY' } });
    expect((await query(no)).json).toMatchObject({ amount: { total: 12_800, payer_total: 12_800 } });
  });

  it('states the changed amount as the refund amount in REFUND.SUCCESS', async () => {
    const no = await created();
    await t.sandbox.pay(no);
    await until(() => received.length === 1);
    received = [];
    t.context.faults.set('wechatpay', no, { changeAmount: 7 });
    await t.call('/v3/refund/domestic/refunds', {
      body: JSON.stringify({ out_trade_no: no, out_refund_no: `RF${no}`, notify_url: notifyUrl, amount: { refund: 100, total: 12_800, currency: 'CNY' } }),
    });
    t.sandbox.settleRefund(`RF${no}`, 'SUCCESS');
    await until(() => received.length === 1);
    expect(verdict(received[0]!)).toEqual({ ok: true });
    expect(resourceOf(received[0]!.body)).toMatchObject({ amount: { refund: 7, payer_refund: 7, total: 12_800 } });
    expect((await t.call(`/v3/refund/domestic/refunds/RF${no}`)).json).toMatchObject({ amount: { refund: 100 } });
  });
});

describe('probe', () => {
  it('sends a WECHATPAY/SIGNTEST/ probe first; refused, the real notification follows on the next retry', async () => {
    answers = [401, 204];
    const no = await created();
    t.context.faults.set('wechatpay', no, { probe: true });
    await t.sandbox.pay(no);
    await until(() => received.length === 2);
    const [probe, real] = received;
    expect(String(probe?.headers['wechatpay-signature'])).toMatch(new RegExp(`^${SIGNTEST_PREFIX}[A-Za-z0-9+/]+=*$`));
    expect(probe?.headers['wechatpay-serial']).toBe(t.secrets.platformPublicKeyId);
    expect(verdict(probe!)).toEqual({ ok: false, reason: 'signtest-probe' });
    expect(verdict(real!)).toEqual({ ok: true });
    // One event: the same body, so the same id.
    expect(real?.body).toBe(probe?.body);
  });

  it('never sends the real notification to a merchant that accepts the probe', async () => {
    answers = [200];
    const no = await created();
    t.context.faults.set('wechatpay', no, { probe: true });
    await t.sandbox.pay(no);
    await until(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(1);
    expect(verdict(received[0]!)).toEqual({ ok: false, reason: 'signtest-probe' });
  });
});

describe('queryFailure', () => {
  it('5xx: answers that many order queries with a signed 500 SYSTEM_ERROR, then the truth', async () => {
    const no = await created();
    await t.sandbox.pay(no);
    t.context.faults.set('wechatpay', no, { queryFailure: '5xx', queryFailures: 2 });
    const tradeNo = t.context.orders.get('wechatpay', no)?.tradeNo ?? '';
    const first = await query(no);
    expect([first.status, first.json, verdict({ headers: Object.fromEntries(first.headers), body: first.text }).ok]).toEqual([
      500,
      { code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' },
      true,
    ]);
    // The query by transaction id counts against the same order's failures.
    expect((await t.call(`/v3/pay/transactions/id/${tradeNo}?mchid=${t.credentials.mchid}`)).status).toBe(500);
    expect(await query(no)).toMatchObject({ status: 200, json: { trade_state: 'SUCCESS' } });
  });

  it('5xx: fails refund queries of the order too', async () => {
    const no = await created();
    await t.sandbox.pay(no);
    await t.call('/v3/refund/domestic/refunds', {
      body: JSON.stringify({ out_trade_no: no, out_refund_no: `RF${no}`, amount: { refund: 100, total: 12_800, currency: 'CNY' } }),
    });
    t.context.faults.set('wechatpay', no, { queryFailure: '5xx', queryFailures: 1 });
    expect((await t.call(`/v3/refund/domestic/refunds/RF${no}`)).status).toBe(500);
    expect(await t.call(`/v3/refund/domestic/refunds/RF${no}`)).toMatchObject({ status: 200, json: { status: 'PROCESSING' } });
  });

  it('timeout: never answers; the request ends when the client gives up, and the next query is answered', async () => {
    const no = await created();
    t.context.faults.set('wechatpay', no, { queryFailure: 'timeout', queryFailures: 1 });
    const started = Date.now();
    await expect(query(no, AbortSignal.timeout(300))).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await query(no)).toMatchObject({ status: 200, json: { trade_state: 'NOTPAY' } });
  });

  it('a held request is let go after the hold with an unsigned 504, or at once when the client leaves', async () => {
    const held = await hang(new AbortController().signal, 50);
    expect([held.status, held.headers.get('Wechatpay-Signature'), await held.text()]).toEqual([504, null, '']);
    const client = new AbortController();
    const pending = hang(client.signal, 60_000);
    client.abort();
    expect((await pending).status).toBe(504);
  });
});

describe('successAfterExpiry', () => {
  it('keeps an expired order open: the query says NOTPAY, and the customer can still pay it', async () => {
    const no = await created({ time_expire: new Date(Date.now() + 120_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') });
    t.context.faults.set('wechatpay', no, { successAfterExpiry: true });
    t.context.clock.advance(180_000);
    try {
      expect(await query(no)).toMatchObject({ json: { trade_state: 'NOTPAY' } });
      // The scan page still offers to pay.
      const pr = t.context.orders.get('wechatpay', no)?.details.pr ?? '';
      const page = await fetch(`${t.url}/pay/wechatpay/bizpayurl?pr=${pr}`);
      expect(await page.text()).toContain('name="outcome"');
      await t.sandbox.pay(no);
      expect(await query(no)).toMatchObject({ json: { trade_state: 'SUCCESS' } });
    } finally {
      t.context.clock.advance(-180_000);
    }
  });

  it('closes it at expiry without the fault', async () => {
    const no = await created({ time_expire: new Date(Date.now() + 120_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') });
    t.context.clock.advance(180_000);
    try {
      await t.sandbox.pay(no);
      expect(await query(no)).toMatchObject({ json: { trade_state: 'CLOSED' } });
    } finally {
      t.context.clock.advance(-180_000);
    }
  });
});

describe('delivery faults (the notifier’s, through the shared fault book)', () => {
  it('duplicate: every copy is the same event, each signed afresh', async () => {
    const no = await created();
    t.context.faults.set('wechatpay', no, { duplicate: 3 });
    await t.sandbox.pay(no);
    await until(() => received.length === 3);
    expect(new Set(received.map((r) => JSON.parse(r.body).id as string)).size).toBe(1);
    expect(new Set(received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(3);
    expect(received.every((r) => verdict(r).ok)).toBe(true);
  });

  it('drop: nothing arrives, and the log says why', async () => {
    const no = await created();
    t.context.faults.set('wechatpay', no, { drop: true });
    await t.sandbox.pay(no);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(0);
    expect(t.context.notifier.log.filter((d) => d.orderKey === no).map((d) => d.error)).toEqual(['dropped by fault script']);
  });
});
