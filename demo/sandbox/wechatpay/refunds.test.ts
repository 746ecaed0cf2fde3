// The WeChat Pay sandbox's refunds as a merchant meets them over HTTP (§1.8): the refund and refund-query answers,
// out_refund_no idempotency, WeChat's rules (what is left, 50 refunds, one minute apart, one year), the trade turning
// REFUND, and the REFUND.* notifications with their encrypted `refund` resources.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aeadDecrypt, verifyResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import { startWechatpaySandbox, type RawAnswer, type WechatpayTestSandbox } from './testing.ts';

let t: WechatpayTestSandbox;
let merchant: Server;
let notifyUrl: string;
let received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let sequence = 0;

beforeAll(async () => {
  // Refunds stay PROCESSING until a test settles them: every state is observable.
  t = await startWechatpaySandbox({ refundProcessingMs: null });
  merchant = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify/wechatpay/refund`;
}, 60_000);

afterEach(() => {
  t.context.notifier.stop();
  received = [];
});

afterAll(async () => {
  await t?.close();
  merchant?.closeAllConnections();
  await new Promise<void>((resolve) => merchant?.close(() => resolve()));
});

const no = (prefix: string) => `${prefix}${Date.now()}${String((sequence += 1)).padStart(4, '0')}`;
const channelSeconds = () => Math.floor(t.context.clock.now().getTime() / 1000);

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

/** A paid order of `total` fen; returns its out_trade_no and transaction_id. */
async function paid(total = 12_800): Promise<{ outTradeNo: string; transactionId: string }> {
  const outTradeNo = no('WXR');
  const answer = await t.call('/v3/pay/transactions/native', {
    body: JSON.stringify({
      appid: t.credentials.appid,
      mchid: t.credentials.mchid,
      description: 'Celadon tea set',
      out_trade_no: outTradeNo,
      notify_url: 'https://shop.example/notify/wechatpay',
      amount: { total, currency: 'CNY' },
    }),
    // Signed on the channel's clock, which some tests move a year ahead.
    timestamp: channelSeconds(),
  });
  expect(answer.status).toBe(200);
  await t.sandbox.pay(outTradeNo);
  return { outTradeNo, transactionId: t.context.orders.get('wechatpay', outTradeNo)?.tradeNo ?? '' };
}

function refund(body: Record<string, unknown>): Promise<RawAnswer> {
  return t.call('/v3/refund/domestic/refunds', { body: JSON.stringify(body), timestamp: channelSeconds() });
}

function refundBody(order: { outTradeNo: string }, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    out_trade_no: order.outTradeNo,
    out_refund_no: no('RF'),
    reason: 'one cup broken',
    notify_url: notifyUrl,
    amount: { refund: 5000, total: 12_800, currency: 'CNY' },
    ...overrides,
  };
}

const queryRefund = (outRefundNo: string) => t.call(`/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`, { timestamp: channelSeconds() });
const queryOrder = (outTradeNo: string) => t.call(`/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${t.credentials.mchid}`, { timestamp: channelSeconds() });

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Moves the channel clock for the duration of `run`. */
async function later<T>(ms: number, run: () => Promise<T>): Promise<T> {
  t.context.clock.advance(ms);
  try {
    return await run();
  } finally {
    t.context.clock.advance(-ms);
  }
}

describe('POST /v3/refund/domestic/refunds', () => {
  it('takes a refund by out_trade_no and answers PROCESSING with the whole refund object, signed', async () => {
    const order = await paid();
    const body = refundBody(order);
    const answer = await refund(body);
    expect(answer.status, answer.text).toBe(200);
    expect(verified(answer)).toBe(true);
    const json = answer.json as Record<string, unknown>;
    expect(json).toEqual({
      amount: {
        currency: 'CNY',
        discount_refund: 0,
        payer_refund: 5000,
        payer_total: 12_800,
        refund: 5000,
        settlement_refund: 5000,
        settlement_total: 12_800,
        total: 12_800,
      },
      channel: 'ORIGINAL',
      create_time: json.create_time,
      funds_account: 'AVAILABLE',
      out_refund_no: body.out_refund_no,
      out_trade_no: order.outTradeNo,
      promotion_detail: [],
      refund_id: json.refund_id,
      status: 'PROCESSING',
      transaction_id: order.transactionId,
      user_received_account: '支付用户零钱',
    });
    expect(json.refund_id).toMatch(/^503\d{26}$/);
    expect(json.create_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    // The query answers the same object; the trade is still SUCCESS while the refund is only PROCESSING.
    const query = await queryRefund(String(body.out_refund_no));
    expect([query.status, query.json, verified(query)]).toEqual([200, json, true]);
    expect(await queryOrder(order.outTradeNo)).toMatchObject({ json: { trade_state: 'SUCCESS' } });
  });

  it('takes transaction_id instead of out_trade_no, and transaction_id wins when both are given', async () => {
    const order = await paid();
    const other = await paid();
    const byId = await refund(refundBody(order, { out_trade_no: undefined, transaction_id: order.transactionId }));
    expect([byId.status, (byId.json as { out_trade_no: string }).out_trade_no]).toEqual([200, order.outTradeNo]);
    const both = await refund(refundBody(other, { transaction_id: order.transactionId, out_trade_no: other.outTradeNo }));
    // Same order as the first refund, within its minute: the interval rule shows which order was meant.
    expect([both.status, (both.json as { code: string }).code]).toEqual([429, 'FREQUENCY_LIMITED']);
  });

  it('answers the same refund for the same out_refund_no, moving no more money; another amount is refused', async () => {
    const order = await paid();
    const body = refundBody(order);
    const first = await refund(body);
    const again = await refund(body);
    expect([again.status, again.json]).toEqual([200, first.json]);
    // Only one refund exists: after the minute, the other 7,800 fen can still be refunded, and not a fen more.
    await later(61_000, async () => {
      expect((await refund(refundBody(order, { amount: { refund: 7801, total: 12_800, currency: 'CNY' } }))).json).toEqual({
        code: 'INVALID_REQUEST',
        message: '申请退款金额超过订单可退金额',
      });
      expect((await refund(refundBody(order, { amount: { refund: 7800, total: 12_800, currency: 'CNY' } }))).status).toBe(200);
    });
    const changed = await refund({ ...body, amount: { refund: 5001, total: 12_800, currency: 'CNY' } });
    expect([changed.status, changed.json]).toEqual([400, { code: 'INVALID_REQUEST', message: '订单金额或退款金额与之前请求不一致，请核实后再试' }]);
    expect(verified(changed)).toBe(true);
    // out_refund_no is the merchant's, not the order's: it cannot name a refund of another order.
    const elsewhere = await refund({ ...body, out_trade_no: (await paid()).outTradeNo });
    expect([elsewhere.status, (elsewhere.json as { code: string }).code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('refuses what is more than is left before it asks for the minute between refunds of one order', async () => {
    const order = await paid();
    expect((await refund(refundBody(order))).status).toBe(200);
    const tooMuch = await refund(refundBody(order, { amount: { refund: 7801, total: 12_800, currency: 'CNY' } }));
    expect([tooMuch.status, tooMuch.json]).toEqual([400, { code: 'INVALID_REQUEST', message: '申请退款金额超过订单可退金额' }]);
    const tooSoon = await refund(refundBody(order, { amount: { refund: 100, total: 12_800, currency: 'CNY' } }));
    expect([tooSoon.status, tooSoon.json]).toEqual([429, { code: 'FREQUENCY_LIMITED', message: '同一笔订单多次退款的请求需相隔1分钟' }]);
    expect(verified(tooSoon)).toBe(true);
    // 59 s is still too soon; 60 s is not.
    expect((await later(59_000, () => refund(refundBody(order, { amount: { refund: 100, total: 12_800, currency: 'CNY' } })))).status).toBe(429);
    expect((await later(60_000, () => refund(refundBody(order, { amount: { refund: 100, total: 12_800, currency: 'CNY' } })))).status).toBe(200);
  });

  it('says the order is fully refunded once it is, and wants the order’s own total', async () => {
    const order = await paid(300);
    const whole = { refund: 300, total: 300, currency: 'CNY' };
    expect((await refund(refundBody(order, { amount: whole }))).status).toBe(200);
    await later(61_000, async () => {
      expect((await refund(refundBody(order, { amount: { refund: 1, total: 300, currency: 'CNY' } }))).json).toEqual({ code: 'INVALID_REQUEST', message: '订单已全额退款' });
    });
    const other = await paid(300);
    expect((await refund(refundBody(other, { amount: { refund: 1, total: 301, currency: 'CNY' } }))).json).toEqual({
      code: 'INVALID_REQUEST',
      message: '订单金额与原订单金额不一致，请核实后再试',
    });
  });

  it('takes at most 50 refunds of one order', async () => {
    const order = await paid(100);
    let shift = 0;
    try {
      for (let i = 0; i < 50; i += 1) {
        const answer = await refund(refundBody(order, { amount: { refund: 1, total: 100, currency: 'CNY' } }));
        expect(answer.status, `refund ${i + 1}: ${answer.text}`).toBe(200);
        t.context.clock.advance(61_000);
        shift += 61_000;
      }
      const fiftyFirst = await refund(refundBody(order, { amount: { refund: 1, total: 100, currency: 'CNY' } }));
      expect([fiftyFirst.status, fiftyFirst.json]).toEqual([400, { code: 'INVALID_REQUEST', message: '每个支付订单的部分退款次数不能超过50次' }]);
    } finally {
      t.context.clock.advance(-shift);
    }
  });

  it('refunds within a year of the payment and not after', async () => {
    const order = await paid();
    expect((await later(365 * 86_400_000 - 60_000, () => refund(refundBody(order)))).status).toBe(200);
    const late = await paid();
    const answer = await later(365 * 86_400_000 + 1000, () => refund(refundBody(late)));
    expect([answer.status, answer.json]).toEqual([400, { code: 'INVALID_REQUEST', message: '交易时间超过一年的订单无法提交退款' }]);
  });

  it('finds no payment to refund for an unpaid order or one it never saw: 404 RESOURCE_NOT_EXISTS', async () => {
    const unpaid = no('WXU');
    await t.call('/v3/pay/transactions/native', {
      body: JSON.stringify({
        appid: t.credentials.appid,
        mchid: t.credentials.mchid,
        description: 'Celadon tea set',
        out_trade_no: unpaid,
        notify_url: 'https://shop.example/notify/wechatpay',
        amount: { total: 12_800, currency: 'CNY' },
      }),
    });
    for (const outTradeNo of [unpaid, no('WXN')]) {
      const answer = await refund(refundBody({ outTradeNo }));
      expect([answer.status, answer.json]).toEqual([404, { code: 'RESOURCE_NOT_EXISTS', message: '订单号不存在' }]);
    }
  });

  it.each([
    ['neither transaction_id nor out_trade_no', { out_trade_no: undefined }],
    ['no out_refund_no', { out_refund_no: undefined }],
    ['an out_refund_no with #', { out_refund_no: 'RF#1' }],
    ['an out_refund_no of 65 characters', { out_refund_no: 'R'.repeat(65) }],
    ['a reason of 81 characters', { reason: '碎'.repeat(81) }],
    ['a notify_url with a query', { notify_url: 'https://shop.example/refund?x=1' }],
    ['funds_account UNSETTLED', { funds_account: 'UNSETTLED' }],
    ['no amount', { amount: undefined }],
    ['a refund of 0', { amount: { refund: 0, total: 12_800, currency: 'CNY' } }],
    ['a refund of 1.5 fen', { amount: { refund: 1.5, total: 12_800, currency: 'CNY' } }],
    ['a refund above the total', { amount: { refund: 12_801, total: 12_800, currency: 'CNY' } }],
    ['no currency', { amount: { refund: 100, total: 12_800 } }],
  ] as const)('refuses %s with 400 PARAM_ERROR', async (_name, overrides) => {
    const order = await paid();
    const answer = await refund(refundBody(order, overrides));
    expect([answer.status, (answer.json as { code: string }).code]).toEqual([400, 'PARAM_ERROR']);
    expect(verified(answer)).toBe(true);
  });

  it('accepts a reason of exactly 80 characters and the whole out_refund_no alphabet', async () => {
    const order = await paid();
    const outRefundNo = `Rf09_-|*@${'x'.repeat(55)}`;
    const answer = await refund(refundBody(order, { reason: '碎'.repeat(80), out_refund_no: outRefundNo }));
    expect(answer.status, answer.text).toBe(200);
    expect((await queryRefund(outRefundNo)).status).toBe(200);
  });

  it('checks the merchant’s signature first', async () => {
    const order = await paid();
    const answer = await t.call('/v3/refund/domestic/refunds', { body: JSON.stringify(refundBody(order)), authorization: null });
    expect([answer.status, (answer.json as { code: string }).code]).toEqual([401, 'SIGN_ERROR']);
    const query = await t.call('/v3/refund/domestic/refunds/RF1', { authorization: null });
    expect(query.status).toBe(401);
  });
});

describe('GET /v3/refund/domestic/refunds/{out_refund_no}', () => {
  it('says RESOURCE_NOT_EXISTS for a refund number it never saw', async () => {
    const answer = await queryRefund(no('RF'));
    expect([answer.status, answer.json, verified(answer)]).toEqual([404, { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' }, true]);
  });
});

describe('refund results', () => {
  it('SUCCESS: success_time, trade_state REFUND, and REFUND.SUCCESS to the refund’s notify_url with the refund resource', async () => {
    const order = await paid();
    const body = refundBody(order);
    const outRefundNo = String(body.out_refund_no);
    const created = (await refund(body)).json as { refund_id: string };
    expect(t.sandbox.settleRefund(outRefundNo, 'SUCCESS')).toBe(true);
    // Settled once: a PROCESSING refund only.
    expect(t.sandbox.settleRefund(outRefundNo, 'CLOSED')).toBe(false);

    const query = (await queryRefund(outRefundNo)).json as Record<string, unknown>;
    expect(query).toMatchObject({ status: 'SUCCESS', refund_id: created.refund_id, amount: { refund: 5000 } });
    expect(query.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(Math.abs(Date.parse(String(query.success_time)) - t.context.clock.now().getTime())).toBeLessThan(2000);
    expect(await queryOrder(order.outTradeNo)).toMatchObject({
      json: { trade_state: 'REFUND', trade_state_desc: '转入退款', transaction_id: order.transactionId, amount: { total: 12_800, payer_total: 12_800 } },
    });

    await until(() => received.length === 1);
    const [delivery] = received;
    if (!delivery) throw new Error('no delivery');
    const signed = {
      timestamp: String(delivery.headers['wechatpay-timestamp']),
      nonce: String(delivery.headers['wechatpay-nonce']),
      signature: String(delivery.headers['wechatpay-signature']),
      serial: String(delivery.headers['wechatpay-serial']),
    };
    expect(signed.serial).toBe(t.secrets.platformPublicKeyId);
    expect(verifyResponse({ ...signed, body: delivery.body }, t.credentials.platformPublicKeys, channelSeconds())).toEqual({ ok: true });
    const envelope = JSON.parse(delivery.body) as { id: string; resource: { ciphertext: string; nonce: string; associated_data: string } } & Record<string, unknown>;
    expect(envelope).toMatchObject({
      resource_type: 'encrypt-resource',
      event_type: 'REFUND.SUCCESS',
      summary: '退款成功',
      resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', associated_data: 'refund' },
    });
    const resource = JSON.parse(
      aeadDecrypt({ key: t.credentials.apiV3Key, nonce: envelope.resource.nonce, associatedData: 'refund', ciphertext: envelope.resource.ciphertext }),
    ) as Record<string, unknown>;
    expect(resource).toEqual({
      amount: { payer_refund: 5000, payer_total: 12_800, refund: 5000, total: 12_800 },
      mchid: t.credentials.mchid,
      out_refund_no: outRefundNo,
      out_trade_no: order.outTradeNo,
      refund_id: created.refund_id,
      refund_status: 'SUCCESS',
      success_time: query.success_time,
      transaction_id: order.transactionId,
      user_received_account: '支付用户零钱',
    });
    expect(() => aeadDecrypt({ key: t.credentials.apiV3Key, nonce: envelope.resource.nonce, associatedData: 'transaction', ciphertext: envelope.resource.ciphertext })).toThrow();
  });

  it.each([
    ['ABNORMAL', 'REFUND.ABNORMAL', '退款异常', 0],
    ['CLOSED', 'REFUND.CLOSED', '退款关闭', 5000],
  ] as const)('%s: %s (%s), no success_time, and %i fen refundable again', async (status, eventType, summary, refundableAgain) => {
    const order = await paid();
    const body = refundBody(order);
    await refund(body);
    expect(t.sandbox.settleRefund(String(body.out_refund_no), status)).toBe(true);
    const query = (await queryRefund(String(body.out_refund_no))).json as Record<string, unknown>;
    expect(query.status).toBe(status);
    expect(query).not.toHaveProperty('success_time');
    expect(await queryOrder(order.outTradeNo)).toMatchObject({ json: { trade_state: 'SUCCESS' } });

    await until(() => received.length === 1);
    const envelope = JSON.parse(received[0]?.body ?? '') as { event_type: string; summary: string; resource: { ciphertext: string; nonce: string } };
    expect([envelope.event_type, envelope.summary]).toEqual([eventType, summary]);
    const resource = JSON.parse(aeadDecrypt({ key: t.credentials.apiV3Key, nonce: envelope.resource.nonce, associatedData: 'refund', ciphertext: envelope.resource.ciphertext })) as Record<string, unknown>;
    expect(resource).toMatchObject({ refund_status: status, out_refund_no: body.out_refund_no });
    expect(resource).not.toHaveProperty('success_time');

    // A closed refund gives its money back to what can be refunded; an abnormal one has left the account.
    const left = 12_800 - 5000 + refundableAgain;
    await later(61_000, async () => {
      expect((await refund(refundBody(order, { amount: { refund: left + 1, total: 12_800, currency: 'CNY' } }))).status).toBe(400);
      expect((await refund(refundBody(order, { amount: { refund: left, total: 12_800, currency: 'CNY' } }))).status).toBe(200);
    });
  });

  it('sends nothing for a refund without a notify_url (WeChat would use the portal’s, which the sandbox has not)', async () => {
    const order = await paid();
    const body = refundBody(order, { notify_url: undefined });
    await refund(body);
    expect(t.sandbox.settleRefund(String(body.out_refund_no), 'SUCCESS')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(0);
  });

  it('settles a refund whose processing time has passed on the channel clock when it is read (timers lost in a restart)', async () => {
    const slow = await startWechatpaySandbox({ refundProcessingMs: 60_000 });
    try {
      const outTradeNo = no('WXS');
      await slow.call('/v3/pay/transactions/native', {
        body: JSON.stringify({
          appid: slow.credentials.appid,
          mchid: slow.credentials.mchid,
          description: 'Celadon tea set',
          out_trade_no: outTradeNo,
          notify_url: 'https://shop.example/notify/wechatpay',
          amount: { total: 12_800, currency: 'CNY' },
        }),
      });
      await slow.sandbox.pay(outTradeNo);
      const body = refundBody({ outTradeNo });
      await slow.call('/v3/refund/domestic/refunds', { body: JSON.stringify(body) });
      const read = () => slow.call(`/v3/refund/domestic/refunds/${String(body.out_refund_no)}`, { timestamp: Math.floor(slow.context.clock.now().getTime() / 1000) });
      slow.context.clock.advance(59_000);
      expect((await read()).json).toMatchObject({ status: 'PROCESSING' });
      slow.context.clock.advance(1000);
      expect((await read()).json).toMatchObject({ status: 'SUCCESS' });
      await until(() => received.length === 1);
      expect(JSON.parse(received[0]?.body ?? '')).toMatchObject({ event_type: 'REFUND.SUCCESS' });
    } finally {
      await slow.close();
    }
  });

  it('succeeds on its own after refundProcessingMs, notifying once', async () => {
    const quick = await startWechatpaySandbox({ refundProcessingMs: 30 });
    try {
      const outTradeNo = no('WXQ');
      await quick.call('/v3/pay/transactions/native', {
        body: JSON.stringify({
          appid: quick.credentials.appid,
          mchid: quick.credentials.mchid,
          description: 'Celadon tea set',
          out_trade_no: outTradeNo,
          notify_url: 'https://shop.example/notify/wechatpay',
          amount: { total: 12_800, currency: 'CNY' },
        }),
      });
      await quick.sandbox.pay(outTradeNo);
      const body = refundBody({ outTradeNo });
      const answer = await quick.call('/v3/refund/domestic/refunds', { body: JSON.stringify(body) });
      expect((answer.json as { status: string }).status).toBe('PROCESSING');
      await until(() => received.length === 1);
      const query = await quick.call(`/v3/refund/domestic/refunds/${String(body.out_refund_no)}`);
      expect((query.json as { status: string }).status).toBe('SUCCESS');
      expect(JSON.parse(received[0]?.body ?? '')).toMatchObject({ event_type: 'REFUND.SUCCESS' });
    } finally {
      await quick.close();
    }
  });
});
