import { X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseForm, verifyMessage } from '../../../bff/channels/unionpay/crypto.ts';
import { QUERY_HOLD_MS } from './index.ts';
import {
  KeepingNotifier,
  beijing,
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

afterEach(() => {
  vi.useRealTimers();
});

const NOW = new Date('2026-05-01T04:00:00Z');

async function call(sandbox: UnionpaySandbox, path: string, fields: Record<string, string>) {
  const response = await postForm(sandbox, path, fields);
  expect(response.status).toBe(200);
  return readRaw(await response.text());
}

async function appOrder(setup: ReturnType<typeof sandboxWith>, overrides: Record<string, string | undefined> = {}) {
  const consume = signedBy(fixture.merchantKey, consumeFields(fixture, NOW, overrides));
  const answer = await call(setup.sandbox, '/gateway/api/appTransReq.do', consume);
  expect(answer.respCode).toBe('00');
  return { consume, tn: answer.tn! };
}

const query = (setup: ReturnType<typeof sandboxWith>, consume: Record<string, string>) =>
  postForm(setup.sandbox, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, consume.orderId!, consume.txnTime!)));

const without = (fields: Record<string, string>, ...names: string[]) => Object.fromEntries(Object.entries(fields).filter(([name]) => !names.includes(name)));

describe('forgeSignature: the same notification signed by an impostor', () => {
  it('payment and refund notifications carry a forged builder: same fields, a self-made certificate under UnionPay\u2019s names', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: NOW, notifier });
    const { consume } = await appOrder(setup);
    await setup.sandbox.pay(consume.orderId!);
    const queryId = setup.context.orders.get('unionpay', consume.orderId!)!.tradeNo;
    const refund = signedBy(fixture.merchantKey, refundFields(fixture, NOW, queryId, { reqReserved: consume.orderId }));
    expect((await call(setup.sandbox, '/gateway/api/backTransReq.do', refund)).respCode).toBe('00');

    expect(notifier.sent.map((n) => n.orderKey)).toEqual([consume.orderId, refund.orderId]);
    for (const notification of notifier.sent) {
      const honest = parseForm(notification.build().body);
      const forgedDelivery = notification.forged!();
      expect(forgedDelivery.headers).toEqual(notification.build().headers);
      const forged = parseForm(forgedDelivery.body);
      expect(verifyMessage(honest, fixture.trust).ok).toBe(true);
      expect(verifyMessage(forged, fixture.trust)).toEqual({ ok: false, reason: 'untrusted-certificate' });
      expect(without(forged, 'signature', 'signPubKeyCert')).toEqual(without(honest, 'signature', 'signPubKeyCert'));
      // An impostor, not noise: UnionPay's signer name, the middle CA as issuer, but not signed by it.
      const leaf = new X509Certificate(forged.signPubKeyCert!);
      const signer = new X509Certificate(fixture.secrets.signerCertificate);
      const middle = new X509Certificate(fixture.secrets.middleCertificate);
      expect(leaf.subject).toBe(signer.subject);
      expect(leaf.issuer).toBe(middle.subject);
      expect(leaf.verify(middle.publicKey)).toBe(false);
      expect(leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(signer.publicKey.export({ type: 'spki', format: 'der' }))).toBe(false);
    }
  });

  it('with the fault set, the notifier delivers only the forged message, retried as UnionPay retries', async () => {
    const bodies: string[] = [];
    const merchant: typeof fetch = async (_url, init) => {
      bodies.push(String(init?.body));
      return new Response('no', { status: 500 });
    };
    const setup = sandboxWith(fixture, { at: NOW, merchant });
    const { consume } = await appOrder(setup);
    setup.faults.set('unionpay', consume.orderId!, { forgeSignature: true });
    await setup.sandbox.pay(consume.orderId!);
    await vi.waitFor(() => expect(bodies).toHaveLength(5), { timeout: 5000, interval: 20 });
    expect(new Set(bodies).size).toBe(1);
    expect(verifyMessage(parseForm(bodies[0]!), fixture.trust)).toEqual({ ok: false, reason: 'untrusted-certificate' });
    expect(parseForm(bodies[0]!).orderId).toBe(consume.orderId);
    expect(setup.notifier.log.map((entry) => [entry.orderKey, entry.forged])).toEqual(Array.from({ length: 5 }, () => [consume.orderId, true]));
  });
});

describe('changeAmount: an authentic notification with another amount', () => {
  it('reports the scripted txnAmt (and settleAmt), correctly signed; queries still tell the truth', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: NOW, notifier });
    const { consume } = await appOrder(setup);
    setup.faults.set('unionpay', consume.orderId!, { changeAmount: 1 });
    await setup.sandbox.pay(consume.orderId!);
    const fields = parseForm(notifier.sent[0]!.build().body);
    expect(verifyMessage(fields, fixture.trust).ok).toBe(true);
    expect(fields).toMatchObject({ orderId: consume.orderId, txnAmt: '1', settleAmt: '1', respCode: '00' });
    const answer = readRaw(await (await query(setup, consume)).text());
    expect(answer).toMatchObject({ origRespCode: '00', txnAmt: '12800', settleAmt: '12800' });
  });

  it('on a refund, by the refund\u2019s own orderId', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: NOW, notifier });
    const { consume } = await appOrder(setup);
    await setup.sandbox.pay(consume.orderId!);
    const queryId = setup.context.orders.get('unionpay', consume.orderId!)!.tradeNo;
    const refund = signedBy(fixture.merchantKey, refundFields(fixture, NOW, queryId, { txnAmt: '5000' }));
    setup.faults.set('unionpay', refund.orderId!, { changeAmount: 4999 });
    await call(setup.sandbox, '/gateway/api/backTransReq.do', refund);
    const [payment, refunded] = notifier.sent.map((n) => parseForm(n.build().body));
    expect(payment).toMatchObject({ txnAmt: '12800' });
    expect(refunded).toMatchObject({ orderId: refund.orderId, txnType: '04', txnAmt: '4999', settleAmt: '4999' });
    expect(verifyMessage(refunded!, fixture.trust).ok).toBe(true);
  });
});

