// The UnionPay adapter's bill(day) against the sandbox over HTTP: payments and a refund made through the adapter
// come back as BillLines with their fees; not-ready before 09:00 on D+1, no-bill for an empty day; every injectable
// discrepancy (missing, extra, amount, fee; status is refused: the ZM file has no status) shows up; a changed,
// forged or broken answer never becomes a bill.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billZip, fileContentOf } from '../../../demo/sandbox/unionpay/bills.ts';
import { impostorFor, signAsImpostor } from '../../../demo/sandbox/unionpay/impostor.ts';
import { rawAnswer, signAnswer } from '../../../demo/sandbox/unionpay/messages.ts';
import { startTestSandbox, type TestSandbox } from '../../../demo/sandbox/testing.ts';
import { billAvailableAt, clearingDay, newChannelOrderNumber } from '../../../shared/channels/index.ts';
import type { BillLine } from '../../bills/types.ts';
import type { UnionpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { BillOutcome, ChannelAdapter, PayRequest } from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { fileTransferUrl } from './bill.ts';
import { parseForm, verifyWithKey } from './crypto.ts';

const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };

let test: TestSandbox;
let credentials: UnionpayCredentials;
let adapter: ChannelAdapter;
const sent: Array<{ url: string; fields: Record<string, string> }> = [];

/** The adapter's clock is the channel's: bills appear by the sandbox clock, and txnTime must be "now" to it. */
const now = () => test.sandbox.context.clock.now();

const recording: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const body = input instanceof Request ? await input.clone().text() : String(init?.body ?? '');
  sent.push({ url, fields: parseForm(body) });
  return fetch(input, init);
};

/** An adapter whose "UnionPay" is `respond`: it gets the request's fields and answers raw text. */
function adapterAnswering(respond: (fields: Record<string, string>) => string | Promise<string>): ChannelAdapter {
  const channel: typeof fetch = async (input, init) => {
    const body = input instanceof Request ? await input.clone().text() : String(init?.body ?? '');
    return new Response(await respond(parseForm(body)), { status: 200 });
  };
  return unionpayAdapter(credentials, { ...HTTP, fetch: channel, now });
}

