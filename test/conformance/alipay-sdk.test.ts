// The official alipay-sdk (4.x, a black box) pointed at the Alipay sandbox over HTTP: what the SDK sends, the
// sandbox accepts; what the sandbox answers and notifies, the SDK verifies byte for byte (channel-protocols.md
// §5.1). If the sandbox drifted from the real protocol, the real SDK would notice here.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../demo/sandbox/testing.ts';
import type { AlipaySandbox } from '../../demo/sandbox/alipay/index.ts';

// The SDK stamps `timestamp` in the machine's local time; Alipay reads it as Beijing time. A merchant's server in
// China runs in Asia/Shanghai; the last test shows what happens to one left in UTC.
const originalTz = process.env.TZ;
process.env.TZ = 'Asia/Shanghai';

let sandbox: TestSandbox;
let alipay: AlipaySandbox;
let sdk: AlipaySdk;
let appPrivatePem: string;
let alipayPublicPem: string;
let counter = 0;
const orderNo = () => `S${Date.now()}_${(counter += 1)}`;

function sdkWith(overrides: Partial<ConstructorParameters<typeof AlipaySdk>[0]> = {}): AlipaySdk {
  return new AlipaySdk({
    appId: sandbox.secrets.alipay.appId,
    privateKey: appPrivatePem,
    keyType: 'PKCS8',
    alipayPublicKey: alipayPublicPem,
    gateway: `${sandbox.url}/gateway.do`,
    endpoint: sandbox.url,
    ...overrides,
  });
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  alipay = sandbox.sandbox.channels.alipay as AlipaySandbox;
  const credentials = sandbox.credentials.alipay!;
  // The SDK's formatKey rebuilds the PEM from its lines; no trailing newline.
  appPrivatePem = credentials.appPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim();
  alipayPublicPem = credentials.alipayPublicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
  sdk = sdkWith();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe('exec against the sandbox gateway, with validateSign', () => {
  it('precreate, scan, query, pay, query: every answer verifies', async () => {
    const outTradeNo = orderNo();
    const created = await sdk.exec('alipay.trade.precreate', { bizContent: { outTradeNo, totalAmount: '0.01', subject: '语雀空间 500人规模' } }, { validateSign: true });
    expect(created).toMatchObject({ code: '10000', msg: 'Success', outTradeNo });
    expect(String(created.qrCode).startsWith(`${sandbox.url}/pay/alipay/qr/`)).toBe(true);

    const beforeScan = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(beforeScan).toMatchObject({ code: '40004', msg: 'Business Failed', subCode: 'ACQ.TRADE_NOT_EXIST' });

    expect((await fetch(String(created.qrCode))).status).toBe(200);
    const waiting = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(waiting).toMatchObject({ code: '10000', outTradeNo, tradeStatus: 'WAIT_BUYER_PAY', totalAmount: '0.01' });

    await alipay.pay(outTradeNo);
    const paid = await sdk.exec('alipay.trade.query', { bizContent: { tradeNo: waiting.tradeNo } }, { validateSign: true });
    expect(paid).toMatchObject({ code: '10000', outTradeNo, tradeNo: waiting.tradeNo, tradeStatus: 'TRADE_SUCCESS', totalAmount: '0.01', buyerPayAmount: '0.01' });
    expect(paid.sendPayDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const closePaid = await sdk.exec('alipay.trade.close', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(closePaid).toMatchObject({ code: '40004', subCode: 'ACQ.TRADE_STATUS_ERROR' });
  });

  it('create and close', async () => {
    const outTradeNo = orderNo();
    const created = await sdk.exec('alipay.trade.create', { bizContent: { outTradeNo, totalAmount: '88.88', subject: 'Iphone6 16G', productCode: 'JSAPI_PAY' } }, { validateSign: true });
    expect(created).toMatchObject({ code: '10000', outTradeNo });
    expect(String(created.tradeNo)).toMatch(/^\d{28}$/);
    const closed = await sdk.exec('alipay.trade.close', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(closed).toMatchObject({ code: '10000', outTradeNo, tradeNo: created.tradeNo });
    const query = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(query.tradeStatus).toBe('TRADE_CLOSED');
  });

  it('a business refusal is signed too', async () => {
    const refused = await sdk.exec('alipay.trade.precreate', { bizContent: { outTradeNo: orderNo(), totalAmount: '12.345', subject: 'tea' } }, { validateSign: true });
    expect(refused).toMatchObject({ code: '40004', subCode: 'ACQ.INVALID_PARAMETER' });
  });

  it('a request signed with a wrong key is refused with isv.invalid-signature', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrong = sdkWith({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim() });
    const refused = await wrong.exec('alipay.trade.precreate', { bizContent: { outTradeNo: orderNo(), totalAmount: '0.01', subject: 'tea' } }, { validateSign: true });
    expect(refused).toMatchObject({ code: '40002', msg: 'Invalid Arguments', subCode: 'isv.invalid-signature' });
  });

  it('the SDK refuses an answer it cannot verify with the Alipay key it holds', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const distrustful = sdkWith({ alipayPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString().trim() });
    await expect(distrustful.exec('alipay.trade.query', { bizContent: { outTradeNo: orderNo() } }, { validateSign: true })).rejects.toThrow(/验签失败/);
  });
});

describe('pageExec: the browser requests', () => {
  it('GET: the URL opens the sandbox cashier; paying returns to return_url with parameters checkNotifySignV2 accepts', async () => {
    const outTradeNo = orderNo();
    const url = sdk.pageExec('alipay.trade.page.pay', 'GET', {
      bizContent: { outTradeNo, totalAmount: '0.01', subject: '语雀空间 500人规模', productCode: 'FAST_INSTANT_TRADE_PAY' },
      returnUrl: 'https://shop.example/return',
    });
    const cashier = await fetch(url);
    expect(cashier.status).toBe(200);
    const page = await cashier.text();
    expect(page).toContain('¥0.01');
    expect(page).toContain('语雀空间 500人规模');

    const tradeNo = alipay.trades.get(outTradeNo)!.tradeNo;
    const paid = await fetch(`${sandbox.url}/pay/alipay/cashier/${tradeNo}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }), redirect: 'manual' });
    const back = Object.fromEntries(new URL(paid.headers.get('location')!).searchParams);
    expect(back).toMatchObject({ method: 'alipay.trade.page.pay.return', out_trade_no: outTradeNo, trade_no: tradeNo, total_amount: '0.01' });
    expect(sdk.checkNotifySignV2(back)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...back, total_amount: '1.00' })).toBe(false);
  });

  it('POST: the auto-submit form opens the cashier too', async () => {
    const outTradeNo = orderNo();
    const form = sdk.pageExec('alipay.trade.wap.pay', 'POST', { bizContent: { outTradeNo, totalAmount: '9.90', subject: 'tea', productCode: 'QUICK_WAP_WAY' } });
    const action = /action="([^"]+)"/.exec(form)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const fields = [...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(([, name = '', value = '']) => [name, value.replaceAll('&quot;', '"').replaceAll('&amp;', '&')] as [string, string]);
    expect(fields.map(([name]) => name)).toContain('biz_content');
    const cashier = await fetch(action, { method: 'POST', body: new URLSearchParams(fields) });
    expect(await cashier.text()).toContain('¥9.90');
    expect(alipay.trades.get(outTradeNo)?.product).toBe('alipay.trade.wap.pay');
  });
});

describe('sdkExec: the APP order string', () => {
  it('is accepted by the App SDK stand-in, whose signed result the SDK verifies', async () => {
    const outTradeNo = orderNo();
    const orderString = sdk.sdkExec('alipay.trade.app.pay', { bizContent: { outTradeNo, totalAmount: '0.01', subject: 'tea', productCode: 'QUICK_MSECURITY_PAY' }, notifyUrl: 'https://shop.example/notify' });
    const response = await fetch(`${sandbox.url}/pay/alipay/app`, { method: 'POST', body: JSON.stringify({ orderString }) });
    const paid = (await response.json()) as { resultStatus: string; result: string };
    expect(paid.resultStatus).toBe('9000');
    const { sign } = JSON.parse(paid.result) as { sign: string };
    expect(() => sdk.checkResponseSign(paid.result, 'alipay_trade_app_pay_response', sign, 'conformance')).not.toThrow();
    expect(alipay.trades.get(outTradeNo)?.status).toBe('paid');
  });
});

describe('checkNotifySignV2 on a sandbox notification', () => {
  let server: Server;
  let notifyUrl: string;
  const received: Array<Record<string, string>> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push(Object.fromEntries(new URLSearchParams(body)));
        response.end('success');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts it as delivered, percent-encoded passback_params included, and refuses it altered', async () => {
    const outTradeNo = orderNo();
    await sdk.exec('alipay.trade.create', { bizContent: { outTradeNo, totalAmount: '0.10', subject: '语雀空间 500人规模', passbackParams: encodeURIComponent('merchant=1&order=2') }, notifyUrl }, { validateSign: true });
    await alipay.pay(outTradeNo);
    await vi.waitFor(() => expect(received.some((fields) => fields.out_trade_no === outTradeNo)).toBe(true), { timeout: 5_000, interval: 20 });
    const fields = received.find((candidate) => candidate.out_trade_no === outTradeNo)!;
    expect(fields.passback_params).toBe('merchant%3D1%26order%3D2');
    expect(sdk.checkNotifySignV2(fields)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...fields, trade_status: 'TRADE_FINISHED' })).toBe(false);
  });
});

describe('refunds: exec with validateSign, and checkNotifySignV2 on the refund notifications', () => {
  let server: Server;
  let notifyUrl: string;
  const received: Array<Record<string, string>> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push(Object.fromEntries(new URLSearchParams(body)));
        response.end('success');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('alipay.trade.refund (Y, then N for the same out_request_no, then a refusal) and alipay.trade.fastpay.refund.query verify', async () => {
    const outTradeNo = orderNo();
    const created = await sdk.exec('alipay.trade.create', { bizContent: { outTradeNo, totalAmount: '0.10', subject: '语雀空间 500人规模' }, notifyUrl }, { validateSign: true });
    await alipay.pay(outTradeNo);

    const refund = { outTradeNo, refundAmount: '0.04', outRequestNo: `${outTradeNo}_R1`, refundReason: '正常退款' };
    const first = await sdk.exec('alipay.trade.refund', { bizContent: refund }, { validateSign: true });
    expect(first).toMatchObject({ code: '10000', msg: 'Success', outTradeNo, tradeNo: created.tradeNo, fundChange: 'Y', refundFee: '0.04', buyerLogonId: 'buy***@sandbox.example' });
    expect(first.gmtRefundPay).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const again = await sdk.exec('alipay.trade.refund', { bizContent: refund }, { validateSign: true });
    expect(again).toMatchObject({ code: '10000', fundChange: 'N', refundFee: '0.04', gmtRefundPay: first.gmtRefundPay });
    const tooMuch = await sdk.exec('alipay.trade.refund', { bizContent: { ...refund, refundAmount: '0.07', outRequestNo: `${outTradeNo}_R2` } }, { validateSign: true });
    expect(tooMuch).toMatchObject({ code: '40004', msg: 'Business Failed', subCode: 'ACQ.REASON_TRADE_REFUND_FEE_ERR', subMsg: '退款金额无效' });

    const query = await sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { tradeNo: created.tradeNo, outRequestNo: refund.outRequestNo, queryOptions: ['gmt_refund_pay'] } },
      { validateSign: true },
    );
    expect(query).toMatchObject({
      code: '10000',
      outTradeNo,
      tradeNo: created.tradeNo,
      outRequestNo: refund.outRequestNo,
      totalAmount: '0.10',
      refundAmount: '0.04',
      refundStatus: 'REFUND_SUCCESS',
      gmtRefundPay: first.gmtRefundPay,
    });
    const unknown = await sdk.exec('alipay.trade.fastpay.refund.query', { bizContent: { outTradeNo, outRequestNo: `${outTradeNo}_R9` } }, { validateSign: true });
    expect(unknown).toMatchObject({ code: '10000', msg: 'Success' });
    expect(unknown.refundStatus).toBeUndefined();

    // The rest, 3 s later on the sandbox clock (Alipay's spacing between refunds of one trade), closes the trade.
    sandbox.sandbox.context.clock.advance(3_000);
    const rest = await sdk.exec('alipay.trade.refund', { bizContent: { ...refund, refundAmount: '0.06', outRequestNo: `${outTradeNo}_R3` } }, { validateSign: true });
    expect(rest).toMatchObject({ code: '10000', fundChange: 'Y', refundFee: '0.10' });

    await vi.waitFor(() => expect(received.filter((fields) => fields.out_trade_no === outTradeNo)).toHaveLength(3), { timeout: 5_000, interval: 20 });
    const [payment, partial, closing] = received.filter((fields) => fields.out_trade_no === outTradeNo);
    expect(partial).toMatchObject({ trade_status: 'TRADE_SUCCESS', out_biz_no: refund.outRequestNo, refund_fee: '0.04' });
    expect(closing).toMatchObject({ trade_status: 'TRADE_CLOSED', out_biz_no: `${outTradeNo}_R3`, refund_fee: '0.10' });
    for (const notice of [payment!, partial!, closing!]) {
      expect(sdk.checkNotifySignV2(notice)).toBe(true);
      expect(sdk.checkNotifySignV2({ ...notice, refund_fee: '0.01' })).toBe(false);
    }
    expect(sdk.checkNotifySignV2({ ...partial!, out_biz_no: `${outTradeNo}_R3` })).toBe(false);
  });
});

describe('the timestamp is Beijing time', () => {
  it('an SDK on a server left in UTC is refused with isv.invalid-timestamp (8 hours off)', async () => {
    process.env.TZ = 'UTC';
    try {
      const refused = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo: orderNo() } }, { validateSign: true });
      expect(refused).toMatchObject({ code: '40002', subCode: 'isv.invalid-timestamp' });
    } finally {
      process.env.TZ = 'Asia/Shanghai';
    }
  });
});
