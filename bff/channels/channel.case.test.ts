// The contract every channel adapter passes, against its channel's sandbox over real HTTP: pay for every product
// the rulebook lists, query the three layers apart, close, and never call `failed` what is only unknown.
// Adding a channel means adding it to CASES and passing this file.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newChannelOrderNumber, productsOf } from '../../shared/channels/index.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import type { SandboxChannelId } from '../../demo/sandbox/types.ts';
import { createAdapters, type HttpOptions } from './index.ts';
import type { Ack, AttemptRef, ChannelAdapter, PayRequest } from './types.ts';

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };

interface Case {
  /** What the channel needs beyond the neutral request: JSAPI and mini-program pay need the payer's openid. */
  readonly payer: NonNullable<PayRequest['payer']>;
  /** A product whose pay makes a server call to the channel (not one that only signs a URL or form). */
  readonly serverProduct: string;
  /**
   * What closing an unpaid order before its expiry gives. UnionPay has no close for unpaid orders: the channel
   * "confirms" only when payTimeout passes, so until then the close is unknown.
   */
  readonly closeBeforeExpiry: 'closed' | 'unknown';
  /**
   * Products the channel learns of only when the customer's own app submits what pay returned (Alipay's APP order
   * string: no server call, the App SDK sends it): until then the channel truthfully says it has no such order.
   */
  readonly unknownUntilAppSubmits?: readonly string[];
}

const CASES: Record<SandboxChannelId, Case> = {
  wechatpay: { payer: { ip: '203.0.113.7', openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', os: 'ios' }, serverProduct: 'native', closeBeforeExpiry: 'closed' },
  alipay: { payer: { ip: '203.0.113.7' }, serverProduct: 'precreate', closeBeforeExpiry: 'closed', unknownUntilAppSubmits: ['app'] },
  unionpay: { payer: { ip: '203.0.113.7' }, serverProduct: 'app', closeBeforeExpiry: 'unknown' },
};

let sandbox: TestSandbox;
let blackHole: Server;
let blackHoleUrl: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // A server that accepts connections and never answers: the adapter must give up and say "unknown".
  blackHole = createServer(() => undefined);
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  blackHole?.closeAllConnections();
  await new Promise<void>((resolve) => blackHole?.close(() => resolve()));
});