/** A correctly signed answer to a file request, echoing it, with `fields` on top. */
const signedAnswer = (request: Record<string, string>, fields: Record<string, string>) =>
  rawAnswer(
    signAnswer(
      { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', txnType: '76', txnSubType: '01', bizType: '000000', accessType: '0', merId: request.merId, txnTime: request.txnTime, settleDate: request.settleDate, ...fields },
      test.secrets.unionpay,
    ),
  );

async function read(outcome: BillOutcome): Promise<BillLine[]> {
  if (outcome.kind !== 'ready') throw new Error(`expected a bill, got ${JSON.stringify(outcome)}`);
  const lines: BillLine[] = [];
  for await (const line of outcome.bill.lines) lines.push(line);
  return lines;
}

async function control(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${test.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
}

interface Paid {
  readonly orderId: string;
  readonly queryId: string;
  readonly day: string;
}
let first: Paid;
let second: Paid;
let refund: { readonly refundNo: string; readonly queryId: string; readonly day: string };

async function paid(amount: number): Promise<Paid> {
  const request: PayRequest = {
    product: 'app',
    channelOrderNo: newChannelOrderNumber(['unionpay']),
    amount,
    currency: 'CNY',
    description: 'Celadon tea set',
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: 'http://127.0.0.1:9/notify/unionpay',
    creditCardsAllowed: true,
  };
  expect((await adapter.pay(request)).kind).toBe('action');
  await test.sandbox.channels.unionpay.pay(request.channelOrderNo);
  const order = test.sandbox.context.orders.get('unionpay', request.channelOrderNo)!;
  return { orderId: order.key, queryId: order.tradeNo, day: clearingDay('unionpay', new Date(order.paidAt!)) as string };
}

beforeAll(async () => {
  test = await startTestSandbox();
  credentials = test.credentials.unionpay!;
  adapter = unionpayAdapter(credentials, { ...HTTP, fetch: recording, now });
  first = await paid(12_800);
  second = await paid(20_000);
  const refundNo = newChannelOrderNumber(['unionpay']);
  const outcome = await adapter.refund({
    channelOrderNo: first.orderId,
    channelTradeNo: first.queryId,
    paymentCreatedAt: new Date(),
    refundNo,
    amount: 5000,
    total: 12_800,
    currency: 'CNY',
    reason: 'one cup broken',
    notifyUrl: 'http://127.0.0.1:9/notify/unionpay/refund',
  });
  expect(outcome.kind).toBe('accepted');
  const stored = test.sandbox.context.orders.get('unionpay', refundNo)!;
  refund = { refundNo, queryId: stored.tradeNo, day: clearingDay('unionpay', new Date(stored.paidAt!)) as string };
}, 60_000);

afterAll(async () => {
  await test?.close();
});

/** Every line of the days the test's transactions fell on (one day, unless it ran across 23:00). */
async function allLines(): Promise<BillLine[]> {
  const days = [...new Set([first.day, second.day, refund.day])].sort();
  const lines: BillLine[] = [];
  for (const day of days) lines.push(...(await read(await adapter.bill(day))));
  return lines;
}

describe('bill(day): the file transfer, txnType 76', () => {
  it('before 09:00 on D+1 the file is not there: not-ready; the request is signed as the official demo sends it', async () => {
    sent.length = 0;
    expect(await adapter.bill(first.day)).toMatchObject({ kind: 'not-ready', message: expect.stringContaining('98') });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(`${test.url}/`);
    const { signature, ...fields } = sent[0]!.fields;
    expect(fields).toEqual({
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      certId: credentials.certId,
      merId: credentials.merId,
      txnType: '76',
      txnSubType: '01',
      bizType: '000000',
      accessType: '0',
      fileType: '00',
      settleDate: first.day.slice(5).replace('-', ''),
      txnTime: expect.stringMatching(/^\d{14}$/),
    });
    const merchantCertificate = readFileSync(join(test.credentialsDir, 'unionpay-sign-cert.pem'), 'utf8');
    expect(verifyWithKey(sent[0]!.fields, merchantCertificate)).toBe(true);
    expect(signature).toBeTruthy();
  });

  it('from 09:00 on D+1: the payments and the refund as BillLines, with the fee charged and the fee returned', async () => {
    const last = [first.day, second.day, refund.day].sort().at(-1)!;
    const wait = ((billAvailableAt('unionpay', last) as Date).getTime() - now().getTime()) / 1000;
    const moved = await control('/control/clock', { method: 'POST', body: JSON.stringify({ advanceSeconds: Math.ceil(wait) + 60 }) });
    expect(moved.status).toBe(200);

    const lines = await allLines();
    expect(lines.map(({ line: _line, at: _at, ...rest }) => rest)).toEqual([
      { kind: 'payment', channelOrderNo: first.orderId, channelTradeNo: first.queryId, amount: 12_800, fee: 77, status: 'S22' },
      { kind: 'payment', channelOrderNo: second.orderId, channelTradeNo: second.queryId, amount: 20_000, fee: 120, status: 'S22' },
      {
        kind: 'refund',
        channelOrderNo: first.orderId,
        channelTradeNo: first.queryId,
        refundNo: refund.refundNo,
        channelRefundNo: refund.queryId,
        amount: 5000,
        fee: 30,
        status: 'S30',
        // The adapter sends the payment's order number as the refund's reqReserved; the file echoes it.
        attach: first.orderId,
      },
    ]);
    const paidAt = new Date(test.sandbox.context.orders.get('unionpay', first.orderId)!.paidAt!);
    expect(lines[0]!.at).toEqual(new Date(Math.floor(paidAt.getTime() / 1000) * 1000));

    const outcome = await adapter.bill(first.day);
    await read(outcome);
    if (outcome.kind === 'ready' && first.day === refund.day && first.day === second.day) {
      expect(await outcome.bill.summary).toEqual({ channel: 'unionpay', rows: 3, paymentTotal: 32_800, refundTotal: 5000 });
    }
  });

  it('a day without transactions, after its bill time: no-bill', async () => {
    const before = new Date(`${first.day}T12:00:00+08:00`);
    const dayBefore = clearingDay('unionpay', new Date(before.getTime() - 86_400_000)) as string;
    expect(await adapter.bill(dayBefore)).toMatchObject({ kind: 'no-bill', message: expect.stringContaining('98') });
  });

  it('shows every discrepancy the sandbox can inject; status is refused, as the ZM file has none', async () => {
    const inject = async (day: string, discrepancy: Record<string, unknown>) => {
      const response = await control(`/control/bills/unionpay/${day}/discrepancies`, { method: 'POST', body: JSON.stringify(discrepancy) });
      return response.status;
    };
    const clear = (day: string) => control(`/control/bills/unionpay/${day}/discrepancies`, { method: 'DELETE' });
    const lineOf = (lines: BillLine[], key: string) => lines.find((line) => (line.kind === 'refund' ? line.refundNo : line.channelOrderNo) === key);

    expect(await inject(first.day, { kind: 'missing', key: first.orderId })).toBe(200);
    let lines = await allLines();
    expect(lineOf(lines, first.orderId)).toBeUndefined();
    expect(lineOf(lines, refund.refundNo)).toBeDefined();
    await clear(first.day);

    expect(await inject(second.day, { kind: 'extra', key: 'EXTRA20260001', amount: 999 })).toBe(200);
    lines = await allLines();
    expect(lineOf(lines, 'EXTRA20260001')).toMatchObject({ kind: 'payment', amount: 999, fee: 8 });
    await clear(second.day);

    expect(await inject(refund.day, { kind: 'amount', key: refund.refundNo, delta: 1 })).toBe(200);
    lines = await allLines();
    expect(lineOf(lines, refund.refundNo)).toMatchObject({ kind: 'refund', amount: 5001, fee: 30 });
    await clear(refund.day);

    expect(await inject(second.day, { kind: 'fee', key: second.orderId, delta: -3 })).toBe(200);
    lines = await allLines();
    expect(lineOf(lines, second.orderId)).toMatchObject({ amount: 20_000, fee: 117 });
    await clear(second.day);

    expect(await inject(first.day, { kind: 'status', key: first.orderId, status: 'REFUND' })).toBe(400);
    expect((await allLines()).map((line) => line.amount)).toEqual([12_800, 20_000, 5000]);
  });
});

describe('bill(day): answers that are not a bill', () => {
  it('a fileContent changed on the way fails the signature: unknown, nothing parsed', async () => {
    const tampering: typeof fetch = async (input, init) => {
      const text = await (await fetch(input, init)).text();
      const at = text.indexOf('fileContent=') + 'fileContent='.length + 40;
      return new Response(`${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`, { status: 200 });
    };
    const changed = unionpayAdapter(credentials, { ...HTTP, fetch: tampering, now });
    expect(await changed.bill(first.day)).toEqual({ kind: 'unknown', reason: 'answer not verifiable (bad-signature)' });
  });

  it('an answer signed by anyone but UnionPay is unknown, as is one for another merchant or another day', async () => {
    const impostor = impostorFor(test.secrets.unionpay);
    const forged = adapterAnswering((request) => rawAnswer(signAsImpostor({ merId: request.merId!, respCode: '98', respMsg: '文件不存在', version: '5.1.0', signMethod: '01' }, impostor)));
    expect(await forged.bill(first.day)).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('not verifiable') });
    const otherMerchant = adapterAnswering((request) => signedAnswer(request, { merId: '777290058110099', respCode: '98', respMsg: '文件不存在' }));
    expect(await otherMerchant.bill(first.day)).toEqual({ kind: 'unknown', reason: 'answer for another merchant' });
    const otherDay = adapterAnswering((request) => signedAnswer(request, { settleDate: '0101', respCode: '00', respMsg: 'success', fileName: 'x.zip', fileContent: 'AAAA' }));
    expect(await otherDay.bill('2026-03-31')).toEqual({ kind: 'unknown', reason: 'answer for settleDate 0101' });
  });

  it('a signed answer whose file is broken is a bill that fails as it is read: bad_zip, wrong day, wrong merchant', async () => {
    const broken = adapterAnswering((request) => signedAnswer(request, { respCode: '00', respMsg: 'success', fileName: 'x.zip', fileContent: 'AAAA' }));
    const outcome = await broken.bill(first.day);
    expect(outcome.kind).toBe('ready');
    await expect(read(outcome)).rejects.toMatchObject({ name: 'BillError', code: 'bad_zip' });
    if (outcome.kind === 'ready') await expect(outcome.bill.summary).rejects.toMatchObject({ code: 'bad_zip' });

    const order = test.sandbox.context.orders.get('unionpay', first.orderId)!;
    const row = { kind: 'payment' as const, merchant: credentials.merId, orderKey: order.key, tradeNo: order.tradeNo, amount: 100, fee: 8, status: 'S22', at: now(), product: 'app', description: '', details: {} };
    const lastYear = fileContentOf(billZip(credentials.merId, '2025-03-31', [row], () => undefined));
    const wrongDay = adapterAnswering((request) => signedAnswer(request, { respCode: '00', respMsg: 'success', fileName: 'x.zip', fileContent: lastYear }));
    await expect(read(await wrongDay.bill('2026-03-31'))).rejects.toMatchObject({ code: 'bad_header' });

    const someoneElse = fileContentOf(billZip('777290058110099', '2026-03-31', [{ ...row, merchant: '777290058110099' }], () => undefined));
    const wrongMerchant = adapterAnswering((request) => signedAnswer(request, { respCode: '00', respMsg: 'success', fileName: 'x.zip', fileContent: someoneElse }));
    await expect(read(await wrongMerchant.bill('2026-03-31'))).rejects.toMatchObject({ code: 'bad_row', line: 1 });

    const noZm = fileContentOf(zipSync({ 'readme.txt': new Uint8Array(0) }));
    const empty = adapterAnswering((request) => signedAnswer(request, { respCode: '00', respMsg: 'success', fileName: 'x.zip', fileContent: noZm }));
    await expect(read(await empty.bill('2026-03-31'))).rejects.toMatchObject({ code: 'no_detail_entry' });
  });

  it('maps the other codes: refused (10, 31) is failed, 03/04/05 and no respCode unknown; transport trouble is retried, then unknown', async () => {
    const answering = (respCode: string) => adapterAnswering((request) => signedAnswer(request, respCode === '' ? {} : { respCode, respMsg: 'x' }));
    expect(await answering('10').bill(first.day)).toEqual({ kind: 'failed', code: '10', message: 'x' });
    expect(await answering('31').bill(first.day)).toEqual({ kind: 'failed', code: '31', message: 'x' });
    expect(await answering('05').bill(first.day)).toEqual({ kind: 'unknown', reason: 'respCode 05: x' });
    expect(await answering('').bill(first.day)).toMatchObject({ kind: 'unknown' });
    let calls = 0;
    const down = unionpayAdapter(credentials, {
      ...HTTP,
      now,
      fetch: async () => {
        calls += 1;
        throw new TypeError('fetch failed');
      },
    });
    expect(await down.bill(first.day)).toEqual({ kind: 'unknown', reason: 'transport: TypeError' });
    expect(calls).toBe(2);
  });

  it('refuses a day that is not one before sending anything', async () => {
    sent.length = 0;
    await expect(adapter.bill('2026-02-30')).rejects.toMatchObject({ code: 'invalid_day' });
    await expect(adapter.bill('20260331')).rejects.toMatchObject({ code: 'invalid_day' });
    expect(sent).toEqual([]);
  });
});

describe('fileTransferUrl', () => {
  it('is UnionPay\u2019s file host for its gateways, and the gateway\u2019s own origin otherwise', () => {
    expect(fileTransferUrl('https://gateway.95516.com')).toBe('https://filedownload.95516.com/');
    expect(fileTransferUrl('https://gateway.test.95516.com/')).toBe('https://filedownload.test.95516.com/');
    expect(fileTransferUrl('http://127.0.0.1:8788')).toBe('http://127.0.0.1:8788/');
    expect(fileTransferUrl('http://sandbox.test/some/path')).toBe('http://sandbox.test/');
  });
});
