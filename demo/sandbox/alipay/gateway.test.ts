// The Alipay sandbox's gateway.do over real HTTP: common parameters and the RSA2 signature checked as Alipay does,
// business rules and codes, trade states on the sandbox clock. Requests are signed by hand (testing.ts), not by
// the adapter, so these tests stand on the published rules alone.

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { verifyNotify, verifyResponse } from '../../../bff/channels/alipay/crypto.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';
import { startTestSandbox, type TestSandbox } from '../testing.ts';
import type { AlipaySandbox } from './index.ts';
import { call, send, signedCall } from './testing.ts';

let sandbox: TestSandbox;
let credentials: AlipayCredentials;
let alipay: AlipaySandbox;
let counter = 0;
const orderNo = () => `T${Date.now()}_${(counter += 1)}`;
const now = () => sandbox.sandbox.context.clock.now();

beforeAll(async () => {
  sandbox = await startTestSandbox();
  credentials = sandbox.credentials.alipay!;
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

const precreate = (overrides: Record<string, unknown> = {}) => ({ out_trade_no: orderNo(), total_amount: '128.00', subject: 'Celadon tea set', ...overrides });

describe('common parameters and the signature', () => {
  it('answers a well-signed call with 10000, signed over the exact text (with "/" escaped as Alipay writes it)', async () => {
    const biz = precreate();
    const answer = await call(credentials, 'alipay.trade.precreate', biz);
    expect(answer.status).toBe(200);
    expect(answer.response).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: biz.out_trade_no });
    expect(answer.raw.startsWith('{"alipay_trade_precreate_response":{"code":"10000"')).toBe(true);
    expect(answer.raw).toContain('"qr_code":"http:\\/\\/127.0.0.1:');
    expect(verifyResponse(answer.raw, 'alipay_trade_precreate_response', credentials.alipayPublicKey)).toBe(true);
    expect(verifyResponse(answer.raw.replace(biz.out_trade_no, `${biz.out_trade_no}9`), 'alipay_trade_precreate_response', credentials.alipayPublicKey)).toBe(false);
  });

  it.each(['split', 'body', 'get'] as const)('reads the parameters wherever they travel (%s)', async (transport) => {
    const answer = await call(credentials, 'alipay.trade.precreate', precreate(), { transport });
    expect(answer.response.code).toBe('10000');
  });

  it('refuses a request signed with another key: 40002 isv.invalid-signature, signed, echoing the verified string', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const answer = await call(credentials, 'alipay.trade.precreate', precreate(), { key: privateKey });
    expect(answer.response).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    expect(answer.response.sub_msg).toContain(`app_id=${credentials.appId}&amp;biz_content=`);
    expect(typeof answer.sign).toBe('string');
    expect(verifyResponse(answer.raw, 'alipay_trade_precreate_response', credentials.alipayPublicKey)).toBe(true);
  });

  it.each([
    ['a changed biz_content', { biz_content: JSON.stringify(precreate({ total_amount: '0.01' })) }],
    ['a parameter added after signing', { alipay_sdk: 'alipay-sdk-nodejs-4.0.0' }],
    ['notify_url swapped', { notify_url: 'https://evil.example/notify' }],
    ['a sign replaced by another base64 value', { sign: 'AAAA' }],
  ])('refuses %s', async (_name, after) => {
    const answer = await call(credentials, 'alipay.trade.precreate', precreate(), { common: { notify_url: 'https://shop.example/notify' }, after });
    expect(answer.response.sub_code).toBe('isv.invalid-signature');
  });

  it('verifies over every received parameter, so a signed extra such as alipay_sdk is accepted', async () => {
    const answer = await call(credentials, 'alipay.trade.precreate', precreate(), { common: { alipay_sdk: 'alipay-sdk-nodejs-4.0.0' } });
    expect(answer.response.code).toBe('10000');
  });

  it('refuses a parameter given twice with two values (query and body)', async () => {
    const params = signedCall(credentials, 'alipay.trade.precreate', precreate());
    const url = new URL(credentials.gateway);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url, { method: 'POST', body: new URLSearchParams({ method: 'alipay.trade.query' }) });
    const raw = await response.text();
    expect(raw).toContain('"sub_code":"isv.suspected-attack"');
  });

  it('answers an unknown app_id unsigned (it has no key pair to sign with)', async () => {
    const answer = await call(credentials, 'alipay.trade.query', { out_trade_no: 'x' }, { common: { app_id: '2021000000000000' } });
    expect(answer.response).toMatchObject({ code: '40002', sub_code: 'isv.invalid-app-id' });
    expect(answer.sign).toBeUndefined();
  });

  it.each([
    ['method missing', { method: undefined }, '40001', 'isv.missing-method'],
    ['an unknown method', { method: 'alipay.trade.refund.everything' }, '40002', 'isv.invalid-method'],
    ['sign_type RSA', { sign_type: 'RSA' }, '40002', 'isv.invalid-signature-type'],
    ['format XML', { format: 'XML' }, '40002', 'isv.invalid-format'],
    ['charset gbk', { charset: 'gbk' }, '40002', 'isv.invalid-charset'],
    ['version 2.0', { version: '2.0' }, '40002', 'isv.invalid-version'],
    ['a timestamp in ISO form', { timestamp: '2026-11-27T10:00:00+08:00' }, '40002', 'isv.invalid-timestamp'],
    ['a timestamp of no real day', { timestamp: '2026-02-30 10:00:00' }, '40002', 'isv.invalid-timestamp'],
  ])('refuses %s: %s %s', async (_name, common, code, subCode) => {
    const answer = await call(credentials, 'alipay.trade.query', { out_trade_no: 'x' }, { common });
    expect(answer.response).toMatchObject({ code, sub_code: subCode });
  });

  it('judges the timestamp as Beijing time on the sandbox clock: UTC wall time (8 h off) is refused, 29 minutes is not', async () => {
    const utcWallTime = formatBeijingTime(new Date(now().getTime() - 8 * 3_600_000));
    const refused = await call(credentials, 'alipay.trade.query', { out_trade_no: 'x' }, { common: { timestamp: utcWallTime } });
    expect(refused.response.sub_code).toBe('isv.invalid-timestamp');
    const late = await call(credentials, 'alipay.trade.query', { out_trade_no: 'x' }, { now: new Date(now().getTime() - 29 * 60_000) });
    expect(late.response.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
  });
});