describe.each(Object.keys(CASES) as SandboxChannelId[])('%s adapter against its sandbox', (channel) => {
  let adapter: ChannelAdapter;
  const request = (product: string, overrides: Partial<PayRequest> = {}): PayRequest => ({
    product,
    channelOrderNo: newChannelOrderNumber([channel]),
    amount: 12_800,
    currency: 'CNY',
    description: 'Celadon tea set',
    attach: 'cart-42',
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: 'http://127.0.0.1:9/notify',
    returnUrl: 'https://shop.example/return',
    payer: CASES[channel].payer,
    creditCardsAllowed: true,
    ...overrides,
  });
  const ref = (payRequest: PayRequest, channelTradeNo?: string): AttemptRef => ({
    channelOrderNo: payRequest.channelOrderNo,
    channelTradeNo,
    createdAt: new Date(),
    product: payRequest.product,
  });

  beforeAll(() => {
    const built = createAdapters(sandbox.credentials, HTTP)[channel];
    if (!built) throw new Error(`no ${channel} adapter`);
    adapter = built;
  });

  it.each(productsOf(channel).map((product) => [product.id, product.action] as const))(
    'pays with %s and returns a %s action the customer can follow',
    async (product, action) => {
      const payRequest = request(product);
      const outcome = await adapter.pay(payRequest);
      expect(outcome.kind, JSON.stringify(outcome)).toBe('action');
      if (outcome.kind !== 'action') return;
      expect(outcome.action.kind).toBe(action);
      const followable =
        outcome.action.kind === 'qr' ? outcome.action.codeUrl : outcome.action.kind === 'redirect' ? outcome.action.url : outcome.action.kind === 'form' ? outcome.action.action : undefined;
      if (followable?.startsWith('http')) {
        const init: RequestInit =
          outcome.action.kind === 'form'
            ? { method: outcome.action.method, body: new URLSearchParams(outcome.action.fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
            : {};
        const page = await fetch(followable, init);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('128.00');
      }
      const query = await adapter.query(ref(payRequest, outcome.channelTradeNo));
      const state = CASES[channel].unknownUntilAppSubmits?.includes(product) ? 'not-found' : 'pending';
      expect(query).toMatchObject({ layer: 'trade', ok: true, trade: { state } });
    },
  );

  it('reports a payment made at the channel, with the amount and the channel\u2019s trade number', async () => {
    const payRequest = request(CASES[channel].serverProduct);
    const outcome = await adapter.pay(payRequest);
    expect(outcome.kind).toBe('action');
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    const query = await adapter.query(ref(payRequest));
    expect(query.layer).toBe('trade');
    if (query.layer !== 'trade') return;
    expect(query.trade.state).toBe('succeeded');
    expect(query.trade.amount).toBe(12_800);
    expect(query.trade.channelTradeNo).toBeTruthy();
    expect(query.trade.paidAt).toBeInstanceOf(Date);
    expect(await adapter.close(ref(payRequest))).toEqual({ kind: 'paid' });
  });

  it('closes an unpaid order only when the channel confirms it, and then reports it closed', async () => {
    const payRequest = request(CASES[channel].serverProduct);
    expect((await adapter.pay(payRequest)).kind).toBe('action');
    const early = await adapter.close(ref(payRequest));
    expect(early.kind).toBe(CASES[channel].closeBeforeExpiry);
    if (early.kind === 'closed') {
      expect(await adapter.query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'closed' } });
      return;
    }
    const shortLived = request(CASES[channel].serverProduct, { expiresAt: new Date(Date.now() + 61_000) });
    expect((await adapter.pay(shortLived)).kind).toBe('action');
    sandbox.sandbox.context.clock.advance(62_000);
    expect(await adapter.close(ref(shortLived))).toEqual({ kind: 'closed' });
    const query = await adapter.query(ref(shortLived));
    expect(query.layer).toBe('trade');
    if (query.layer === 'trade') expect(['closed', 'failed']).toContain(query.trade.state);
  });

  it('reports a failed payment as failed or closed, never as paid', async () => {
    const payRequest = request(CASES[channel].serverProduct);
    expect((await adapter.pay(payRequest)).kind).toBe('action');
    await sandbox.sandbox.channels[channel].fail(payRequest.channelOrderNo);
    const query = await adapter.query(ref(payRequest));
    expect(query.layer).toBe('trade');
    if (query.layer === 'trade') expect(['failed', 'closed', 'pending']).toContain(query.trade.state);
  });

  it('says "not found" for an order the channel never saw', async () => {
    const query = await adapter.query(ref(request(productsOf(channel)[0]!.id)));
    expect(query).toMatchObject({ layer: 'trade', trade: { state: 'not-found' } });
  });

  it('leaves a payment unknown, never failed, when the channel does not answer', async () => {
    const silent = createAdapters(withGateway(sandbox, channel, blackHoleUrl), { ...HTTP, timeoutMs: 300, readRetries: 0 })[channel]!;
    const payRequest = request(productsOf(channel)[0]!.id);
    // A redirect-only product may need no server call at all (Alipay page pay): use one that calls the channel.
    const outcome = await silent.pay({ ...payRequest, product: CASES[channel].serverProduct });
    expect(outcome.kind).toBe('unknown');
    expect((await silent.query(ref(payRequest))).layer).toBe('communication');
    expect((await silent.close(ref(payRequest))).kind).toBe('unknown');
  });

  it('does not trust an answer signed with a key it does not know', async () => {
    const forged = createAdapters(withForeignChannelKey(sandbox, channel), HTTP)[channel]!;
    const payRequest = request(CASES[channel].serverProduct);
    const outcome = await forged.pay(payRequest);
    expect(outcome.kind).toBe('unknown');
    expect((await forged.query(ref(payRequest))).layer).not.toBe('trade');
  });

  it('is refused by the channel when it signs with the wrong key', async () => {
    const wrong = createAdapters(withForeignMerchantKey(sandbox, channel), HTTP)[channel]!;
    const outcome = await wrong.pay(request(CASES[channel].serverProduct));
    expect(outcome.kind).toBe('failed');
  });
});

