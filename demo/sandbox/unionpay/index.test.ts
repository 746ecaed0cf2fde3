import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certId, parseForm, sign, toForm, verifyMessage } from '../../../bff/channels/unionpay/crypto.ts';
import { loadCredentials } from '../../../bff/keys/index.ts';
import { ensureDemoCredentials, type SandboxSecrets } from '../../credentials.ts';
import { Notifier } from '../notifier.ts';
import { OrderBook } from '../order-book.ts';
import { SandboxClock, type SandboxContext } from '../types.ts';
import { unionpaySandbox } from './index.ts';
import { BillDiscrepancyBook } from '../bills.ts';
import { FaultBook } from '../faults.ts';

let secrets: SandboxSecrets['unionpay'];
let merchantKey: KeyObject;
let trust: { root: string; middle: string };

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'unionpay-sandbox-'));
  const made = ensureDemoCredentials(dir, 'http://127.0.0.1:9');
  secrets = made.sandbox.unionpay;
  merchantKey = loadCredentials(made.credentialsDir).unionpay!.signPrivateKey;
  trust = { root: secrets.rootCertificate, middle: secrets.middleCertificate };
}, 30_000);

/** 2026-03-31 22:59:59 in Beijing: one second before the 23:00 clearing cut-off. */
const BEFORE_CUTOFF = new Date('2026-03-31T14:59:59Z');

/** The merchant's notify endpoint when a test does not run one: every delivery is acknowledged, nothing leaves. */
const acknowledgeAll: typeof fetch = async () => new Response('ok', { status: 200 });

function setup(base: Date = new Date(), merchant: typeof fetch = acknowledgeAll) {
  const notifier = new Notifier({ timeScale: 0.001, fetch: merchant });
  const context: SandboxContext = {
    secrets: { unionpay: secrets } as SandboxSecrets,
    orders: new OrderBook(),
    faults: new FaultBook(),
    notifier,
    publicUrl: 'http://sandbox.test',
    clock: new SandboxClock(() => new Date(base.getTime())),
    bills: new BillDiscrepancyBook(),
  };
  return { context, sandbox: unionpaySandbox(context), notifier };
}

