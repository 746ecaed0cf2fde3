// The WeChat Pay sandbox's trade bill as a merchant meets it over HTTP (§1.9): GET /v3/bill/tradebill (signed
// request, signed answer with SHA1 and a download URL), the unsigned download in the W7 layout, WeChat's error codes
// for a bill still being generated, a day without transactions, a bad or too old date, and the URL's five minutes.
// The channel's clock starts at 09:00 Beijing on the bill day D and is moved forward by the tests, in file order.

import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillLine } from '../../../bff/bills/types.ts';
import { parseWechatTradeBill, readWechatBillRecords, WECHAT_BILL_COLUMNS } from '../../../bff/bills/wechatpay.ts';
import { authorization, verifyResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { startWechatpaySandbox, type RawAnswer, type WechatpayTestSandbox } from './testing.ts';

const D = '2026-11-26';
const START = Date.parse(`${D}T09:00:00+08:00`);

let t: WechatpayTestSandbox;
let sequence = 0;

/** What the day holds; filled in beforeAll. */
const day = {
  paidA: { outTradeNo: '', transactionId: '', paidAt: new Date(0) },
  paidB: { outTradeNo: '', transactionId: '', paidAt: new Date(0) },
  refundA: { outRefundNo: '', refundId: '', acceptedAt: new Date(0) },
  refundB: { outRefundNo: '', refundId: '', acceptedAt: new Date(0) },
  unpaid: '',
  /** Paid, with a refund still PROCESSING. */
  processing: { outTradeNo: '', outRefundNo: '' },
};

const no = (prefix: string) => `${prefix}${String((sequence += 1)).padStart(6, '0')}${Date.now() % 100_000}`;
const channelSeconds = () => Math.floor(t.context.clock.now().getTime() / 1000);
/** Moves the channel's clock forward to a Beijing wall-clock time. */
const moveTo = (beijing: string) => t.context.clock.advance(Math.max(0, Date.parse(`${beijing}+08:00`) - t.context.clock.now().getTime()));
const get = (path: string) => t.call(path, { timestamp: channelSeconds() });

function verified(answer: RawAnswer): boolean {
  return verifyResponse(
    {
      timestamp: answer.headers.get('Wechatpay-Timestamp') ?? undefined,
      nonce: answer.headers.get('Wechatpay-Nonce') ?? undefined,
      signature: answer.headers.get('Wechatpay-Signature') ?? undefined,
      serial: answer.headers.get('Wechatpay-Serial') ?? undefined,
      body: answer.text,
    },
    t.credentials.platformPublicKeys,
    channelSeconds(),
  ).ok;
}

async function order(total: number, pay: boolean): Promise<{ outTradeNo: string; transactionId: string; paidAt: Date }> {
  const outTradeNo = no('WXB');
  const answer = await t.call('/v3/pay/transactions/native', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set, 4 cups',
      out_trade_no: outTradeNo,
      attach: 'shop:42',
      notify_url: 'https://shop.example/notify/wechatpay',
      amount: { total, currency: 'CNY' },
    }),
    timestamp: channelSeconds(),
  });
  expect(answer.status).toBe(200);
  if (pay) await t.sandbox.pay(outTradeNo);
  const stored = t.context.orders.get('wechatpay', outTradeNo);
  return { outTradeNo, transactionId: stored?.tradeNo ?? '', paidAt: new Date(stored?.paidAt ?? 0) };
}

async function refund(outTradeNo: string, amount: number, total: number): Promise<{ outRefundNo: string; refundId: string; acceptedAt: Date }> {
  const outRefundNo = no('RFB');
  const answer = await t.call('/v3/refund/domestic/refunds', {
    body: JSON.stringify({ out_trade_no: outTradeNo, out_refund_no: outRefundNo, amount: { refund: amount, total, currency: 'CNY' } }),
    timestamp: channelSeconds(),
  });
  expect(answer.status).toBe(200);
  const json = answer.json as { refund_id: string; create_time: string };
  return { outRefundNo, refundId: json.refund_id, acceptedAt: new Date(json.create_time) };
}

/** Applies for a bill; on 200 also returns the hash and the download path (the URL without the origin). */
async function apply(query: string): Promise<{ answer: RawAnswer; hash: string; path: string }> {
  const answer = await get(`/v3/bill/tradebill?${query}`);
  const json = (answer.json ?? {}) as { hash_value?: string; download_url?: string };
  return { answer, hash: json.hash_value ?? '', path: (json.download_url ?? '').replace(t.url, '') };
}

