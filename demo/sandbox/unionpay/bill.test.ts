// The UnionPay sandbox's file transfer (txnType 76): requests signed by hand from the official demo's field list
// (Form_7_2_FileTransfer), answers checked raw: signature, fileName, fileContent undone the way the official SDK's
// deCodeFileContent does (base64, zlib inflate) and the ZM lines cut out by byte offsets written here.

import { unzipSync, unzlibSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { certId, verifyMessage } from '../../../bff/channels/unionpay/crypto.ts';
import { parseUnionpayBillZip } from '../../../bff/bills/unionpay.ts';
import { settleDay } from './bills.ts';
import { KeepingNotifier, beijing, consumeFields, postForm, queryFields, readRaw, refundFields, sandboxWith, signedBy, unionpayFixture, type UnionpayFixture } from './testing.ts';

let fixture: UnionpayFixture;

beforeAll(() => {
  fixture = unionpayFixture();
}, 30_000);

/** 2026-03-31 12:00:00 Beijing. */
const NOON = new Date('2026-03-31T04:00:00Z');
/** 2026-04-01 09:00:00 Beijing: the bill of 03-31 is published (rulebook: 09:00 on D+1). */
const BILL_TIME = new Date('2026-04-01T01:00:00Z');

type Setup = ReturnType<typeof sandboxWith>;

async function call(setup: Setup, path: string, fields: Record<string, string>) {
  const response = await postForm(setup.sandbox, path, fields);
  expect(response.status).toBe(200);
  const answer = readRaw(await response.text());
  expect(verifyMessage(answer, fixture.trust).ok, `answer ${answer.respCode} must verify`).toBe(true);
  return answer;
}

const fileRequest = (at: Date, overrides: Record<string, string | undefined> = {}) =>
  signedBy(fixture.merchantKey, {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    certId: certId(fixture.secrets.merchantCertificate),
    merId: fixture.secrets.merId,
    txnType: '76',
    txnSubType: '01',
    bizType: '000000',
    accessType: '0',
    fileType: '00',
    settleDate: '0331',
    txnTime: beijing(at),
    ...overrides,
  });

/** Moves the sandbox clock to `at`. */
const moveTo = (setup: Setup, at: Date) => setup.context.clock.advance(at.getTime() - setup.context.clock.now().getTime());

/** A paid ¥128.00 consume at the clock's time, then (optionally) a ¥50.00 refund an hour later. */
async function consume(setup: Setup, reqReserved = 'cart-42') {
  const request = signedBy(fixture.merchantKey, consumeFields(fixture, setup.context.clock.now(), { reqReserved }));
  expect((await call(setup, '/gateway/api/appTransReq.do', request)).respCode).toBe('00');
  await setup.sandbox.pay(request.orderId!);
  const paid = await call(setup, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, request.orderId!, request.txnTime!)));
  return { orderId: request.orderId!, queryId: paid.queryId!, traceNo: paid.traceNo! };
}

async function refund(setup: Setup, origQryId: string, reqReserved: string) {
  const request = signedBy(fixture.merchantKey, refundFields(fixture, setup.context.clock.now(), origQryId, { reqReserved }));
  const answer = await call(setup, '/gateway/api/backTransReq.do', request);
  expect(answer.respCode).toBe('00');
  return { orderId: request.orderId!, queryId: answer.queryId! };
}

/** The ZIP inside fileContent: base64 → zlib inflate (java.util.zip.Inflater's format) → entries. */
function unpack(fileContent: string): Record<string, Uint8Array> {
  return unzipSync(unzlibSync(Buffer.from(fileContent, 'base64')));
}

/** A ZM line's field by 1-based position, cut at the SDK widths' offsets (computed here, not taken from the code). */
const WIDTHS = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98];
function field(line: Uint8Array, position: number): string {
  const start = WIDTHS.slice(0, position - 1).reduce((sum, width) => sum + width + 1, 0);
  return new TextDecoder('gbk').decode(line.subarray(start, start + (WIDTHS[position - 1] as number))).trimEnd();
}
function zmLines(zm: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < zm.length; start += 609) {
    expect([zm[start + 607], zm[start + 608]]).toEqual([0x0d, 0x0a]);
    lines.push(zm.subarray(start, start + 607));
  }
  return lines;
}