describe('business rules (40004 ACQ.*, as Alipay answers them)', () => {
  it.each([
    ['total_amount with three decimals', { total_amount: '12.345' }, 'ACQ.INVALID_PARAMETER'],
    ['total_amount with a sign', { total_amount: '-1.00' }, 'ACQ.INVALID_PARAMETER'],
    ['total_amount 0.00', { total_amount: '0.00' }, 'ACQ.TOTAL_FEE_EXCEED'],
    ['total_amount above 100000000', { total_amount: '100000000.01' }, 'ACQ.TOTAL_FEE_EXCEED'],
    ['out_trade_no with "-"', { out_trade_no: 'ORDER-1' }, 'ACQ.INVALID_PARAMETER'],
    ['out_trade_no of 65 characters', { out_trade_no: 'A'.repeat(65) }, 'ACQ.INVALID_PARAMETER'],
    ['subject with "/"', { subject: 'tea/cups' }, 'ACQ.INVALID_PARAMETER'],
    ['subject with "="', { subject: 'a=b' }, 'ACQ.INVALID_PARAMETER'],
    ['subject with "&"', { subject: 'tea & cups' }, 'ACQ.INVALID_PARAMETER'],
    ['no subject', { subject: '' }, 'ACQ.INVALID_PARAMETER'],
    ['hb_fq_num 4', { extend_params: { hb_fq_num: '4', hb_fq_seller_percent: '0' } }, 'ACQ.INVALID_PARAMETER'],
    ['hb_fq_seller_percent 50', { extend_params: { hb_fq_num: '3', hb_fq_seller_percent: '50' } }, 'ACQ.INVALID_PARAMETER'],
    ['hb_fq_num without hb_fq_seller_percent', { extend_params: { hb_fq_num: '3' } }, 'ACQ.INVALID_PARAMETER'],
    ['Huabei installments with credit disabled', { extend_params: { hb_fq_num: '3', hb_fq_seller_percent: '0' }, disable_pay_channels: 'credit_group' }, 'ACQ.INVALID_PARAMETER'],
    ['an unknown pay channel to disable', { disable_pay_channels: 'creditcard' }, 'ACQ.INVALID_PARAMETER'],
    ['a page-pay product code', { product_code: 'FAST_INSTANT_TRADE_PAY' }, 'ACQ.ACCESS_FORBIDDEN'],
    ['time_expire in another format', { time_expire: '2030-01-01T00:00:00Z' }, 'ACQ.INVALID_PARAMETER'],
    ['time_expire more than 15 days away', { time_expire: '2099-01-01 00:00:00' }, 'ACQ.INVALID_PARAMETER'],
    ['time_expire already past', { time_expire: '2020-01-01 00:00:00' }, 'ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR'],
  ])('refuses %s with %s', async (_name, overrides, subCode) => {
    const answer = await call(credentials, 'alipay.trade.precreate', precreate(overrides));
    expect(answer.response).toMatchObject({ code: '40004', msg: 'Business Failed', sub_code: subCode });
    expect(verifyResponse(answer.raw, 'alipay_trade_precreate_response', credentials.alipayPublicKey)).toBe(true);
  });

  it('accepts the edges: 0.01, 100000000 and a 64-character out_trade_no', async () => {
    for (const overrides of [{ total_amount: '0.01' }, { total_amount: '100000000' }, { out_trade_no: `${'A'.repeat(54)}${String(Date.now()).slice(-10)}` }]) {
      expect((await call(credentials, 'alipay.trade.precreate', precreate(overrides))).response.code).toBe('10000');
    }
  });

  it('answers the same out_trade_no with the same terms again, and refuses changed terms (ACQ.CONTEXT_INCONSISTENT)', async () => {
    const biz = precreate({ extend_params: { hb_fq_num: '3', hb_fq_seller_percent: '0' } });
    const first = await call(credentials, 'alipay.trade.precreate', biz);
    const again = await call(credentials, 'alipay.trade.precreate', biz);
    expect(again.response.qr_code).toBe(first.response.qr_code);
    for (const changed of [
      { total_amount: '128.01' },
      { subject: 'Another tea set' },
      { extend_params: { hb_fq_num: '6', hb_fq_seller_percent: '0' } },
      { extend_params: { hb_fq_num: '3', hb_fq_seller_percent: '100' } },
      { extend_params: undefined },
    ]) {
      const answer = await call(credentials, 'alipay.trade.precreate', { ...biz, ...changed });
      expect(answer.response, JSON.stringify(changed)).toMatchObject({ code: '40004', sub_code: 'ACQ.CONTEXT_INCONSISTENT' });
    }
  });

  it('asks for trade_no or out_trade_no on query and close', async () => {
    const answer = await call(credentials, 'alipay.trade.query', {});
    expect(answer.response).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
  });
});