function withGateway(test: TestSandbox, channel: SandboxChannelId, url: string) {
  const credentials = test.credentials[channel]!;
  const gateway = channel === 'alipay' ? `${url}/gateway.do` : url;
  return { [channel]: { ...credentials, gateway } };
}

function withForeignChannelKey(test: TestSandbox, channel: SandboxChannelId) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (channel === 'wechatpay') {
    const wechat = test.credentials.wechatpay!;
    const ids = [...wechat.platformPublicKeys.keys()];
    return { wechatpay: { ...wechat, platformPublicKeys: new Map(ids.map((id) => [id, publicKey])) } };
  }
  if (channel === 'alipay') return { alipay: { ...test.credentials.alipay!, alipayPublicKey: publicKey } };
  // UnionPay answers carry their certificate: trusting another root makes the sandbox's chain untrusted.
  return {
    unionpay: {
      ...test.credentials.unionpay!,
      rootCertificate: test.secrets.unionpay.signerCertificate,
      middleCertificate: test.secrets.unionpay.signerCertificate,
    },
  };
}

function withForeignMerchantKey(test: TestSandbox, channel: SandboxChannelId) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (channel === 'wechatpay') return { wechatpay: { ...test.credentials.wechatpay!, merchantPrivateKey: privateKey } };
  if (channel === 'alipay') return { alipay: { ...test.credentials.alipay!, appPrivateKey: privateKey } };
  return { unionpay: { ...test.credentials.unionpay!, signPrivateKey: privateKey } };
}

// --- notifications and refunds ---------------------------------------------------------------------------

/** Whether the channel takes an answer as "received", by its own rule (RULEBOOK notification.acknowledgement). */
const CHANNEL_ACCEPTS: Record<SandboxChannelId, (ack: Ack) => boolean> = {
  wechatpay: (ack) => ack.status === 200 || ack.status === 204,
  alipay: (ack) => ack.status === 200 && ack.body === 'success',
  unionpay: (ack) => ack.status === 200,
};