/** The download, signed by the merchant (as every v3 call) and read as bytes. */
async function download(path: string, sign = true): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const headers: Record<string, string> = {};
  if (sign) {
    headers.Authorization = authorization({
      mchid: t.credentials.mchid,
      serialNo: t.credentials.merchantSerialNo,
      privateKey: t.credentials.merchantPrivateKey,
      method: 'GET',
      url: path,
      body: '',
      timestamp: channelSeconds(),
    });
  }
  const response = await fetch(`${t.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function* bytes(file: Buffer): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(file);
}

async function records(file: Buffer) {
  const read = readWechatBillRecords(bytes(file));
  const rows = [];
  for await (const record of read.lines) rows.push(record.fields);
  return { rows, summary: await read.summary };
}

/** Any layout (SUCCESS and REFUND files lack columns the BFF's reader requires): rows named by the header. */
function layout(file: Buffer): { header: string[]; rows: Record<string, string>[]; summary: string[] } {
  const lines = file.toString('utf8').replace(/^\uFEFF/, '').split('\r\n');
  const header = (lines[0] ?? '').split(',');
  const rows = lines.slice(1, -3).map((line) => Object.fromEntries(line.slice(1).split(',`').map((value, i) => [header[i] ?? '', value])));
  return { header, rows, summary: (lines.at(-2) ?? '').slice(1).split(',`') };
}