describe('trades', () => {
  it('creates a precreate trade only when its code is scanned: TRADE_NOT_EXIST, then WAIT_BUYER_PAY', async () => {
    const biz = precreate();
    const created = await call(credentials, 'alipay.trade.precreate', biz);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
    const scan = await fetch(String(created.response.qr_code));
    expect(scan.status).toBe(200);
    const page = await scan.text();
    expect(page).toContain('¥128.00');
    expect(page).toContain('Celadon tea set');
    const query = await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no });
    expect(query.response).toMatchObject({ code: '10000', out_trade_no: biz.out_trade_no, trade_status: 'WAIT_BUYER_PAY', total_amount: '128.00', buyer_pay_amount: '0.00' });
    expect(query.response.send_pay_date).toBeUndefined();
    expect(String(query.response.trade_no)).toMatch(/^\d{8}22001\d{15}$/);
  });

  it('reports a payment with the real query fields, by out_trade_no and by trade_no', async () => {
    const biz = precreate();
    await call(credentials, 'alipay.trade.precreate', biz);
    await alipay.pay(biz.out_trade_no);
    const order = alipay.trades.get(biz.out_trade_no)!;
    const expected = {
      code: '10000',
      trade_no: order.tradeNo,
      out_trade_no: biz.out_trade_no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '128.00',
      buyer_pay_amount: '128.00',
      receipt_amount: '128.00',
      buyer_logon_id: 'buy***@sandbox.example',
      buyer_user_id: '2088000000000042',
      send_pay_date: formatBeijingTime(new Date(order.paidAt!)),
    };
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response).toMatchObject(expected);
    expect((await call(credentials, 'alipay.trade.query', { trade_no: order.tradeNo })).response).toMatchObject(expected);
    expect((await call(credentials, 'alipay.trade.precreate', biz)).response.sub_code).toBe('ACQ.TRADE_HAS_SUCCESS');
  });

  it('closes an unpaid trade, refuses to close a paid or closed one, and knows no unknown one', async () => {
    const open = precreate();
    await call(credentials, 'alipay.trade.create', open);
    const closed = await call(credentials, 'alipay.trade.close', { out_trade_no: open.out_trade_no });
    expect(closed.response).toMatchObject({ code: '10000', out_trade_no: open.out_trade_no });
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: open.out_trade_no })).response.trade_status).toBe('TRADE_CLOSED');
    expect((await call(credentials, 'alipay.trade.close', { out_trade_no: open.out_trade_no })).response.sub_code).toBe('ACQ.TRADE_STATUS_ERROR');
    expect((await call(credentials, 'alipay.trade.create', open)).response.sub_code).toBe('ACQ.TRADE_HAS_CLOSE');

    const paid = precreate();
    await call(credentials, 'alipay.trade.create', paid);
    await alipay.pay(paid.out_trade_no);
    expect((await call(credentials, 'alipay.trade.close', { out_trade_no: paid.out_trade_no })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_STATUS_ERROR' });

    expect((await call(credentials, 'alipay.trade.close', { out_trade_no: orderNo() })).response).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });

  it('keeps a trade waiting after a failed attempt, so the buyer can still pay', async () => {
    const biz = precreate();
    await call(credentials, 'alipay.trade.create', biz);
    await alipay.fail(biz.out_trade_no);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('WAIT_BUYER_PAY');
    await alipay.abandon(biz.out_trade_no);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('WAIT_BUYER_PAY');
    await alipay.pay(biz.out_trade_no);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('TRADE_SUCCESS');
  });

  it('closes an unpaid trade once time_expire passes on the sandbox clock, and then it cannot be paid', async () => {
    const biz = precreate({ time_expire: formatBeijingTime(new Date(now().getTime() + 120_000)) });
    await call(credentials, 'alipay.trade.create', biz);
    sandbox.sandbox.context.clock.advance(60_000);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('WAIT_BUYER_PAY');
    sandbox.sandbox.context.clock.advance(61_000);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('TRADE_CLOSED');
    await expect(alipay.pay(biz.out_trade_no)).rejects.toThrow(/closed/);
  });

  it('defaults a face-to-face trade to 3 hours and reads timeout_express when there is no time_expire', async () => {
    const before = now().getTime();
    const plain = precreate();
    await call(credentials, 'alipay.trade.create', plain);
    const relative = precreate({ timeout_express: '90m' });
    await call(credentials, 'alipay.trade.create', relative);
    const after = now().getTime();
    const expiry = (biz: { out_trade_no: string }) => Date.parse(alipay.trades.get(biz.out_trade_no)!.expiresAt!);
    expect(expiry(plain)).toBeGreaterThanOrEqual(before + 3 * 3_600_000);
    expect(expiry(plain)).toBeLessThanOrEqual(after + 3 * 3_600_000);
    expect(expiry(relative)).toBeGreaterThanOrEqual(before + 90 * 60_000);
    expect(expiry(relative)).toBeLessThanOrEqual(after + 90 * 60_000);
    expect((await call(credentials, 'alipay.trade.create', precreate({ timeout_express: '1.5h' }))).response.sub_code).toBe('ACQ.INVALID_PARAMETER');
  });
});

