import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseForm, verifyMessage } from '../../../bff/channels/unionpay/crypto.ts';
import {
  KeepingNotifier,
  consumeFields,
  postForm,
  queryFields,
  readRaw,
  refundFields,
  sandboxWith,
  signedBy,
  unionpayFixture,
  type UnionpayFixture,
  type UnionpaySandbox,
} from './testing.ts';

let fixture: UnionpayFixture;

beforeAll(() => {
  fixture = unionpayFixture();
}, 30_000);

/** 2026-03-31 12:00:00 in Beijing. */
const PAID_AT = new Date('2026-03-31T04:00:00Z');

async function call(sandbox: UnionpaySandbox, path: string, fields: Record<string, string>) {
  const response = await postForm(sandbox, path, fields);
  expect(response.status).toBe(200);
  const answer = readRaw(await response.text());
  expect(verifyMessage(answer, fixture.trust).ok, `answer ${answer.respCode} must verify`).toBe(true);
  return answer;
}

/** A consume made and paid at the sandbox's clock; its queryId is what refunds name. */
async function paidConsume(setup: ReturnType<typeof sandboxWith>, at: Date) {
  const consume = signedBy(fixture.merchantKey, consumeFields(fixture, at));
  expect((await call(setup.sandbox, '/gateway/api/appTransReq.do', consume)).respCode).toBe('00');
  await setup.sandbox.pay(consume.orderId!);
  const paid = await call(setup.sandbox, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, consume.orderId!, consume.txnTime!)));
  expect(paid.origRespCode).toBe('00');
  return { consume, queryId: paid.queryId! };
}

const refund = (at: Date, origQryId: string, overrides: Record<string, string | undefined> = {}) =>
  signedBy(fixture.merchantKey, refundFields(fixture, at, origQryId, overrides));