beforeAll(async () => {
  // Refunds stay PROCESSING until settled here, so the bill's refund states are the test's choice.
  t = await startWechatpaySandbox({ refundProcessingMs: null, now: () => new Date(START) });
  day.paidA = await order(12_800, true);
  day.paidB = await order(9_900, true);
  day.unpaid = (await order(500, false)).outTradeNo;
  day.refundA = await refund(day.paidA.outTradeNo, 5_000, 12_800);
  expect(t.sandbox.settleRefund(day.refundA.outRefundNo, 'SUCCESS')).toBe(true);
  const stillProcessing = await order(3_000, true);
  day.processing = { outTradeNo: stillProcessing.outTradeNo, outRefundNo: (await refund(stillProcessing.outTradeNo, 3_000, 3_000)).outRefundNo };
  // Accepted a few seconds before midnight, credited after it: on D's bill, by its acceptance time (§1.9).
  moveTo(`${D}T23:59:30`);
  day.refundB = await refund(day.paidB.outTradeNo, 9_900, 9_900);
  moveTo('2026-11-27T00:00:20');
  expect(t.sandbox.settleRefund(day.refundB.outRefundNo, 'SUCCESS')).toBe(true);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('GET /v3/bill/tradebill', () => {
  it('answers 400 STATEMENT_CREATING, signed, until 10:00 Beijing on D+1', async () => {
    moveTo('2026-11-27T09:59:58');
    const { answer } = await apply(`bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ code: 'STATEMENT_CREATING', message: '账单生成中' });
    expect(verified(answer)).toBe(true);
  });

  it('from 10:00 answers a signed SHA1 hash and a download URL on the sandbox', async () => {
    moveTo('2026-11-27T10:00:00');
    const { answer, hash, path } = await apply(`bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    expect(answer.status).toBe(200);
    expect(verified(answer)).toBe(true);
    expect(Object.keys(answer.json as object)).toEqual(['hash_type', 'hash_value', 'download_url']);
    expect((answer.json as { hash_type: string }).hash_type).toBe('SHA1');
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    expect(path).toMatch(/^\/v3\/billdownload\/file\?token=[A-Za-z0-9_-]{40,}&tartype=gzip$/);
  });

  it('serves the W7 layout gzipped and unsigned, with the SHA1 of the un-gzipped file', async () => {
    const { hash, path } = await apply(`bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    const file = await download(path);
    expect(file.status).toBe(200);
    expect(file.headers.get('Wechatpay-Signature')).toBeNull();
    expect(file.headers.get('Content-Encoding')).toBeNull();
    const csv = gunzipSync(file.bytes);
    expect(createHash('sha1').update(csv).digest('hex')).toBe(hash);
    expect(createHash('sha1').update(file.bytes).digest('hex')).not.toBe(hash);

    const text = csv.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe(WECHAT_BILL_COLUMNS.join(','));
    expect(lines.at(-1)).toBe(''); // the last line is terminated too
    expect(lines.at(-3)).toBe('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');
    for (const row of lines.slice(1, -3)) expect(row.startsWith('`')).toBe(true);
  });

  it('lists each paid order at its success time and each successful refund at its acceptance time', async () => {
    const { path } = await apply(`bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    const { rows, summary } = await records(gunzipSync((await download(path)).bytes));
    // Not billed: the unpaid order and the refund still PROCESSING (its payment is).
    expect(rows.map((row) => (row['商户退款单号'] === '0' ? row['商户订单号'] : row['商户退款单号'])).sort()).toEqual(
      [day.paidA.outTradeNo, day.paidB.outTradeNo, day.processing.outTradeNo, day.refundA.outRefundNo, day.refundB.outRefundNo].sort(),
    );
    expect(JSON.stringify(rows)).not.toContain(day.unpaid);
    expect(JSON.stringify(rows)).not.toContain(day.processing.outRefundNo);
    const payment = rows.find((row) => row['商户订单号'] === day.paidA.outTradeNo && row['交易状态'] === 'SUCCESS');
    expect(payment).toMatchObject({
      交易时间: formatBeijingTime(day.paidA.paidAt),
      公众账号ID: t.credentials.appid,
      商户号: t.credentials.mchid,
      微信订单号: day.paidA.transactionId,
      交易类型: 'NATIVE',
      应结订单金额: '128.00',
      微信退款单号: '0',
      商户退款单号: '0',
      退款金额: '0.00',
      退款状态: '',
      商品名称: 'Celadon tea set, 4 cups',
      商户数据包: 'shop:42',
      // 128.00 × 0.6 % = 0.768, half up to 0.77, written to 5 decimals.
      手续费: '0.77000',
      费率: '0.60%',
      订单金额: '128.00',
      申请退款金额: '0.00',
    });
    const partial = rows.find((row) => row['商户退款单号'] === day.refundA.outRefundNo);
    expect(partial).toMatchObject({
      交易时间: formatBeijingTime(day.refundA.acceptedAt),
      微信订单号: day.paidA.transactionId,
      商户订单号: day.paidA.outTradeNo,
      交易状态: 'REFUND',
      应结订单金额: '0.00',
      微信退款单号: day.refundA.refundId,
      退款金额: '50.00',
      退款类型: 'ORIGINAL',
      退款状态: 'SUCCESS',
      // A partial refund returns refund × rate: 50.00 × 0.6 % = 0.30, negative on the bill.
      手续费: '-0.30000',
      订单金额: '0.00',
      申请退款金额: '50.00',
    });
    const full = rows.find((row) => row['商户退款单号'] === day.refundB.outRefundNo);
    // Accepted at 23:59:30 on D (credited after midnight); the full refund returns the whole fee of 0.59.
    expect(full).toMatchObject({ 交易时间: `${D} 23:59:30`, 退款金额: '99.00', 手续费: '-0.59000' });
    // The summary in the 2022 sample's figures, consistent with the rows: fees net 0.77 + 0.59 + 0.18 − 0.30 − 0.59.
    expect(summary).toEqual({
      总交易单数: '5',
      应结订单总金额: '257.00',
      退款总金额: '149.00',
      充值券退款总金额: '0.00',
      手续费总金额: '0.65000',
      订单总金额: '257.00',
      申请退款总金额: '149.00',
    });
  });

  it('is read by the BFF parser: lines in fen and a summary that adds up', async () => {
    const { path } = await apply(`bill_date=${D}&bill_type=ALL&tar_type=GZIP`);
    const bill = parseWechatTradeBill(bytes(gunzipSync((await download(path)).bytes)));
    const lines: BillLine[] = [];
    for await (const line of bill.lines) lines.push(line);
    const summary = await bill.summary;
    const sum = (kind: string, of: (line: BillLine) => number) => lines.filter((line) => line.kind === kind).reduce((total, line) => total + of(line), 0);
    expect(summary.rows).toBe(lines.length);
    expect(summary.orderTotal).toBe(sum('payment', (line) => line.amount));
    expect(summary.refundTotal).toBe(sum('refund', (line) => line.amount));
    expect(summary.feeTotal).toBe(sum('payment', (line) => line.fee ?? 0) - sum('refund', (line) => line.fee ?? 0));
    expect(lines.find((line) => line.refundNo === day.refundA.outRefundNo)).toMatchObject({ kind: 'refund', amount: 5000, fee: 30, status: 'SUCCESS' });
  });

  it('without tar_type serves the plain CSV, whose SHA1 is the hash', async () => {
    const { answer, hash, path } = await apply(`bill_date=${D}&bill_type=ALL`);
    expect(answer.status).toBe(200);
    expect(path).not.toContain('tartype');
    const file = await download(path);
    expect(file.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(createHash('sha1').update(file.bytes).digest('hex')).toBe(hash);
  });

  it('bill_type SUCCESS lists the payments only and REFUND the refunds only, each in its own layout', async () => {
    const success = layout(gunzipSync((await download((await apply(`bill_date=${D}&bill_type=SUCCESS&tar_type=GZIP`)).path)).bytes));
    expect(success.rows.map((row) => row['交易状态'])).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(success.header).not.toContain('商户退款单号');
    expect(success.rows.every((row) => Object.keys(row).length === success.header.length)).toBe(true);
    expect(success.summary.slice(0, 3)).toEqual(['3', '257.00', '0.00']);
    const refunds = layout(gunzipSync((await download((await apply(`bill_date=${D}&bill_type=REFUND&tar_type=GZIP`)).path)).bytes));
    expect(refunds.rows.map((row) => row['交易状态'])).toEqual(['REFUND', 'REFUND']);
    expect(refunds.summary.slice(0, 3)).toEqual(['2', '0.00', '149.00']);
    // The REFUND layout times the payment in 交易时间, the refund in 退款申请时间 and 退款成功时间.
    expect(refunds.rows.find((row) => row['商户退款单号'] === day.refundB.outRefundNo)).toMatchObject({
      交易时间: formatBeijingTime(day.paidB.paidAt),
      退款申请时间: `${D} 23:59:30`,
      退款成功时间: '2026-11-27 00:00:20',
      手续费: '-0.59000',
    });
    expect(refunds.summary[4]).toBe('-0.89000');
  });

  it('follows an injected discrepancy in the row and in the summary totals', async () => {
    t.context.bills.add('wechatpay', D, { kind: 'fee', key: day.paidA.outTradeNo, delta: 3 });
    try {
      const { rows, summary } = await records(gunzipSync((await download((await apply(`bill_date=${D}&tar_type=GZIP`)).path)).bytes));
      expect(rows.find((row) => row['商户订单号'] === day.paidA.outTradeNo && row['交易状态'] === 'SUCCESS')?.['手续费']).toBe('0.80000');
      expect(summary['手续费总金额']).toBe('0.68000');
    } finally {
      t.context.bills.clear('wechatpay', D);
    }
  });

  it('answers NO_STATEMENT_EXIST for a ready day without transactions', async () => {
    const { answer } = await apply('bill_date=2026-11-25&bill_type=ALL&tar_type=GZIP');
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ code: 'NO_STATEMENT_EXIST', message: '请求的账单文件不存在' });
    expect(verified(answer)).toBe(true);
  });

  it.each([
    ['bill_type=ALL', 'PARAM_ERROR'],
    ['bill_date=2026-02-30', 'PARAM_ERROR'],
    ['bill_date=20261126', 'PARAM_ERROR'],
    [`bill_date=${D}&bill_type=EVERYTHING`, 'PARAM_ERROR'],
    [`bill_date=${D}&tar_type=ZIP`, 'PARAM_ERROR'],
    // Three months back from 2026-11-27 is 2026-08-27: the day before is out of reach, as is tomorrow.
    ['bill_date=2026-08-26', 'INVALID_REQUEST'],
    ['bill_date=2026-11-28', 'INVALID_REQUEST'],
  ])('refuses %s with a signed 400 %s', async (query, code) => {
    const { answer } = await apply(query);
    expect(answer.status).toBe(400);
    expect((answer.json as { code: string }).code).toBe(code);
    expect(verified(answer)).toBe(true);
  });

  it('takes the oldest day of the three months and today (not yet billed)', async () => {
    expect((await apply('bill_date=2026-08-27')).answer.json).toMatchObject({ code: 'NO_STATEMENT_EXIST' });
    expect((await apply('bill_date=2026-11-27')).answer.json).toMatchObject({ code: 'STATEMENT_CREATING' });
  });

  it('checks the merchant signature on both requests', async () => {
    const unsigned = await t.call(`/v3/bill/tradebill?bill_date=${D}`, { authorization: null });
    expect(unsigned.status).toBe(401);
    expect((unsigned.json as { code: string }).code).toBe('SIGN_ERROR');
    const { path } = await apply(`bill_date=${D}&tar_type=GZIP`);
    expect((await download(path, false)).status).toBe(401);
    // Signed without the query: WeChat signs path and query exactly as sent (§1.1).
    const wrong = await t.call(path, { signedPath: '/v3/billdownload/file', timestamp: channelSeconds() });
    expect(wrong.status).toBe(401);
    expect((await download(path)).status).toBe(200);
  });
});

describe('the download URL', () => {
  it('works for five minutes by the channel clock, then answers INVALID_REQUEST', async () => {
    const { path } = await apply(`bill_date=${D}&tar_type=GZIP`);
    t.context.clock.advance(299_000);
    expect((await download(path)).status).toBe(200);
    t.context.clock.advance(2_000);
    const expired = await t.call(path, { timestamp: channelSeconds() });
    expect(expired.status).toBe(400);
    expect((expired.json as { code: string }).code).toBe('INVALID_REQUEST');
    expect(verified(expired)).toBe(true);
    expect((await t.call('/v3/billdownload/file?token=nobody-made-this', { timestamp: channelSeconds() })).status).toBe(400);
  });
});

describe('the next day', () => {
  it('holds no refund accepted before midnight, though it was credited after it', async () => {
    moveTo('2026-11-28T10:00:00');
    const { answer } = await apply('bill_date=2026-11-27&tar_type=GZIP');
    expect(answer.json).toMatchObject({ code: 'NO_STATEMENT_EXIST' });
  });
});
