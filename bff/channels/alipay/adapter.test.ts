// The Alipay adapter against the Alipay sandbox over real HTTP: the fields it writes (yuan, Beijing time, Huabei,
// credit refusal, buyer), the URL and order-string forms, and how every kind of answer lands in the three result
// layers. Faults are scripted at the sandbox; only the network (fetch) is ever replaced.

import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import type { AlipaySandbox } from '../../../demo/sandbox/alipay/index.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { AttemptRef, ChannelAdapter, PayOutcome, PayRequest } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { formatBeijingTime, parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { verifyParams } from './crypto.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let adapter: ChannelAdapter;
let counter = 0;
const orderNo = () => `A${Date.now()}${String((counter += 1)).padStart(4, '0')}`;
const clock = () => sandbox.sandbox.context.clock;
const appPublicKey = () => createPublicKey(sandbox.secrets.alipay.appPublicKey);

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };
const adapterWith = (http: Partial<HttpOptions> = {}, overrides: Partial<AlipayCredentials> = {}) =>
  alipayAdapter({ ...credentials, ...overrides }, { ...HTTP, now: () => clock().now(), ...http });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  adapter = adapterWith();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

const request = (product: string, overrides: Partial<PayRequest> = {}): PayRequest => ({
  product,
  channelOrderNo: orderNo(),
  amount: 12_800,
  currency: 'CNY',
  description: 'Celadon tea set',
  attach: 'cart-42',
  expiresAt: new Date(clock().now().getTime() + 15 * 60_000),
  notifyUrl: 'https://shop.example/notify/alipay',
  returnUrl: 'https://shop.example/return',
  payer: { ip: '203.0.113.7' },
  creditCardsAllowed: true,
  ...overrides,
});
const ref = (payRequest: PayRequest, extra: Partial<AttemptRef> = {}): AttemptRef => ({
  channelOrderNo: payRequest.channelOrderNo,
  createdAt: clock().now(),
  product: payRequest.product,
  expiresAt: payRequest.expiresAt,
  ...extra,
});

function actionOf(outcome: PayOutcome) {
  if (outcome.kind !== 'action') throw new Error(`expected an action, got ${JSON.stringify(outcome)}`);
  return outcome;
}
function urlOf(outcome: PayOutcome): URL {
  const { action } = actionOf(outcome);
  if (action.kind !== 'redirect') throw new Error(`expected a redirect, got ${action.kind}`);
  return new URL(action.url);
}
const paramsOf = (url: URL) => Object.fromEntries(url.searchParams);
const bizOf = (params: Record<string, string>) => JSON.parse(params.biz_content ?? '{}') as Record<string, unknown>;

describe('Beijing time', () => {
  it.each([
    ['2026-06-30T16:30:05.789Z', '2026-07-01 00:30:05'],
    ['2026-12-31T16:00:00.000Z', '2027-01-01 00:00:00'],
    ['2024-02-28T16:00:00.000Z', '2024-02-29 00:00:00'],
    ['2026-11-27T08:00:00.000Z', '2026-11-27 16:00:00'],
  ])('%s is written %s, and read back', (iso, text) => {
    expect(formatBeijingTime(new Date(iso))).toBe(text);
    expect(parseBeijingTime(text)?.toISOString()).toBe(new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString());
  });

  it.each(['2026-02-29 00:00:00', '2026-13-01 00:00:00', '2026-01-01 24:00:00', '2026-1-01 00:00:00', '2026-01-01T00:00:00', 20260101])('refuses %s', (text) => {
    expect(parseBeijingTime(text)).toBeUndefined();
  });
});