describe('page and WAP pay in the browser', () => {
  const pagePay = (biz: Record<string, unknown>, common: Record<string, string> = {}) =>
    signedCall(credentials, 'alipay.trade.page.pay', { product_code: 'FAST_INSTANT_TRADE_PAY', ...biz }, { common: { return_url: 'https://shop.example/return?session=42', ...common } });
  const open = async (params: Record<string, string>) => {
    const url = new URL(credentials.gateway);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url);
    return { status: response.status, html: await response.text() };
  };

  it('shows the cashier with the amount, subject and Huabei plan, and creates the trade only then', async () => {
    const biz = precreate({ extend_params: { hb_fq_num: '6', hb_fq_seller_percent: '100' } });
    const params = pagePay(biz);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    const page = await open(params);
    expect(page.status).toBe(200);
    expect(page.html).toContain('¥128.00');
    expect(page.html).toContain('Celadon tea set');
    expect(page.html).toContain('花呗分期 <strong>6 期</strong>，分期手续费由商家承担');
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: biz.out_trade_no })).response.trade_status).toBe('WAIT_BUYER_PAY');
  });

  it('refuses a changed Huabei plan for the same out_trade_no once the cashier was opened', async () => {
    const biz = precreate({ extend_params: { hb_fq_num: '3', hb_fq_seller_percent: '0' } });
    await open(pagePay(biz));
    const changed = await open(pagePay({ ...biz, extend_params: { hb_fq_num: '12', hb_fq_seller_percent: '0' } }));
    expect(changed.html).toContain('ACQ.CONTEXT_INCONSISTENT');
    expect(changed.html).not.toContain('¥128.00');
  });

  it('shows an error page for a bad signature and for a request opened after its time_expire, creating nothing', async () => {
    const tampered = { ...pagePay(precreate()), total_amount: '0.01' };
    expect((await open(tampered)).html).toContain('invalid-signature');
    const late = precreate({ time_expire: formatBeijingTime(new Date(now().getTime() + 120_000)) });
    const params = pagePay(late);
    sandbox.sandbox.context.clock.advance(180_000);
    expect((await open(params)).html).toContain('ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR');
    expect(alipay.trades.get(late.out_trade_no)).toBeUndefined();
  });

  it('sends the payer back to return_url with signed return parameters after paying', async () => {
    const biz = precreate();
    const page = await open(pagePay(biz, { method: 'alipay.trade.wap.pay', biz_content: JSON.stringify({ ...biz, product_code: 'QUICK_WAP_WAY' }) }));
    expect(page.html).toContain('手机网站收银台');
    const order = alipay.trades.get(biz.out_trade_no)!;
    const paid = await fetch(`${sandbox.url}/pay/alipay/cashier/${order.tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }), redirect: 'manual' });
    expect(paid.status).toBe(303);
    const location = new URL(paid.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://shop.example/return');
    const params = Object.fromEntries(location.searchParams);
    expect(params).toMatchObject({
      session: '42',
      method: 'alipay.trade.wap.pay.return',
      out_trade_no: biz.out_trade_no,
      trade_no: order.tradeNo,
      total_amount: '128.00',
      app_id: credentials.appId,
      sign_type: 'RSA2',
      charset: 'utf-8',
      version: '1.0',
    });
    const { session: _merchantOwn, ...returned } = params;
    expect(verifyNotify(returned, credentials.alipayPublicKey)).toBe(true);
    expect(verifyNotify({ ...returned, total_amount: '0.01' }, credentials.alipayPublicKey)).toBe(false);
  });

  it('lets the cashier fail an attempt and then pay', async () => {
    const biz = precreate();
    await open(pagePay(biz));
    const order = alipay.trades.get(biz.out_trade_no)!;
    const failed = await fetch(`${sandbox.url}/pay/alipay/cashier/${order.tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'fail' }) });
    expect(await failed.text()).toContain('ACQ.PAYMENT_FAIL');
    expect(alipay.trades.get(biz.out_trade_no)!.status).toBe('pending');
    const abandoned = await fetch(`${sandbox.url}/pay/alipay/cashier/${order.tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'abandon' }) });
    expect(await abandoned.text()).toContain('WAIT_BUYER_PAY');
    await fetch(`${sandbox.url}/pay/alipay/cashier/${order.tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }), redirect: 'manual' });
    expect(alipay.trades.get(biz.out_trade_no)!.status).toBe('paid');
  });
});