describe('queryFailure: the gateway fails queries about an order', () => {
  it('5xx × 2: two HTTP 500s, then the signed answer; other orders are unaffected', async () => {
    const setup = sandboxWith(fixture, { at: NOW });
    const { consume } = await appOrder(setup);
    const { consume: other } = await appOrder(setup);
    setup.faults.set('unionpay', consume.orderId!, { queryFailure: '5xx', queryFailures: 2 });
    expect((await query(setup, other)).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await query(setup, consume)).status);
    expect(statuses).toEqual([500, 500, 200]);
    const answer = readRaw(await (await query(setup, consume)).text());
    expect(answer).toMatchObject({ respCode: '00', origRespCode: '05' });
    expect(verifyMessage(answer, fixture.trust).ok).toBe(true);
  });

  it('timeout: holds the query for QUERY_HOLD_MS, then gives up (504); a client that leaves ends the hold', async () => {
    expect(QUERY_HOLD_MS).toBe(30_000);
    const setup = sandboxWith(fixture, { at: NOW });
    const { consume } = await appOrder(setup);
    setup.faults.set('unionpay', consume.orderId!, { queryFailure: 'timeout', queryFailures: 2 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled: Response | undefined;
    const held = query(setup, consume).then((response) => (settled = response));
    await vi.advanceTimersByTimeAsync(QUERY_HOLD_MS - 1);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await held;
    expect(settled?.status).toBe(504);

    const leaving = new AbortController();
    let early: Response | undefined;
    const abandoned = postForm(setup.sandbox, '/gateway/api/queryTrans.do', signedBy(fixture.merchantKey, queryFields(fixture, consume.orderId!, consume.txnTime!)), {
      signal: leaving.signal,
    }).then((response) => (early = response));
    await vi.advanceTimersByTimeAsync(1000);
    expect(early).toBeUndefined();
    leaving.abort();
    await abandoned;
    expect(early?.status).toBe(504);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    // Both failures used: the next query is answered.
    expect((await query(setup, consume)).status).toBe(200);
  });
});

describe('successAfterExpiry: the channel takes payment after payTimeout', () => {
  const shortLived = () => ({ payTimeout: beijing(new Date(NOW.getTime() + 61_000)) });

  it('without the fault an order past payTimeout cannot be paid by pay(), the app or the gateway page', async () => {
    const setup = sandboxWith(fixture, { at: NOW });
    const { consume, tn } = await appOrder(setup, shortLived());
    setup.context.clock.advance(62_000);
    const app = await setup.sandbox.app.request('/pay/unionpay/app', { method: 'POST', body: JSON.stringify({ tn }), headers: { 'content-type': 'application/json' } });
    expect(await app.json()).toEqual({ resultCode: 'fail' });
    await setup.sandbox.pay(consume.orderId!);
    expect(readRaw(await (await query(setup, consume)).text())).toMatchObject({ origRespCode: '01' });
  });

  it('the app stand-in pays an expired order; queries said 05 until then, 00 after; the notification goes out', async () => {
    const notifier = new KeepingNotifier();
    const setup = sandboxWith(fixture, { at: NOW, notifier });
    const { consume, tn } = await appOrder(setup, shortLived());
    setup.faults.set('unionpay', consume.orderId!, { successAfterExpiry: true });
    setup.context.clock.advance(62_000);
    // The channel's clock for this order starts late: not timed out.
    expect(readRaw(await (await query(setup, consume)).text())).toMatchObject({ respCode: '00', origRespCode: '05' });
    const app = await setup.sandbox.app.request('/pay/unionpay/app', { method: 'POST', body: JSON.stringify({ tn }), headers: { 'content-type': 'application/json' } });
    expect(await app.json()).toEqual({ resultCode: 'success' });
    expect(readRaw(await (await query(setup, consume)).text())).toMatchObject({ origRespCode: '00', txnAmt: '12800' });
    expect(notifier.sent.map((n) => n.orderKey)).toEqual([consume.orderId]);
  });

  it('the gateway page and pay(key) pay too — even an order a query had already closed as timed out', async () => {
    const setup = sandboxWith(fixture, { at: NOW });
    const front = signedBy(fixture.merchantKey, consumeFields(fixture, NOW, { channelType: '07', frontUrl: 'https://shop.example/return', ...shortLived() }));
    expect((await postForm(setup.sandbox, '/gateway/api/frontTransReq.do', front)).status).toBe(200);
    const { consume } = await appOrder(setup, shortLived());
    setup.faults.set('unionpay', front.orderId!, { successAfterExpiry: true });
    setup.context.clock.advance(62_000);
    const page = await setup.sandbox.app.request(`/pay/unionpay/gateway/${front.orderId}`, { method: 'POST', body: new URLSearchParams({ outcome: 'pay' }) });
    expect(await page.text()).toContain('支付成功');
    expect(setup.context.orders.get('unionpay', front.orderId!)?.status).toBe('paid');

    // Closed by a query first (no fault yet), then the fault: the channel takes the payment all the same.
    expect(readRaw(await (await query(setup, consume)).text()).origRespCode).toBe('01');
    setup.faults.set('unionpay', consume.orderId!, { successAfterExpiry: true });
    await setup.sandbox.pay(consume.orderId!);
    expect(readRaw(await (await query(setup, consume)).text())).toMatchObject({ origRespCode: '00' });
  });
});