describe('file transfer: the reconciliation file of a clearing day', () => {
  it('answers 98 before 09:00 on D+1 and the signed file from then on: a consume and its refund as ZM lines', async () => {
    const setup = sandboxWith(fixture, { at: NOON, notifier: new KeepingNotifier() });
    const paid = await consume(setup, '茶具 tea');
    setup.context.clock.advance(3600_000);
    const refunded = await refund(setup, paid.queryId, paid.orderId);

    const early = await call(setup, '/', fileRequest(setup.context.clock.now()));
    expect(early).toMatchObject({ respCode: '98', txnType: '76', merId: fixture.secrets.merId });
    expect(early.fileContent).toBeUndefined();
    moveTo(setup, new Date(BILL_TIME.getTime() - 1000));
    expect((await call(setup, '/', fileRequest(setup.context.clock.now()))).respCode).toBe('98');

    moveTo(setup, BILL_TIME);
    const answer = await call(setup, '/', fileRequest(BILL_TIME));
    expect(answer).toMatchObject({ respCode: '00', txnType: '76', txnSubType: '01', bizType: '000000', fileType: '00', settleDate: '0331', fileName: `${fixture.secrets.merId}_20260331.zip` });
    const entries = unpack(answer.fileContent!);
    const zmName = `INN26033188ZM_${fixture.secrets.merId}`;
    expect(Object.keys(entries).sort()).toEqual([`INN26033188ZME_${fixture.secrets.merId}`, zmName].sort());
    const [payment, refundLine, ...rest] = zmLines(entries[zmName]!);
    expect(rest).toEqual([]);
    const fields = (line: Uint8Array, positions: number[]) => Object.fromEntries(positions.map((p) => [p, field(line, p)]));
    expect(fields(payment!, [1, 4, 5, 7, 10, 12, 16, 17, 20, 27, 28, 33, 35, 41])).toEqual({
      1: 'S22',
      4: paid.traceNo,
      5: '0331120000',
      7: '000000012800',
      10: paid.queryId,
      12: paid.orderId,
      16: 'D000000000077', // 0.6 % of ¥128.00, rounded half up
      17: 'C000000012723',
      20: '01',
      27: '',
      28: fixture.secrets.merId,
      33: 'C000000012723',
      35: '茶具 tea',
      41: '',
    });
    expect(fields(refundLine!, [5, 7, 10, 12, 14, 16, 17, 20, 27, 35, 41])).toEqual({
      5: '0331130000',
      7: '000000005000',
      10: refunded.queryId,
      12: refunded.orderId,
      14: paid.traceNo,
      16: 'C000000000030', // the fee goes back in proportion
      17: 'D000000004970',
      20: '04',
      27: paid.queryId,
      35: paid.orderId,
      41: paid.orderId,
    });

    // And the BFF's parser reads the file the sandbox wrote.
    const zip = unzlibSync(Buffer.from(answer.fileContent!, 'base64'));
    const bill = parseUnionpayBillZip((async function* () { yield zip; })(), { day: '2026-03-31', merId: fixture.secrets.merId });
    const lines = [];
    for await (const line of bill.lines) lines.push(line);
    expect(lines.map(({ kind, channelOrderNo, refundNo, amount, fee }) => ({ kind, channelOrderNo, refundNo, amount, fee }))).toEqual([
      { kind: 'payment', channelOrderNo: paid.orderId, refundNo: undefined, amount: 12_800, fee: 77 },
      { kind: 'refund', channelOrderNo: paid.orderId, refundNo: refunded.orderId, amount: 5000, fee: 30 },
    ]);
  });

  it('bills by the 23:00 cut-off: 22:59:59 on the day, 23:00:00 on the next', async () => {
    const setup = sandboxWith(fixture, { at: new Date('2026-03-31T14:59:59Z') });
    const late = await consume(setup);
    setup.context.clock.advance(1000);
    const next = await consume(setup);
    moveTo(setup, new Date('2026-04-02T01:00:00Z'));
    const orderIds = async (settleDate: string) => {
      const answer = await call(setup, '/', fileRequest(setup.context.clock.now(), { settleDate }));
      expect(answer.respCode).toBe('00');
      const entries = unpack(answer.fileContent!);
      const zm = Object.entries(entries).find(([name]) => name.includes('ZM_'))![1];
      return zmLines(zm).map((line) => [field(line, 12), field(line, 5)]);
    };
    expect(await orderIds('0331')).toEqual([[late.orderId, '0331225959']]);
    expect(await orderIds('0401')).toEqual([[next.orderId, '0331230000']]);
  });

  it('applies injected discrepancies to the file: missing, extra, amount and fee', async () => {
    const setup = sandboxWith(fixture, { at: NOON });
    const first = await consume(setup);
    const second = await consume(setup);
    moveTo(setup, BILL_TIME);
    setup.context.bills.add('unionpay', '2026-03-31', { kind: 'missing', key: first.orderId });
    setup.context.bills.add('unionpay', '2026-03-31', { kind: 'amount', key: second.orderId, delta: -100 });
    setup.context.bills.add('unionpay', '2026-03-31', { kind: 'fee', key: second.orderId, delta: 5 });
    setup.context.bills.add('unionpay', '2026-03-31', { kind: 'extra', key: 'EXTRA0001', amount: 999 });
    const answer = await call(setup, '/', fileRequest(BILL_TIME));
    const zm = Object.entries(unpack(answer.fileContent!)).find(([name]) => name.includes('ZM_'))![1];
    expect(zmLines(zm).map((line) => [field(line, 12), field(line, 7), field(line, 16), field(line, 17)])).toEqual([
      [second.orderId, '000000012700', 'D000000000082', 'C000000012618'],
      ['EXTRA0001', '000000000999', 'D000000000008', 'C000000000991'], // the 0.08 minimum fee
    ]);
  });

  it('answers 98 for a day without transactions, once its bill time has passed', async () => {
    const setup = sandboxWith(fixture, { at: BILL_TIME });
    const answer = await call(setup, '/', fileRequest(BILL_TIME));
    expect(answer).toMatchObject({ respCode: '98', respMsg: '文件不存在[当日无交易]' });
  });

  it('checks the request like every other: signature, fields, a txnTime that is now, a settleDate that is a date', async () => {
    const setup = sandboxWith(fixture, { at: BILL_TIME });
    const good = fileRequest(BILL_TIME);
    expect((await call(setup, '/', { ...good, settleDate: '0330' })).respCode).toBe('11'); // changed after signing
    expect((await call(setup, '/', fileRequest(BILL_TIME, { txnSubType: '02' }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { bizType: '000201' }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { fileType: '01' }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { settleDate: undefined }))).respCode).toBe('13');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { settleDate: '1332' }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { settleDate: '2026-03-31' }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { txnTime: beijing(new Date(BILL_TIME.getTime() - 3600_000)) }))).respCode).toBe('10');
    expect((await call(setup, '/', fileRequest(BILL_TIME, { merId: `${fixture.secrets.merId.slice(0, -1)}${(Number(fixture.secrets.merId.slice(-1)) + 1) % 10}` }))).respCode).toBe('31');
  });
});

describe('settleDate (MMDD) → clearing day', () => {
  it('is the latest such day that is not after the current clearing day', () => {
    const newYear = new Date('2026-01-01T02:00:00Z'); // 10:00 Beijing
    expect(settleDay('1231', newYear)).toBe('2025-12-31');
    expect(settleDay('0101', newYear)).toBe('2026-01-01');
    expect(settleDay('0102', newYear)).toBe('2025-01-02');
    // 23:30 on 03-31 is already clearing day 04-01.
    expect(settleDay('0401', new Date('2026-03-31T15:30:00Z'))).toBe('2026-04-01');
    expect(settleDay('0229', newYear)).toBeUndefined();
    expect(settleDay('0229', new Date('2028-03-01T02:00:00Z'))).toBe('2028-02-29');
    expect(settleDay('331', newYear)).toBeUndefined();
  });
});