/** A merchant endpoint that records what the channel POSTs and acknowledges it in a form every channel here takes. */
async function captureServer() {
  const received: { headers: Record<string, string>; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      received.push({ headers, body });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  return {
    url,
    received,
    async next(count = 1) {
      await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(count), { timeout: 10_000, interval: 20 });
      return received.slice(0, count);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(Object.keys(CASES) as SandboxChannelId[])('%s notifications and refunds', (channel) => {
  let adapter: ChannelAdapter;
  let shop: Awaited<ReturnType<typeof captureServer>>;
  const now = () => new Date();

  beforeAll(async () => {
    adapter = createAdapters(sandbox.credentials, HTTP)[channel]!;
    shop = await captureServer();
  });
  afterAll(async () => shop?.close());

  async function paidOrder(amount = 12_800) {
    const payRequest: PayRequest = {
      product: CASES[channel].serverProduct,
      channelOrderNo: newChannelOrderNumber([channel]),
      amount,
      currency: 'CNY',
      description: 'Celadon tea set',
      expiresAt: new Date(Date.now() + 15 * 60_000),
      notifyUrl: shop.url,
      returnUrl: 'https://shop.example/return',
      payer: CASES[channel].payer,
      creditCardsAllowed: true,
    };
    const outcome = await adapter.pay(payRequest);
    expect(outcome.kind).toBe('action');
    return payRequest;
  }

  async function notificationsFor(channelOrderNo: string, count = 1) {
    await vi.waitFor(() => expect(shop.received.filter((n) => n.body.includes(channelOrderNo) || isFor(n, channelOrderNo)).length).toBeGreaterThanOrEqual(count), {
      timeout: 10_000,
      interval: 20,
    });
    return shop.received.filter((n) => n.body.includes(channelOrderNo) || isFor(n, channelOrderNo));
  }

  /** WeChat's body is encrypted, so the order number is not in the clear: decrypting it is the adapter's job. */
  function isFor(notification: { headers: Record<string, string>; body: string }, channelOrderNo: string): boolean {
    const parsed = adapter.parseNotification({ headers: notification.headers, body: notification.body, now: now() });
    return parsed.ok && parsed.subject.kind !== 'ignored' && parsed.subject.channelOrderNo === channelOrderNo;
  }

  it('reads an authentic payment notification, with the channel\u2019s acknowledgement', async () => {
    const payRequest = await paidOrder();
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    const [notification] = await notificationsFor(payRequest.channelOrderNo);
    const parsed = adapter.parseNotification({ headers: notification!.headers, body: notification!.body, now: now() });
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.eventId.length).toBeGreaterThan(0);
    expect(parsed.subject).toMatchObject({ kind: 'payment', channelOrderNo: payRequest.channelOrderNo, trade: { state: 'succeeded', amount: 12_800 } });
    expect(CHANNEL_ACCEPTS[channel](parsed.ack)).toBe(true);
  });

  it('gives every copy of a notification the same event id', async () => {
    const payRequest = await paidOrder();
    sandbox.sandbox.context.faults.set(channel, payRequest.channelOrderNo, { duplicate: 3 });
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    const copies = await notificationsFor(payRequest.channelOrderNo, 3);
    const ids = copies.map((n) => adapter.parseNotification({ headers: n.headers, body: n.body, now: now() })).map((p) => (p.ok ? p.eventId : 'rejected'));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).not.toBe('rejected');
  });

  it('refuses a forged notification, and a tampered one, answering so the channel retries', async () => {
    const payRequest = await paidOrder();
    sandbox.sandbox.context.faults.set(channel, payRequest.channelOrderNo, { forgeSignature: true });
    const before = shop.received.length;
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    await vi.waitFor(() => expect(sandbox.sandbox.context.notifier.log.some((d) => d.orderKey === payRequest.channelOrderNo && d.forged)).toBe(true), {
      timeout: 10_000,
      interval: 20,
    });
    // Acknowledged notifications are not retried, so what arrived since the payment is the forged one.
    const forged = shop.received[before]!;
    const parsed = adapter.parseNotification({ headers: forged.headers, body: forged.body, now: now() });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(CHANNEL_ACCEPTS[channel](parsed.ack)).toBe(false);
    // An authentic one with one byte changed.
    const honest = await paidOrder();
    await sandbox.sandbox.channels[channel].pay(honest.channelOrderNo);
    const [real] = await notificationsFor(honest.channelOrderNo);
    const body = real!.body.replace(/12800|128\.00/, (match) => (match === '12800' ? '12801' : '128.01'));
    const tampered = body === real!.body ? `${real!.body.slice(0, -2)}${real!.body.at(-1) === 'A' ? 'B' : 'A'}${real!.body.at(-1)}` : body;
    expect(adapter.parseNotification({ headers: real!.headers, body: tampered, now: now() }).ok).toBe(false);
  });

  it('reports what an authentic notification says even when the amount is wrong (the BFF cross-checks it)', async () => {
    const payRequest = await paidOrder();
    sandbox.sandbox.context.faults.set(channel, payRequest.channelOrderNo, { changeAmount: 1 });
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    const [notification] = await notificationsFor(payRequest.channelOrderNo);
    const parsed = adapter.parseNotification({ headers: notification!.headers, body: notification!.body, now: now() });
    expect(parsed).toMatchObject({ ok: true, subject: { kind: 'payment', trade: { amount: 1 } } });
  });

  it('keeps a query that the channel fails out of the trade layer, and answers the next one', async () => {
    const payRequest = await paidOrder();
    sandbox.sandbox.context.faults.set(channel, payRequest.channelOrderNo, { queryFailure: '5xx', queryFailures: 3 });
    const failing = await createAdapters(sandbox.credentials, { ...HTTP, readRetries: 0 })[channel]!.query(ref2(payRequest));
    expect(failing.layer).not.toBe('trade');
    sandbox.sandbox.context.faults.set(channel, payRequest.channelOrderNo, {});
    expect((await adapter.query(ref2(payRequest))).layer).toBe('trade');
  });

  it('refunds part of a payment once per refund number, and reports it', async () => {
    const payRequest = await paidOrder();
    await sandbox.sandbox.channels[channel].pay(payRequest.channelOrderNo);
    const paid = await adapter.query(ref2(payRequest));
    const channelTradeNo = paid.layer === 'trade' ? paid.trade.channelTradeNo : undefined;
    const refundNo = newChannelOrderNumber([channel]);
    const request = {
      channelOrderNo: payRequest.channelOrderNo,
      channelTradeNo,
      paymentCreatedAt: new Date(),
      refundNo,
      amount: 5000,
      total: 12_800,
      currency: 'CNY' as const,
      reason: 'one cup broken',
      notifyUrl: shop.url,
    };
    const first = await adapter.refund(request);
    expect(first.kind, JSON.stringify(first)).toBe('accepted');
    const again = await adapter.refund(request);
    expect(again.kind).not.toBe('failed');
    const refundRef = { channelOrderNo: payRequest.channelOrderNo, channelTradeNo, refundNo, paymentCreatedAt: request.paymentCreatedAt, requestedAt: new Date() };
    await vi.waitFor(async () => {
      const result = await adapter.queryRefund(refundRef);
      expect(result).toMatchObject({ layer: 'trade', refund: { state: 'succeeded', amount: 5000 } });
    }, { timeout: 10_000, interval: 100 });
    // Every channel here notifies refund results (RULEBOOK refund.notifies): WeChat REFUND.*, Alipay on the payment's
    // notify_url, UnionPay on the refund's backUrl.
    await vi.waitFor(() => {
      const notices = shop.received
        .map((n) => adapter.parseNotification({ headers: n.headers, body: n.body, now: now() }))
        .filter((p) => p.ok && p.subject.kind === 'refund' && p.subject.refundNo === refundNo);
      expect(notices.length).toBeGreaterThan(0);
      expect(notices[0]).toMatchObject({ subject: { channelOrderNo: payRequest.channelOrderNo, refund: { state: 'succeeded' } } });
      // A refund's own amount, or (Alipay) the payment's refunded total, which after this first refund is the same.
      const refund = notices[0]?.ok && notices[0].subject.kind === 'refund' ? notices[0].subject.refund : undefined;
      expect(refund?.amount ?? refund?.refundedTotal).toBe(5000);
    }, { timeout: 10_000, interval: 50 });
    // The same refund number twice moved the money once: a further 7,801 is more than what is left.
    const tooMuch = await adapter.refund({ ...request, refundNo: newChannelOrderNumber([channel]), amount: 7801 });
    expect(tooMuch.kind).toBe('failed');
    const unknownRefund = await adapter.queryRefund({ ...refundRef, refundNo: newChannelOrderNumber([channel]) });
    expect(unknownRefund).toMatchObject({ layer: 'trade', refund: { state: 'not-found' } });
  });

  function ref2(payRequest: PayRequest): AttemptRef {
    return { channelOrderNo: payRequest.channelOrderNo, createdAt: new Date(), product: payRequest.product, expiresAt: payRequest.expiresAt };
  }
});