describe('page and WAP pay: a signed GET URL, no server call', () => {
  const fixed = adapterWithFixedClock();
  function adapterWithFixedClock() {
    let built: ChannelAdapter | undefined;
    return () => (built ??= alipayAdapter(credentials, { ...HTTP, now: () => new Date('2026-06-30T16:30:05.789Z') }));
  }

  it.each([
    ['page', 'alipay.trade.page.pay', 'FAST_INSTANT_TRADE_PAY'],
    ['wap', 'alipay.trade.wap.pay', 'QUICK_WAP_WAY'],
  ])('%s: the common parameters, biz_content and an RSA2 signature over all of them', async (product, method, productCode) => {
    const payRequest = request(product, { expiresAt: new Date('2026-12-31T16:00:00.000Z') });
    const url = urlOf(await fixed().pay(payRequest));
    expect(`${url.origin}${url.pathname}`).toBe(credentials.gateway);
    const params = paramsOf(url);
    expect(Object.keys(params).sort()).toEqual(['app_id', 'biz_content', 'charset', 'format', 'method', 'notify_url', 'return_url', 'sign', 'sign_type', 'timestamp', 'version']);
    expect(params).toMatchObject({
      app_id: credentials.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: '2026-07-01 00:30:05',
      version: '1.0',
      notify_url: 'https://shop.example/notify/alipay',
      return_url: 'https://shop.example/return',
    });
    expect(bizOf(params)).toEqual({
      out_trade_no: payRequest.channelOrderNo,
      total_amount: '128.00',
      subject: 'Celadon tea set',
      product_code: productCode,
      time_expire: '2027-01-01 00:00:00',
      passback_params: 'cart-42',
    });
    expect(verifyParams(params, appPublicKey())).toBe(true);
    // Percent-encoded like the SDKs' pageExec (a space is %20, never "+").
    expect(url.search).toContain('timestamp=2026-07-01%2000%3A30%3A05');
  });

  it.each([
    [1, '0.01'],
    [5, '0.05'],
    [10, '0.10'],
    [100, '1.00'],
    [12_345, '123.45'],
    [10_000_000_000, '100000000.00'],
  ])('writes %i fen as total_amount %s', async (amount, yuan) => {
    expect(bizOf(paramsOf(urlOf(await fixed().pay(request('page', { amount }))))).total_amount).toBe(yuan);
  });

  it('URL-encodes passback_params and leaves out what is not given', async () => {
    const params = paramsOf(urlOf(await fixed().pay(request('page', { attach: 'a=1&b=2 c', returnUrl: undefined }))));
    expect(params.return_url).toBeUndefined();
    expect(bizOf(params).passback_params).toBe('a%3D1%26b%3D2%20c');
    const bare = bizOf(paramsOf(urlOf(await fixed().pay(request('page', { attach: undefined })))));
    expect(bare).not.toHaveProperty('passback_params');
    expect(bare).not.toHaveProperty('extend_params');
    expect(bare).not.toHaveProperty('disable_pay_channels');
  });

  it('opens the sandbox cashier, where the trade comes to exist', async () => {
    const payRequest = request('page');
    const url = urlOf(await adapter.pay(payRequest));
    expect(await adapter.query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'not-found', channelState: 'TRADE_NOT_EXIST' } });
    const page = await fetch(url);
    expect(await page.text()).toContain('¥128.00');
    expect(await adapter.query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'pending', channelState: 'WAIT_BUYER_PAY', amount: 12_800 } });
  });
});

describe('Huabei installments and credit refusal', () => {
  it.each([
    [3, 'buyer', '0'],
    [6, 'merchant', '100'],
    [12, 'buyer', '0'],
  ] as const)('%i periods, %s pays the fee: extend_params hb_fq_num and hb_fq_seller_percent %s', async (periods, feeBearer, percent) => {
    const payRequest = request('page', { installment: { provider: 'huabei', periods, feeBearer } });
    const url = urlOf(await adapter.pay(payRequest));
    expect(bizOf(paramsOf(url)).extend_params).toEqual({ hb_fq_num: String(periods), hb_fq_seller_percent: percent });
    expect(await (await fetch(url)).text()).toContain(`花呗分期 <strong>${periods} 期</strong>，分期手续费由${feeBearer === 'merchant' ? '商家' : '买家'}承担`);
  });

  it('cannot change the plan on the same channel order number: Alipay refuses it (ACQ.CONTEXT_INCONSISTENT)', async () => {
    const first = request('precreate', { installment: { provider: 'huabei', periods: 3, feeBearer: 'buyer' } });
    expect((await adapter.pay(first)).kind).toBe('action');
    const changed = await adapter.pay({ ...first, installment: { provider: 'huabei', periods: 6, feeBearer: 'buyer' } });
    expect(changed).toMatchObject({ kind: 'failed', code: 'ACQ.CONTEXT_INCONSISTENT' });
    const page = await adapter.pay({ ...first, product: 'page', installment: { provider: 'huabei', periods: 12, feeBearer: 'buyer' } });
    expect(await (await fetch(urlOf(page))).text()).toContain('ACQ.CONTEXT_INCONSISTENT');
  });

  it('refuses to sign what Alipay does not offer', async () => {
    await expect(adapter.pay(request('page', { installment: { provider: 'baitiao', periods: 3, feeBearer: 'buyer' } }))).rejects.toMatchObject({ code: 'invalid_installment' });
    await expect(adapter.pay(request('page', { installment: { provider: 'huabei', periods: 4, feeBearer: 'buyer' } }))).rejects.toMatchObject({ code: 'invalid_installment' });
    await expect(adapter.pay(request('page', { installment: { provider: 'huabei', periods: 3, feeBearer: 'buyer' }, creditCardsAllowed: false }))).rejects.toMatchObject({ code: 'credit_refused' });
    await expect(adapter.pay(request('page', { currency: 'USD' }))).rejects.toMatchObject({ code: 'unsupported_currency' });
    await expect(adapter.pay(request('barcode'))).rejects.toMatchObject({ code: 'unsupported_product' });
  });

  it('refuses credit with disable_pay_channels, which Alipay accepts', async () => {
    const payRequest = request('precreate', { creditCardsAllowed: false });
    expect((await adapter.pay(payRequest)).kind).toBe('action');
    expect(alipay.trades.get(payRequest.channelOrderNo)?.details.disable_pay_channels).toBe(
      'credit_group,creditCard,creditCardExpress,creditCardCartoon,pcredit,pcreditpayInstallment',
    );
  });
});