describe('backTransReq.do: refund (txnType 04)', () => {
  it('accepts a refund of a paid consume: 00 naming both transactions, settled at once, queried by its own orderId + txnTime', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: PAID_AT, notifier });
    const { consume, queryId } = await paidConsume(setup, PAID_AT);
    const request = refund(PAID_AT, queryId, { reqReserved: consume.orderId });

    const answer = await call(setup.sandbox, '/gateway/api/backTransReq.do', request);
    const stored = setup.context.orders.get('unionpay', request.orderId!)!;
    expect(answer).toMatchObject({
      respCode: '00',
      respMsg: 'success',
      txnType: '04',
      txnSubType: '00',
      bizType: '000201',
      merId: fixture.secrets.merId,
      orderId: request.orderId,
      txnTime: request.txnTime,
      origQryId: queryId,
      txnAmt: '5000',
      reqReserved: consume.orderId,
      queryId: stored.tradeNo,
    });
    expect(answer.queryId).toMatch(/^\d{21}$/);
    expect(answer.queryId).not.toBe(queryId);
    expect(stored).toMatchObject({ product: 'refund', amount: 5000, status: 'paid', notifyUrl: 'https://shop.example/notify/unionpay/refund' });

    const queried = await call(setup.sandbox, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, request.orderId!, request.txnTime!)));
    expect(queried).toMatchObject({
      respCode: '00',
      origRespCode: '00',
      txnType: '04',
      txnSubType: '00',
      orderId: request.orderId,
      txnTime: request.txnTime,
      txnAmt: '5000',
      settleAmt: '5000',
      queryId: answer.queryId,
      // 12:00 Beijing is before the 23:00 cut-off: the same clearing day.
      settleDate: '0331',
      traceTime: request.txnTime!.slice(4),
      reqReserved: consume.orderId,
    });
    // The consume itself still reads as paid, for its whole amount.
    const original = await call(setup.sandbox, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, consume.orderId!, consume.txnTime!)));
    expect(original).toMatchObject({ origRespCode: '00', txnAmt: '12800', queryId });
  });

  it('sends the refund\u2019s back notification to the refund\u2019s backUrl: signed, form-encoded, naming the consume by origQryId', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: PAID_AT, notifier });
    const { consume, queryId } = await paidConsume(setup, PAID_AT);
    const request = refund(PAID_AT, queryId, { reqReserved: consume.orderId });
    const answer = await call(setup.sandbox, '/gateway/api/backTransReq.do', request);

    expect(notifier.sent.map((n) => [n.orderKey, n.url])).toEqual([
      [consume.orderId, 'https://shop.example/notify/unionpay'],
      [request.orderId, 'https://shop.example/notify/unionpay/refund'],
    ]);
    const delivery = notifier.sent[1]!.build();
    expect(delivery.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' });
    const fields = parseForm(delivery.body);
    expect(verifyMessage(fields, fixture.trust).ok).toBe(true);
    const { signature, signPubKeyCert, ...rest } = fields;
    expect(signPubKeyCert).toBe(fixture.secrets.signerCertificate);
    expect(signature).toBeTruthy();
    expect(rest).toEqual({
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      txnType: '04',
      txnSubType: '00',
      bizType: '000201',
      accessType: '0',
      merId: fixture.secrets.merId,
      orderId: request.orderId,
      txnTime: request.txnTime,
      txnAmt: '5000',
      currencyCode: '156',
      reqReserved: consume.orderId,
      queryId: answer.queryId,
      origQryId: queryId,
      traceNo: expect.stringMatching(/^\d{6}$/),
      traceTime: request.txnTime!.slice(4),
      settleAmt: '5000',
      settleCurrencyCode: '156',
      settleDate: '0331',
      respCode: '00',
      respMsg: 'success',
    });
    // Every delivery is the same signed message.
    expect(notifier.sent[1]!.build().body).toBe(delivery.body);
  });

  it('refunds in parts up to the consume\u2019s amount; beyond what is left is 33 and moves nothing', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, { txnAmt: '5000' }))).respCode).toBe('00');
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, { txnAmt: '7801' }))).toMatchObject({
      respCode: '33',
      respMsg: '交易金额超限[可退金额7800分]',
    });
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, { txnAmt: '7800' }))).respCode).toBe('00');
    const refused = refund(PAID_AT, queryId, { txnAmt: '1' });
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', refused)).toMatchObject({ respCode: '33', respMsg: '交易金额超限[可退金额0分]' });
    expect(setup.context.orders.get('unionpay', refused.orderId!)).toBeUndefined();
    expect(
      setup.context.orders
        .list()
        .filter((order) => order.product === 'refund')
        .map((order) => order.amount)
        .sort(),
    ).toEqual([5000, 7800]);
  });

  it('a used orderId is 12 重复交易 — the same refund sent again, or a consume\u2019s orderId — and moves no money twice', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { consume, queryId } = await paidConsume(setup, PAID_AT);
    const first = refund(PAID_AT, queryId, { txnAmt: '12800' });
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', first)).respCode).toBe('00');
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', first)).toMatchObject({ respCode: '12', respMsg: '重复交易', orderId: first.orderId });
    const reusingConsume = refund(PAID_AT, queryId, { orderId: consume.orderId, txnAmt: '1' });
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', reusingConsume)).respCode).toBe('12');
    expect(setup.context.orders.list().filter((order) => order.product === 'refund')).toHaveLength(1);
  });

  it('35 when origQryId names no paid consume of this merchant: unknown, unpaid, or a refund', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    const unknown = await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, '782603311200001234567'));
    expect(unknown).toMatchObject({ respCode: '35', respMsg: '原交易不存在或状态不正确' });

    const unpaid = signedBy(fixture.merchantKey, consumeFields(fixture, PAID_AT));
    await call(setup.sandbox, '/gateway/api/appTransReq.do', unpaid);
    const unpaidQueryId = setup.context.orders.get('unionpay', unpaid.orderId!)!.tradeNo;
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, unpaidQueryId))).respCode).toBe('35');

    const done = await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, { txnAmt: '100' }));
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, done.queryId!, { txnAmt: '100' }))).respCode).toBe('35');
  });

  it.each([
    ['origQryId missing', { origQryId: undefined }, '13', 'origQryId不能为空'],
    ['origQryId not 21 digits', { origQryId: 'ABC123' }, '10', 'origQryId无效'],
    ['txnAmt in yuan', { txnAmt: '50.00' }, '10', 'txnAmt无效'],
    ['currencyCode USD', { currencyCode: '840' }, '10', 'currencyCode无效'],
    ['txnSubType 01', { txnSubType: '01' }, '10', 'txnType或txnSubType无效'],
    ['no backUrl', { backUrl: undefined }, '13', 'backUrl不能为空'],
    ['orderId with "_"', { orderId: 'REFUND_0001' }, '10', 'orderId格式错误[8-32位数字字母]'],
  ] as const)('refuses a refund with %s', async (_, overrides, respCode, respMsg) => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, overrides))).toMatchObject({ respCode, respMsg });
  });

  it('takes currencyCode 156 when sent, and refuses a txnTime that is not now (10)', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(PAID_AT, queryId, { currencyCode: '156', txnAmt: '1' }))).respCode).toBe('00');
    const stale = refund(new Date(PAID_AT.getTime() - 11 * 60_000), queryId, { txnAmt: '1' });
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', stale)).toMatchObject({ respCode: '10', respMsg: 'txnTime无效' });
  });

  it('refunds for 11 months after the payment (RULEBOOK), on the sandbox\u2019s clock: 2026-03-31 12:00 → 2027-02-28 12:00', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    // 31 March + 11 months has no 31st: the window ends on the last day of February, at the time of payment.
    const deadline = new Date('2027-02-28T04:00:00Z');
    setup.context.clock.advance(deadline.getTime() - PAID_AT.getTime());
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(deadline, queryId, { txnAmt: '100' }))).respCode).toBe('00');
    setup.context.clock.advance(1000);
    const late = new Date(deadline.getTime() + 1000);
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', refund(late, queryId, { txnAmt: '100' }))).toMatchObject({
      respCode: '35',
      respMsg: '原交易不存在或状态不正确[超过退货期限11个月]',
    });
  });

  it('checks the envelope first: another key is 11; voids (31) and other back transactions are refused with 10 — all signed', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', signedBy(foreign, refundFields(fixture, PAID_AT, queryId)))).toMatchObject({
      respCode: '11',
      respMsg: '验证签名失败',
    });
    const tampered = { ...refund(PAID_AT, queryId), txnAmt: '12800' };
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', tampered)).respCode).toBe('11');
    const voiding = refund(PAID_AT, queryId, { txnType: '31' });
    expect(await call(setup.sandbox, '/gateway/api/backTransReq.do', voiding)).toMatchObject({ respCode: '10', respMsg: 'txnType无效[沙箱仅支持退货04]', txnType: '31' });
    expect(setup.context.orders.list().filter((order) => order.product === 'refund')).toHaveLength(0);
  });

  it('a refund is not a payment: the gateway page, the app stand-in and pay/fail leave it as it is', async () => {
    const setup = sandboxWith(fixture, { at: PAID_AT });
    const { queryId } = await paidConsume(setup, PAID_AT);
    const request = refund(PAID_AT, queryId);
    await call(setup.sandbox, '/gateway/api/backTransReq.do', request);
    const page = await setup.sandbox.app.request(`/pay/unionpay/gateway/${request.orderId}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }) });
    expect(page.status).toBe(404);
    await setup.sandbox.fail(request.orderId!);
    await setup.sandbox.pay(request.orderId!);
    expect(setup.context.orders.get('unionpay', request.orderId!)).toMatchObject({ status: 'paid', amount: 5000, product: 'refund' });
    // The refund's signed fields posted to the front gateway are a duplicate orderId, not a pay page.
    const front = await postForm(setup.sandbox, '/gateway/api/frontTransReq.do', request);
    expect(front.status).toBe(400);
    expect(await front.text()).toContain('<code>12</code>');
  });
});