describe('scripted faults', () => {
  it('answers 20000 without acting, or acts and answers 20000, or 502', async () => {
    alipay.faults.next('alipay.trade.create', 'unknow-error');
    const skipped = precreate();
    expect((await call(credentials, 'alipay.trade.create', skipped)).response).toMatchObject({ code: '20000', sub_code: 'isp.unknow-error' });
    expect(alipay.trades.get(skipped.out_trade_no)).toBeUndefined();

    alipay.faults.next('alipay.trade.create', 'applied-then-unknown');
    const applied = precreate();
    expect((await call(credentials, 'alipay.trade.create', applied)).response.code).toBe('20000');
    expect(alipay.trades.get(applied.out_trade_no)?.status).toBe('pending');

    alipay.faults.next('alipay.trade.query', 'http-502');
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: applied.out_trade_no })).status).toBe(502);
    expect((await call(credentials, 'alipay.trade.query', { out_trade_no: applied.out_trade_no })).response.code).toBe('10000');
  });

  it('signs with a key that is not Alipay\u2019s when asked to', async () => {
    alipay.faults.next('alipay.trade.query', 'forged-signature');
    const answer = await call(credentials, 'alipay.trade.query', { out_trade_no: orderNo() });
    expect(answer.response.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    expect(verifyResponse(answer.raw, 'alipay_trade_query_response', credentials.alipayPublicKey)).toBe(false);
  });
});

describe('requests that are not Alipay requests', () => {
  it('answers one without app_id with 40001 isv.missing-app-id, and an unknown QR code with 404', async () => {
    const answer = await send(credentials, { method: 'alipay.trade.query' });
    expect(answer.response).toMatchObject({ code: '40001', sub_code: 'isv.missing-app-id' });
    expect((await fetch(`${sandbox.url}/pay/alipay/qr/bax000`)).status).toBe(404);
  });
});