describe('APP pay: the signed order string', () => {
  it('is k=urlencoded(v)&… of the common parameters and biz_content, accepted by the App SDK stand-in', async () => {
    const payRequest = request('app');
    const { action } = actionOf(await adapter.pay(payRequest));
    expect(action).toMatchObject({ kind: 'app', channel: 'alipay' });
    const orderString = action.kind === 'app' && typeof action.parameters === 'string' ? action.parameters : '';
    expect(orderString).not.toContain('+');
    expect(orderString.split('&').every((pair) => /^[a-z_]+=[^&=]*$/.test(pair))).toBe(true);
    const params = Object.fromEntries(new URLSearchParams(orderString));
    expect(params).toMatchObject({ app_id: credentials.appId, method: 'alipay.trade.app.pay', charset: 'utf-8', sign_type: 'RSA2', version: '1.0', notify_url: payRequest.notifyUrl });
    expect(params.return_url).toBeUndefined();
    expect(bizOf(params)).toMatchObject({ out_trade_no: payRequest.channelOrderNo, total_amount: '128.00', product_code: 'QUICK_MSECURITY_PAY' });
    expect(verifyParams(params, appPublicKey())).toBe(true);

    const paid = await fetch(`${sandbox.url}/pay/alipay/app`, { method: 'POST', body: JSON.stringify({ orderString }) });
    expect(await paid.json()).toMatchObject({ resultStatus: '9000' });
    const query = await adapter.query(ref(payRequest));
    expect(query).toMatchObject({ layer: 'trade', trade: { state: 'succeeded', channelState: 'TRADE_SUCCESS', amount: 12_800, currency: 'CNY' } });
  });
});