/** `YYYYMMDDhhmmss` in Beijing time, written independently of the code under test. */
function beijing(at: Date): string {
  const b = new Date(at.getTime() + 8 * 3600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${b.getUTCFullYear()}${two(b.getUTCMonth() + 1)}${two(b.getUTCDate())}${two(b.getUTCHours())}${two(b.getUTCMinutes())}${two(b.getUTCSeconds())}`;
}

let serial = 0;
function orderId(): string {
  serial += 1;
  return `TEST${Date.now()}${serial}`;
}

function consume(at: Date, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    certId: certId(secrets.merchantCertificate),
    merId: secrets.merId,
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    accessType: '0',
    currencyCode: '156',
    txnAmt: '12800',
    orderId: orderId(),
    txnTime: beijing(at),
    payTimeout: beijing(new Date(at.getTime() + 15 * 60_000)),
    backUrl: 'https://shop.example/notify/unionpay',
    reqReserved: 'cart-42',
    ...overrides,
  };
}

function signed(fields: Record<string, string | undefined>, key: KeyObject = merchantKey): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) clean[name] = value;
  return { ...clean, signature: sign(clean, key) };
}

type Sandbox = ReturnType<typeof setup>['sandbox'];

async function post(sandbox: Sandbox, path: string, fields: Record<string, string>) {
  return sandbox.app.request(path, {
    method: 'POST',
    body: toForm(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** Synchronous answers are raw `k=v&…` (values not URL-encoded); none of ours nests braces. */
function raw(body: string): Record<string, string> {
  return Object.fromEntries(
    body.split('&').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

async function api(sandbox: Sandbox, path: string, fields: Record<string, string>) {
  const response = await post(sandbox, path, fields);
  expect(response.status).toBe(200);
  const answer = raw(await response.text());
  expect(verifyMessage(answer, trust).ok, `answer ${answer.respCode} must verify`).toBe(true);
  expect(answer.signPubKeyCert).toBe(secrets.signerCertificate);
  return answer;
}

function queryFor(fields: Record<string, string | undefined>, overrides: Record<string, string> = {}): Record<string, string> {
  return signed({
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    certId: certId(secrets.merchantCertificate),
    merId: secrets.merId,
    txnType: '00',
    txnSubType: '00',
    bizType: '000000',
    accessType: '0',
    orderId: fields.orderId,
    txnTime: fields.txnTime,
    ...overrides,
  });
}

describe('appTransReq.do', () => {
  it('answers respCode 00 with a numeric tn, signed with signPubKeyCert, and the order exists at the channel', async () => {
    const { sandbox, context } = setup();
    const request = signed(consume(new Date()));
    const answer = await api(sandbox, '/gateway/api/appTransReq.do', request);
    expect(answer).toMatchObject({ respCode: '00', orderId: request.orderId, txnTime: request.txnTime, merId: secrets.merId, txnType: '01' });
    expect(answer.tn).toMatch(/^\d{21}$/);
    const order = context.orders.get('unionpay', request.orderId!);
    expect(order).toMatchObject({ status: 'pending', amount: 12_800, product: 'app', notifyUrl: 'https://shop.example/notify/unionpay' });
    expect(order?.details.tn).toBe(answer.tn);
  });

  it('refuses a signature by another key, a wrong certId and a field changed after signing with 11 — still signed', async () => {
    const { sandbox, context } = setup();
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const bySomeoneElse = signed(consume(new Date()), foreign);
    expect(await api(sandbox, '/gateway/api/appTransReq.do', bySomeoneElse)).toMatchObject({ respCode: '11', respMsg: '验证签名失败' });
    const wrongCertId = signed(consume(new Date(), { certId: '69903319369' }));
    expect(await api(sandbox, '/gateway/api/appTransReq.do', wrongCertId)).toMatchObject({ respCode: '11', respMsg: '验证签名失败[certId不正确]' });
    const tampered: Record<string, string> = { ...signed(consume(new Date())), txnAmt: '1' };
    expect(await api(sandbox, '/gateway/api/appTransReq.do', tampered)).toMatchObject({ respCode: '11', orderId: tampered.orderId });
    for (const request of [bySomeoneElse, wrongCertId, tampered]) expect(context.orders.get('unionpay', request.orderId!)).toBeUndefined();
  });

  it('refuses a txnTime more than ten minutes from its clock (txnTime无效), either way', async () => {
    const now = new Date('2026-05-01T04:00:00Z');
    const { sandbox } = setup(now);
    const at = (minutes: number) => signed(consume(new Date(now.getTime() + minutes * 60_000)));
    expect(await api(sandbox, '/gateway/api/appTransReq.do', at(-11))).toMatchObject({ respCode: '10', respMsg: 'txnTime无效' });
    expect(await api(sandbox, '/gateway/api/appTransReq.do', at(11))).toMatchObject({ respCode: '10', respMsg: 'txnTime无效' });
    expect((await api(sandbox, '/gateway/api/appTransReq.do', at(-9))).respCode).toBe('00');
    // A UTC wall-clock time (eight hours off) is the classic mistake.
    const utc = signed(consume(now, { txnTime: new Date(now).toISOString().slice(0, 19).replace(/[-T:]/g, '') }));
    expect((await api(sandbox, '/gateway/api/appTransReq.do', utc)).respCode).toBe('10');
  });

  it.each([
    ['txnAmt in yuan', { txnAmt: '128.00' }, '10', 'txnAmt无效'],
    ['txnAmt zero', { txnAmt: '0' }, '10', 'txnAmt无效'],
    ['txnAmt with a leading zero', { txnAmt: '012800' }, '10', 'txnAmt无效'],
    ['orderId too short', { orderId: 'A1234' }, '10', 'orderId格式错误[8-32位数字字母]'],
    ['orderId with "-"', { orderId: 'ORDER-20260501' }, '10', 'orderId格式错误[8-32位数字字母]'],
    ['orderId of 33 characters', { orderId: 'A'.repeat(33) }, '10', 'orderId格式错误[8-32位数字字母]'],
    ['currencyCode USD', { currencyCode: '840' }, '10', 'currencyCode无效'],
    ['bizType of another product', { bizType: '000202' }, '10', 'bizType无效'],
    ['accessType 1 (acquirer)', { accessType: '1' }, '10', 'accessType无效[沙箱仅支持商户直连接入0]'],
    ['channelType 05', { channelType: '05' }, '10', 'channelType无效'],
    ['txnType refund on the consume path', { txnType: '04' }, '10', 'txnType或txnSubType无效'],
    ['payTimeout malformed', { payTimeout: '2026-05-01 12:15' }, '10', 'payTimeout无效'],
    ['no backUrl', { backUrl: undefined }, '13', 'backUrl不能为空'],
    ['no txnAmt', { txnAmt: undefined }, '13', 'txnAmt不能为空'],
    ['version 5.0.0', { version: '5.0.0' }, '10', 'version无效[沙箱仅支持5.1.0]'],
    ['encoding GBK', { encoding: 'GBK' }, '10', 'encoding无效'],
    ['signMethod 11', { signMethod: '11' }, '10', 'signMethod无效'],
    ['an unknown merId', { merId: '777290058110048' }, '31', '商户状态不正确[商户号不存在]'],
  ] as const)('refuses %s', async (_, overrides, respCode, respMsg) => {
    const { sandbox } = setup();
    const answer = await api(sandbox, '/gateway/api/appTransReq.do', signed(consume(new Date(), overrides)));
    expect(answer).toMatchObject({ respCode, respMsg });
  });

  it('refuses a payTimeout already passed, a missing signature and a second order with the same orderId', async () => {
    const { sandbox } = setup();
    const now = new Date();
    const late = signed(consume(now, { payTimeout: beijing(new Date(now.getTime() - 1000)) }));
    expect(await api(sandbox, '/gateway/api/appTransReq.do', late)).toMatchObject({ respCode: '10', respMsg: 'payTimeout无效[已超时]' });
    const { signature: _, ...unsigned } = signed(consume(now));
    expect(await api(sandbox, '/gateway/api/appTransReq.do', unsigned)).toMatchObject({ respCode: '13', respMsg: 'signature不能为空' });
    const first = signed(consume(now));
    expect((await api(sandbox, '/gateway/api/appTransReq.do', first)).respCode).toBe('00');
    const again = signed({ ...consume(now), orderId: first.orderId });
    expect(await api(sandbox, '/gateway/api/appTransReq.do', again)).toMatchObject({ respCode: '12', respMsg: '重复交易' });
  });
});

describe('queryTrans.do', () => {
  it('34 for an unknown orderId, or a known orderId with another txnTime', async () => {
    const { sandbox } = setup();
    const request = signed(consume(new Date()));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    expect(await api(sandbox, '/gateway/api/queryTrans.do', queryFor({ orderId: 'NEVERSEEN123', txnTime: request.txnTime }))).toMatchObject({
      respCode: '34',
      respMsg: '查无此交易',
      orderId: 'NEVERSEEN123',
    });
    const otherTime = beijing(new Date(Date.now() - 3_600_000));
    expect((await api(sandbox, '/gateway/api/queryTrans.do', queryFor(request, { txnTime: otherTime }))).respCode).toBe('34');
  });

  it('respCode 00 with origRespCode 05 while unpaid, 00 with the trade details once paid', async () => {
    const { sandbox, context } = setup();
    const request = signed(consume(new Date()));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    const pending = await api(sandbox, '/gateway/api/queryTrans.do', queryFor(request));
    expect(pending).toMatchObject({ respCode: '00', origRespCode: '05', orderId: request.orderId, txnAmt: '12800', reqReserved: 'cart-42' });
    expect(pending.queryId).toBeUndefined();
    await sandbox.pay(request.orderId!);
    const paid = await api(sandbox, '/gateway/api/queryTrans.do', queryFor(request));
    const order = context.orders.get('unionpay', request.orderId!)!;
    expect(paid).toMatchObject({
      respCode: '00',
      origRespCode: '00',
      txnAmt: '12800',
      settleAmt: '12800',
      settleCurrencyCode: '156',
      currencyCode: '156',
      queryId: order.tradeNo,
      txnTime: request.txnTime,
      traceTime: request.txnTime!.slice(4),
    });
    expect(paid.queryId).toMatch(/^\d{21}$/);
    expect(paid.traceNo).toMatch(/^\d{6}$/);
  });

  it('a failed payment answers a failure origRespCode; an unpaid order past payTimeout turns failed (01)', async () => {
    const now = new Date('2026-05-01T04:00:00Z');
    const { sandbox, context } = setup(now);
    const failing = signed(consume(now));
    await api(sandbox, '/gateway/api/appTransReq.do', failing);
    await sandbox.fail(failing.orderId!);
    expect(await api(sandbox, '/gateway/api/queryTrans.do', queryFor(failing))).toMatchObject({ respCode: '00', origRespCode: '60' });

    const expiring = signed(consume(now, { payTimeout: beijing(new Date(now.getTime() + 61_000)) }));
    await api(sandbox, '/gateway/api/appTransReq.do', expiring);
    context.clock.advance(60_000);
    expect((await api(sandbox, '/gateway/api/queryTrans.do', queryFor(expiring))).origRespCode).toBe('05');
    context.clock.advance(2_000);
    expect(await api(sandbox, '/gateway/api/queryTrans.do', queryFor(expiring))).toMatchObject({ respCode: '00', origRespCode: '01' });
    expect(context.orders.get('unionpay', expiring.orderId!)?.status).toBe('closed');
    // Too late to pay now.
    await sandbox.pay(expiring.orderId!);
    expect(context.orders.get('unionpay', expiring.orderId!)?.status).toBe('closed');
  });

  it('checks the query like any request: signature, and the query codes 00/00/000000', async () => {
    const { sandbox } = setup();
    const request = signed(consume(new Date()));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    const forged = { ...queryFor(request), orderId: 'SOMEONEELSE1' };
    expect((await api(sandbox, '/gateway/api/queryTrans.do', forged)).respCode).toBe('11');
    expect((await api(sandbox, '/gateway/api/queryTrans.do', queryFor(request, { bizType: '000201' }))).respCode).toBe('10');
  });
});

describe('settleDate (clearing day, 23:00 Beijing cut-off)', () => {
  it.each([
    ['22:59:59 belongs to the same day', BEFORE_CUTOFF, '0331'],
    ['23:00:00 belongs to the next day', new Date(BEFORE_CUTOFF.getTime() + 1000), '0401'],
    ['00:30 the next day is still that next day', new Date(BEFORE_CUTOFF.getTime() + 5_400_000), '0401'],
  ])('%s', async (_, at, settleDate) => {
    const { sandbox } = setup(at);
    const request = signed(consume(at));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    await sandbox.pay(request.orderId!);
    expect((await api(sandbox, '/gateway/api/queryTrans.do', queryFor(request))).settleDate).toBe(settleDate);
  });
});

describe('back notifications', () => {
  let server: Server;
  let url: string;
  const received: Array<{ path: string; contentType: string; body: string }> = [];
  /** Per path: how many deliveries to refuse with HTTP 500 before answering 200 (-1: never acknowledge). */
  const refusals = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const path = request.url ?? '';
        received.push({ path, contentType: request.headers['content-type'] ?? '', body });
        const left = refusals.get(path) ?? 0;
        if (left !== 0) refusals.set(path, left - 1);
        // Any body with a 200 acknowledges (§3.3): answer something that is not "success" on purpose.
        response.writeHead(left === 0 ? 200 : 500).end(left === 0 ? 'whatever' : 'busy');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const deliveries = (path: string) => received.filter((delivery) => delivery.path === path);

  async function until(check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('posts a form-encoded, signed notification that verifyMessage accepts, retried until HTTP 200', async () => {
    const { sandbox, notifier } = setup(BEFORE_CUTOFF, fetch);
    const path = '/notify/retried';
    refusals.set(path, 2);
    const request = signed(consume(BEFORE_CUTOFF, { backUrl: `${url}${path}` }));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    await sandbox.pay(request.orderId!);
    await until(() => deliveries(path).length === 3);
    // The ladder's next step (2 min × 0.001) passes without a fourth delivery once acknowledged.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(deliveries(path)).toHaveLength(3);
    expect(notifier.log.filter((entry) => entry.orderKey === request.orderId).map((entry) => [entry.status, entry.acknowledged])).toEqual([
      [500, false],
      [500, false],
      [200, true],
    ]);
    const [first] = deliveries(path);
    expect(first?.contentType).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    // Form-encoded: the certificate's "+" and CRLF travel escaped.
    expect(first?.body).toContain('signPubKeyCert=-----BEGIN+CERTIFICATE-----%0D%0A');
    const fields = parseForm(first?.body ?? '');
    expect(verifyMessage(fields, trust).ok).toBe(true);
    expect(fields).toMatchObject({
      respCode: '00',
      orderId: request.orderId,
      txnTime: request.txnTime,
      txnAmt: '12800',
      settleDate: '0331',
      reqReserved: 'cart-42',
      merId: secrets.merId,
      txnType: '01',
      bizType: '000201',
    });
    expect(new Set(deliveries(path).map((delivery) => delivery.body)).size).toBe(1);
  });

  it('sends at most five times (1, 2, 4, 5 minutes apart) when never acknowledged', async () => {
    const { sandbox, notifier } = setup(new Date(), fetch);
    const path = '/notify/never';
    refusals.set(path, -1);
    const request = signed(consume(new Date(), { backUrl: `${url}${path}` }));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    await sandbox.pay(request.orderId!);
    await until(() => deliveries(path).length === 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deliveries(path)).toHaveLength(5);
    expect(notifier.log.filter((entry) => entry.orderKey === request.orderId).every((entry) => !entry.acknowledged)).toBe(true);
  });

  it('sends nothing for a failed consume (front-type transactions notify only on success)', async () => {
    const { sandbox, notifier } = setup(new Date(), fetch);
    const path = '/notify/failed';
    const request = signed(consume(new Date(), { backUrl: `${url}${path}` }));
    await api(sandbox, '/gateway/api/appTransReq.do', request);
    await sandbox.fail(request.orderId!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(deliveries(path)).toHaveLength(0);
    expect(notifier.log).toHaveLength(0);
  });
});

describe('frontTransReq.do and the gateway page', () => {
  const front = (at: Date, overrides: Record<string, string | undefined> = {}) =>
    signed(consume(at, { channelType: '07', frontUrl: 'https://shop.example/return?from=unionpay', ...overrides }));

  /** The hidden inputs of the page's form, as a browser would submit them (entities decoded, line breaks CRLF). */
  function formOf(page: string): { action: string; fields: Record<string, string> } {
    const decode = (text: string) =>
      text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? '');
    const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(page);
    const fields: Record<string, string> = {};
    for (const [, name, value] of (form?.[2] ?? '').matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields[decode(name ?? '')] = decode(value ?? '').replace(/\r\n?/g, '\n').replace(/\n/g, '\r\n');
    }
    return { action: decode(form?.[1] ?? ''), fields };
  }

  it('shows the pay page; paying sends the back notification and offers the signed front notification', async () => {
    const { sandbox, context, notifier } = setup();
    const request = front(new Date());
    const response = await post(sandbox, '/gateway/api/frontTransReq.do', request);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('¥128.00');
    expect(page).not.toContain('<script');
    expect(page).toContain(`action="/pay/unionpay/gateway/${request.orderId}"`);
    expect(context.orders.get('unionpay', request.orderId!)).toMatchObject({ status: 'pending', product: 'gateway' });

    const paid = await sandbox.app.request(`/pay/unionpay/gateway/${request.orderId}`, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'pay' }),
    });
    const { action, fields } = formOf(await paid.text());
    expect(action).toBe('https://shop.example/return?from=unionpay');
    expect(verifyMessage(fields, trust).ok).toBe(true);
    expect(fields).toMatchObject({ respCode: '00', orderId: request.orderId, txnAmt: '12800' });
    expect(fields.queryId).toBe(context.orders.get('unionpay', request.orderId!)?.tradeNo);
    expect(context.orders.get('unionpay', request.orderId!)?.status).toBe('paid');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notifier.log.map((entry) => [entry.orderKey, entry.url, entry.acknowledged])).toEqual([
      [request.orderId, 'https://shop.example/notify/unionpay', true],
    ]);
  });

  it('channelType 08 is the WAP gateway; the same form posted again shows the order as it stands', async () => {
    const { sandbox } = setup();
    const request = front(new Date(), { channelType: '08' });
    expect((await post(sandbox, '/gateway/api/frontTransReq.do', request)).status).toBe(200);
    const again = await post(sandbox, '/gateway/api/frontTransReq.do', request);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Mobile gateway (channelType 08)');
    await sandbox.pay(request.orderId!);
    const after = await post(sandbox, '/gateway/api/frontTransReq.do', request);
    expect(await after.text()).toContain('支付成功');
  });

  it('refuses a bad signature, a used orderId with other fields, and a missing frontUrl with an error page', async () => {
    const { sandbox } = setup();
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const bad = await post(sandbox, '/gateway/api/frontTransReq.do', signed(consume(new Date(), { frontUrl: 'https://shop.example/r' }), foreign));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<code>11</code>');
    const request = front(new Date());
    await post(sandbox, '/gateway/api/frontTransReq.do', request);
    const changed = await post(sandbox, '/gateway/api/frontTransReq.do', front(new Date(), { orderId: request.orderId, txnAmt: '1' }));
    expect(changed.status).toBe(400);
    expect(await changed.text()).toContain('<code>12</code>');
    const noFront = await post(sandbox, '/gateway/api/frontTransReq.do', signed(consume(new Date())));
    expect(noFront.status).toBe(400);
    expect(await noFront.text()).toContain('frontUrl不能为空');
  });

  it('failing on the page marks the order failed; abandoning changes nothing', async () => {
    const { sandbox, context } = setup();
    const failing = front(new Date());
    await post(sandbox, '/gateway/api/frontTransReq.do', failing);
    const failed = await sandbox.app.request(`/pay/unionpay/gateway/${failing.orderId}`, { method: 'POST', body: new URLSearchParams({ outcome: 'fail' }) });
    expect(await failed.text()).toContain('支付失败');
    expect(context.orders.get('unionpay', failing.orderId!)?.status).toBe('failed');
    const leaving = front(new Date());
    await post(sandbox, '/gateway/api/frontTransReq.do', leaving);
    await sandbox.app.request(`/pay/unionpay/gateway/${leaving.orderId}`, { method: 'POST', body: new URLSearchParams({ outcome: 'abandon' }) });
    await sandbox.abandon(leaving.orderId!);
    expect(context.orders.get('unionpay', leaving.orderId!)?.status).toBe('pending');
  });
});

describe('the app SDK stand-in, POST /pay/unionpay/app', () => {
  it('pays by tn, reports cancel and fail, and refuses an unknown tn', async () => {
    const { sandbox, context } = setup();
    const tnOf = async () => {
      const request = signed(consume(new Date()));
      return { orderId: request.orderId!, tn: (await api(sandbox, '/gateway/api/appTransReq.do', request)).tn };
    };
    const client = (body: unknown) =>
      sandbox.app.request('/pay/unionpay/app', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

    const paying = await tnOf();
    expect(await (await client({ tn: paying.tn, cancel: true })).json()).toEqual({ resultCode: 'cancel' });
    expect(context.orders.get('unionpay', paying.orderId)?.status).toBe('pending');
    expect(await (await client({ tn: paying.tn })).json()).toEqual({ resultCode: 'success' });
    expect(context.orders.get('unionpay', paying.orderId)?.status).toBe('paid');
    expect(await (await client({ tn: paying.tn })).json()).toEqual({ resultCode: 'fail' });

    const failing = await tnOf();
    expect(await (await client({ tn: failing.tn, fail: true })).json()).toEqual({ resultCode: 'fail' });
    expect(context.orders.get('unionpay', failing.orderId)?.status).toBe('failed');

    const unknown = await client({ tn: '000000000000000000000' });
    expect(unknown.status).toBe(404);
  });
});
