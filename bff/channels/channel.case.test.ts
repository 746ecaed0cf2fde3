// The contract every channel adapter passes, against its channel's sandbox over real HTTP: pay for every product
// the rulebook lists, query the three layers apart, close, and never call `failed` what is only unknown.
// Adding a channel means adding it to CASES and passing this file.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newChannelOrderNumber, productsOf } from '../../shared/channels/index.ts';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import type { SandboxChannelId } from '../../demo/sandbox/types.ts';
import { createAdapters, type HttpOptions } from './index.ts';
import type { AttemptRef, ChannelAdapter, PayRequest } from './types.ts';

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