describe('precreate and in-client pay: server calls', () => {
  it('precreate: a QR action whose code opens the scan page, valid for at most 2 hours', async () => {
    const long = request('precreate', { expiresAt: new Date(clock().now().getTime() + 3 * 3_600_000) });
    const before = clock().now().getTime();
    const { action } = actionOf(await adapter.pay(long));
    if (action.kind !== 'qr') throw new Error(action.kind);
    expect(action.codeUrl.startsWith(`${sandbox.url}/pay/alipay/qr/bax`)).toBe(true);
    const expiresAt = Date.parse(action.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(clock().now().getTime() + 2 * 3_600_000);

    const short = request('precreate');
    const shortAction = actionOf(await adapter.pay(short)).action;
    expect(shortAction).toMatchObject({ kind: 'qr', expiresAt: short.expiresAt.toISOString() });
    expect(alipay.trades.get(short.channelOrderNo)).toMatchObject({ amount: 12_800, description: 'Celadon tea set', expiresAt: new Date(Math.floor(short.expiresAt.getTime() / 1000) * 1000).toISOString() });
  });

  it('inapp: alipay.trade.create with JSAPI_PAY, answered with the tradeNO AlipayJSBridge tradePay takes', async () => {
    const payRequest = request('inapp');
    const outcome = actionOf(await adapter.pay(payRequest));
    const tradeNo = alipay.trades.get(payRequest.channelOrderNo)?.tradeNo;
    expect(outcome).toEqual({ kind: 'action', action: { kind: 'jsapi', bridge: 'AlipayJSBridge', parameters: { tradeNO: tradeNo } }, channelTradeNo: tradeNo });
    expect(alipay.trades.get(payRequest.channelOrderNo)?.details.product_code).toBe('JSAPI_PAY');
    const paid = await fetch(`${sandbox.url}/pay/alipay/tradepay`, { method: 'POST', body: JSON.stringify({ tradeNO: tradeNo }) });
    expect(await paid.json()).toEqual({ resultCode: '9000' });
    expect(await adapter.query(ref(payRequest, { channelTradeNo: tradeNo }))).toMatchObject({ layer: 'trade', trade: { state: 'succeeded', channelTradeNo: tradeNo } });
  });

  it('inapp: names the buyer as buyer_id (2088…) or buyer_open_id, from payer.openid', async () => {
    const byId = request('inapp', { payer: { openid: '2088102177846881' } });
    await adapter.pay(byId);
    expect(alipay.trades.get(byId.channelOrderNo)?.details).toMatchObject({ buyer_id: '2088102177846881' });
    const byOpenId = request('inapp', { payer: { openid: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo' } });
    await adapter.pay(byOpenId);
    expect(alipay.trades.get(byOpenId.channelOrderNo)?.details).toMatchObject({ buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo' });
    expect(alipay.trades.get(byOpenId.channelOrderNo)?.details.buyer_id).toBeUndefined();
  });
});

describe('pay: result layers', () => {
  it.each(['unknow-error', 'system-error', 'applied-then-unknown', 'http-502', 'forged-signature'] as const)('a %s answer leaves the payment unknown', async (fault) => {
    alipay.faults.next('alipay.trade.precreate', fault);
    expect((await adapter.pay(request('precreate'))).kind).toBe('unknown');
  });

  it('a business refusal fails, with Alipay\u2019s sub_code and sub_msg', async () => {
    expect(await adapter.pay(request('precreate', { description: 'tea=cups' }))).toEqual({ kind: 'failed', code: 'ACQ.INVALID_PARAMETER', message: '参数无效: subject must not contain / = &' });
    expect(await adapter.pay(request('precreate', { amount: 10_000_000_001 }))).toEqual({ kind: 'failed', code: 'ACQ.TOTAL_FEE_EXCEED', message: '订单总金额超过限额' });
  });

  it('"already paid" is not a failure: the money came in, so it stays unknown for the query to settle', async () => {
    const payRequest = request('precreate');
    await adapter.pay(payRequest);
    await alipay.pay(payRequest.channelOrderNo);
    expect(await adapter.pay(payRequest)).toMatchObject({ kind: 'unknown' });
    expect(await adapter.query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'succeeded' } });
  });

  it('a write is never retried: one attempt, then unknown', async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const payRequest = request('precreate');
    expect((await adapterWith({ fetch: flaky, readRetries: 3 }).pay(payRequest)).kind).toBe('unknown');
    expect(calls).toBe(1);
    expect(alipay.trades.get(payRequest.channelOrderNo)).toBeUndefined();
  });
});

describe('query: result layers', () => {
  it('reports a payment on the trade layer: state, amount, trade number, and send_pay_date read as Beijing time', async () => {
    const payRequest = request('precreate', { amount: 1 });
    await adapter.pay(payRequest);
    await alipay.pay(payRequest.channelOrderNo);
    const order = alipay.trades.get(payRequest.channelOrderNo)!;
    expect(await adapter.query(ref(payRequest))).toEqual({
      layer: 'trade',
      ok: true,
      trade: {
        state: 'succeeded',
        channelState: 'TRADE_SUCCESS',
        channelTradeNo: order.tradeNo,
        amount: 1,
        currency: 'CNY',
        paidAt: new Date(Math.floor(Date.parse(order.paidAt!) / 1000) * 1000),
      },
    });
  });

  it('reports a closed trade as closed and an unknown one as not-found', async () => {
    const payRequest = request('inapp');
    await adapter.pay(payRequest);
    expect(await adapter.close(ref(payRequest))).toEqual({ kind: 'closed' });
    expect(await adapter.query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'closed', channelState: 'TRADE_CLOSED' } });
    expect(await adapter.query(ref(request('inapp')))).toMatchObject({ layer: 'trade', trade: { state: 'not-found' } });
  });

  it.each([
    ['unknow-error', { layer: 'business', ok: false, code: 'isp.unknow-error', unknown: true }],
    ['system-error', { layer: 'business', ok: false, code: 'ACQ.SYSTEM_ERROR', unknown: true }],
    ['http-502', { layer: 'communication', ok: false, reason: 'HTTP 502' }],
    ['forged-signature', { layer: 'communication', ok: false }],
  ] as const)('a %s answer stays off the trade layer', async (fault, expected) => {
    const payRequest = request('inapp');
    await adapter.pay(payRequest);
    alipay.faults.next('alipay.trade.query', fault);
    expect(await adapter.query(ref(payRequest))).toMatchObject(expected);
  });

  it('a business refusal is the business layer, not unknown', async () => {
    expect(await adapter.query(ref(request('inapp'), { channelOrderNo: 'bad-number' }))).toMatchObject({ layer: 'business', code: 'ACQ.INVALID_PARAMETER', unknown: false });
  });

  it('retries a read after a network error, within readRetries', async () => {
    const payRequest = request('inapp');
    await adapter.pay(payRequest);
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    expect(await adapterWith({ fetch: flaky, readRetries: 1 }).query(ref(payRequest))).toMatchObject({ layer: 'trade', trade: { state: 'pending' } });
    expect(calls).toBe(2);
    calls = 0;
    expect(await adapterWith({ fetch: flaky, readRetries: 0 }).query(ref(payRequest))).toMatchObject({ layer: 'communication' });
    expect(calls).toBe(1);
  });
});

describe('close', () => {
  it('closes an unpaid trade, and says paid for a paid one (confirmed by a query)', async () => {
    const open = request('inapp');
    await adapter.pay(open);
    expect(await adapter.close(ref(open))).toEqual({ kind: 'closed' });
    // Closing again is refused (ACQ.TRADE_STATUS_ERROR); the query shows it is closed.
    expect(await adapter.close(ref(open))).toEqual({ kind: 'closed' });

    const paid = request('inapp');
    await adapter.pay(paid);
    await alipay.pay(paid.channelOrderNo);
    expect(await adapter.close(ref(paid))).toEqual({ kind: 'paid' });
  });

  it('a page order nobody opened is not closed before its time_expire: the customer could still open it', async () => {
    const payRequest = request('page', { expiresAt: new Date(clock().now().getTime() + 5 * 60_000) });
    const url = urlOf(await adapter.pay(payRequest));
    expect(await adapter.close(ref(payRequest))).toMatchObject({ kind: 'unknown' });
    // Without the expiry at hand, the 15-day limit of time_expire bounds it.
    expect(await adapter.close(ref(payRequest, { expiresAt: undefined }))).toMatchObject({ kind: 'unknown' });
    expect(await adapter.close(ref(payRequest, { expiresAt: undefined, createdAt: new Date(clock().now().getTime() - 16 * 86_400_000) }))).toEqual({ kind: 'closed' });

    // Which is why: opening it now creates the trade at Alipay, and only then can it be closed there.
    expect(await (await fetch(url)).text()).toContain('¥128.00');
    expect(await adapter.close(ref(payRequest))).toEqual({ kind: 'closed' });
  });

  it('a page order nobody opened counts as closed once time_expire (and clock slack) has passed', async () => {
    const payRequest = request('wap', { expiresAt: new Date(clock().now().getTime() + 60_000) });
    const url = urlOf(await adapter.pay(payRequest));
    clock().advance(60_000 + 60_000);
    expect(await adapter.close(ref(payRequest))).toMatchObject({ kind: 'unknown' });
    clock().advance(61_000);
    expect(await adapter.close(ref(payRequest))).toEqual({ kind: 'closed' });
    expect(await (await fetch(url)).text()).toContain('ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR');
  });

  it('a server-created order Alipay never got is closed: nothing can create it later', async () => {
    alipay.faults.next('alipay.trade.create', 'unknow-error');
    const lost = request('inapp');
    expect((await adapter.pay(lost)).kind).toBe('unknown');
    expect(await adapter.close(ref(lost))).toEqual({ kind: 'closed' });
  });

  it.each(['http-502', 'unknow-error', 'system-error', 'forged-signature'] as const)('a %s answer leaves the close unknown', async (fault) => {
    const payRequest = request('inapp');
    await adapter.pay(payRequest);
    alipay.faults.next('alipay.trade.close', fault);
    expect(await adapter.close(ref(payRequest))).toMatchObject({ kind: 'unknown' });
    expect(alipay.trades.get(payRequest.channelOrderNo)?.status).toBe(fault === 'forged-signature' ? 'closed' : 'pending');
  });
});
