import { effect, untracked } from '@preact/signals';
import { afterEach, describe, expect, it } from 'vitest';
import type { Option, PayResponse, SessionResponse } from '../api/types.ts';
import { WidgetError } from '../errors.ts';
import type { CheckoutEvent } from '../events.ts';
import type { Chunks, JsapiAction, SheetResult } from '../in-app/types.ts';
import { CheckoutModel, disposeModel, type CheckoutDeps } from './CheckoutModel.ts';
import { FakeApi, FakeHost, TEST_TOKEN, flush } from './testing.ts';

const SERVER_NOW = '2026-11-27T10:00:00.000Z';
const ORDER_ENDS = '2026-11-27T10:30:00.000Z';

const option = (id: string, action: Option['action'], extra: Partial<Option> = {}): Option => ({
  id,
  channel: id.split(':')[0] as Option['channel'],
  product: id.split(':')[1] ?? null,
  action,
  recommended: false,
  degraded: false,
  ...extra,
});

function sessionFor(options: Option[], status: SessionResponse['order']['status'] = 'open'): SessionResponse {
  return {
    order: { id: 'ord_1', merchantName: 'Celadon Tea House', amount: 128_000, currency: 'CNY', subject: 'Tea set', status },
    serverTime: SERVER_NOW,
    expiresAt: ORDER_ENDS,
    terminal: { kind: 'pc', evidence: [], os: 'linux', device: 'desktop', host: null },
    options: options.map((o, i) => ({ ...o, recommended: i === 0 })),
    unavailable: [
      { channel: 'paypal', reason: 'disabled', detail: 'not enabled' },
      { channel: 'jdpay', reason: 'not-supported-here', detail: '…' },
    ],
  };
}

const PC_OPTIONS = [
  option('wechatpay:native', 'qr'),
  option('alipay:precreate', 'qr'),
  option('alipay:page', 'redirect'),
  option('unionpay:gateway', 'form'),
];
const QR: PayResponse = { attemptId: 'att_1', action: { kind: 'qr', codeUrl: 'http://sandbox/pay?pr=1', expiresAt: ORDER_ENDS } };

let models: CheckoutModel[] = [];
let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  for (const model of models) disposeModel(model);
  models = [];
  stops = [];
});

interface OpenSheet {
  readonly kind: 'jsapi' | 'app';
  readonly request: unknown;
  close(result: SheetResult): void;
}

function setup(session = sessionFor(PC_OPTIONS), overrides: Partial<CheckoutDeps> = {}) {
  const host = new FakeHost();
  const api = new FakeApi(session, host.now);
  const events: CheckoutEvent[] = [];
  const loads: string[] = [];
  /** Pay sheets the chunks opened, to be closed by the test as the customer would. */
  const sheets: OpenSheet[] = [];
  const pages: string[] = [];
  const opening = (kind: OpenSheet['kind'], request: unknown) =>
    new Promise<SheetResult>((resolve) => sheets.push({ kind, request, close: resolve }));
  const chunks: Chunks = {
    qr: { encodeQr: (text) => ({ size: 21, path: `M0 0h1v1h-1z<!--${text}-->` }), QrView: () => null },
    handoff: { HandoffSheet: () => null },
    jsapi: { invoke: (_win, action) => opening('jsapi', action) },
    app: { payInApp: (_win, request) => opening('app', request) },
    miniprogram: {
      openPayPage: async (_win, url) => {
        pages.push(url);
      },
    },
  };
  let failing: string | undefined;
  const loadChunk = (async (name: keyof Chunks) => {
    loads.push(name);
    if (name === failing) throw new Error('offline');
    return chunks[name];
  }) as CheckoutDeps['loadChunk'];
  const model = new CheckoutModel({
    api,
    host,
    evidence: { maxTouchPoints: 0 },
    loadChunk,
    token: TEST_TOKEN,
    returnUrl: 'https://shop.example/checkout?session=cs_1',
    onEvent: (event) => events.push(event),
    pollIntervalMs: 2000,
    ...overrides,
  });
  models.push(model);
  // As the root view does: once something other than "loading" is on screen, the widget is ready.
  const stop = effect(() => {
    if (model.phase.value !== 'loading') untracked(() => model.shown());
  });
  stops.push(stop);
  return {
    model,
    host,
    api,
    events,
    sheets,
    pages,
    loads,
    qrLoads: () => loads.filter((name) => name === 'qr').length,
    failChunk: (name: string) => {
      failing = name;
    },
  };
}

/** The events after `ready` (which every widget sends first). */
const types = (events: CheckoutEvent[]) => {
  expect(events[0]?.type).toBe('ready');
  return events.slice(1).map((e) => e.type);
};

describe('loading', () => {
  it('shows the options, the recommended one selected, and says ready once shown', async () => {
    const { model, events, qrLoads } = setup();
    expect(model.phase.value).toBe('loading');
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(model.options.value.map((o) => o.id)).toEqual(PC_OPTIONS.map((o) => o.id));
    expect(model.selected.value?.id).toBe('wechatpay:native');
    model.shown();
    expect(events).toEqual([{ type: 'ready', orderId: 'ord_1' }]);
    // The QR chunk is not on the critical path.
    expect(qrLoads()).toBe(0);
  });

  it('tells the customer about channels unavailable here, never about ones the merchant did not enable', async () => {
    const { model } = setup();
    await flush();
    expect(model.unavailable.value).toEqual([{ channel: 'jdpay', reason: 'not-supported-here', detail: '…' }]);
  });

  it('an order already paid shows success at once', async () => {
    const { model, events } = setup(sessionFor(PC_OPTIONS, 'succeeded'));
    await flush();
    expect(model.phase.value).toBe('succeeded');
    // Held until the widget is ready, then sent in order.
    expect(events.map((e) => e.type)).toEqual(['ready', 'succeeded']);
  });

  it('a session that cannot load shows the error and can be retried', async () => {
    const { model, api } = setup();
    const good = api.sessionAnswer;
    api.sessionAnswer = new WidgetError('network', 'down');
    await model.load();
    expect(model.phase.value).toBe('error');
    expect(model.error.value).toBe('network');
    api.sessionAnswer = good;
    await model.load();
    expect(model.phase.value).toBe('choosing');
  });
});

describe('paying with a QR code', () => {
  it('loads the QR chunk only now, shows the code, and succeeds only when the BFF says so', async () => {
    const { model, api, events, qrLoads } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    await flush();
    expect(qrLoads()).toBe(1);
    expect(model.phase.value).toBe('qr');
    expect(model.qr.value?.path).toContain('http://sandbox/pay?pr=1');
    expect(types(events)).toEqual(['option-selected', 'pending']);
    expect(api.payRequests[0]).toEqual({ optionId: 'wechatpay:native', evidence: { maxTouchPoints: 0 } });

    // The stream says the attempt is pending, then the channel's notification lands: only then success.
    api.openStream?.push({ ...api.statusNow(), status: 'paying', attempt: { id: 'att_1', optionId: 'wechatpay:native', status: 'pending' } });
    expect(model.phase.value).toBe('qr');
    api.openStream?.push({ ...api.statusNow(), status: 'succeeded', version: 3 });
    expect(model.phase.value).toBe('succeeded');
    expect(events.at(-1)).toEqual({ type: 'succeeded', orderId: 'ord_1', optionId: 'wechatpay:native', attemptId: 'att_1' });
    // Watching stopped: nothing open, nothing scheduled to open.
    await flush();
    expect(api.inFlight).toBe(0);
  });

  it('counts down by the server clock, whatever the customer’s clock says', async () => {
    const realNow = Date.now;
    Date.now = () => Date.parse('2031-01-01T00:00:00Z');
    try {
      const { model, api, host } = setup();
      await flush();
      api.payAnswers.push(QR);
      await model.pay();
      expect(model.remainingSeconds.value).toBe(30 * 60);
      // The display moves just after each server second.
      await host.advance(90_010);
      expect(model.remainingSeconds.value).toBe(30 * 60 - 90);
      expect(model.announceAt.value).toBeNull();
      await host.advance((30 * 60 - 90 - 299) * 1000);
      expect(model.remainingSeconds.value).toBe(299);
      expect(model.announceAt.value).toBe(300);
      await host.advance(200_000);
      expect(model.announceAt.value).toBe(120);
    } finally {
      Date.now = realNow;
    }
  });

  it('renews a QR code that expires before the order, in place', async () => {
    const { model, api, host } = setup();
    await flush();
    api.payAnswers.push({ attemptId: 'att_1', action: { kind: 'qr', codeUrl: 'http://sandbox/qr/1', expiresAt: '2026-11-27T10:02:00.000Z' } });
    await model.pay();
    await flush();
    api.payAnswers.push({ attemptId: 'att_2', action: { kind: 'qr', codeUrl: 'http://sandbox/qr/2', expiresAt: '2026-11-27T10:04:00.000Z' } });
    await host.advance(119_000);
    expect(api.payRequests).toHaveLength(1);
    await host.advance(2000);
    expect(api.payRequests).toHaveLength(2);
    expect(model.phase.value).toBe('qr');
    expect(model.qr.value?.path).toContain('http://sandbox/qr/2');
    expect(model.attemptId.value).toBe('att_2');
    expect(model.notice.value).toBe('qr-renewed');
  });

  it('when the order’s time is up it asks the BFF, and shows expiry only when the BFF closed the order', async () => {
    const { model, api, host, events } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    await host.advance(30 * 60 * 1000 + 1500);
    expect(api.calls).toContain('refresh');
    expect(model.phase.value).toBe('qr');
    api.current = { ...api.current, status: 'closed', version: 4 };
    await host.advance(6000);
    expect(model.phase.value).toBe('expired');
    expect(events.at(-1)?.type).toBe('expired');
  });

  it('falls back from the stream to polling, one request at a time', async () => {
    const { model, api, host } = setup();
    await flush();
    api.streamBroken = true;
    api.payAnswers.push(QR);
    await model.pay();
    await host.advance(20_000);
    expect(api.calls.filter((c) => c === 'stream')).toHaveLength(2);
    expect(api.calls.filter((c) => c === 'status').length).toBeGreaterThanOrEqual(5);
    expect(api.maxInFlight).toBe(1);
    api.current = { ...api.current, status: 'succeeded' };
    await host.advance(2500);
    expect(model.phase.value).toBe('succeeded');
  });

  it('a stream that something in between keeps closing at once is given up for polling', async () => {
    const { model, api, host } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    for (let i = 0; i < 2; i++) {
      await flush();
      api.openStream?.end();
      await host.advance(300);
    }
    const streams = api.calls.filter((c) => c === 'stream').length;
    await host.advance(10_000);
    expect(api.calls.filter((c) => c === 'stream').length).toBe(streams);
    expect(api.calls.filter((c) => c === 'status').length).toBeGreaterThanOrEqual(4);
  });

  it('pauses in a hidden tab and checks at once when the customer is back', async () => {
    const { model, api, host } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    await flush();
    expect(api.openStream).toBeDefined();
    host.hide();
    await flush();
    expect(api.openStream).toBeUndefined();
    const before = api.calls.length;
    await host.advance(60_000);
    expect(api.calls.length).toBe(before);
    api.current = { ...api.current, status: 'succeeded' };
    host.show();
    await flush();
    expect(api.calls[before]).toBe('refresh');
    expect(model.phase.value).toBe('succeeded');
    expect(api.maxInFlight).toBe(1);
  });

  it('a failed attempt goes back to the options with a notice', async () => {
    const { model, api, events } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    await flush();
    api.openStream?.push({ ...api.statusNow(), status: 'paying', attempt: { id: 'att_1', optionId: 'wechatpay:native', status: 'failed' } });
    expect(model.phase.value).toBe('choosing');
    expect(model.notice.value).toBe('attempt-failed');
    expect(events.at(-1)).toMatchObject({ type: 'failed', attemptId: 'att_1', code: 'attempt_failed' });
  });

  it('offers the channel’s own page on this device beside its QR code', async () => {
    const { model, api } = setup();
    await flush();
    model.select('alipay:precreate');
    api.payAnswers.push({ attemptId: 'att_1', action: { kind: 'qr', codeUrl: 'http://sandbox/qr', expiresAt: ORDER_ENDS } });
    await model.pay();
    expect(model.payHereOption.value?.id).toBe('alipay:page');
    model.back();
    model.select('wechatpay:native');
    api.payAnswers.push(QR);
    await model.pay();
    expect(model.payHereOption.value).toBeNull();
  });

  it('a refused payment stays on the options with the reason', async () => {
    const { model, api, events } = setup();
    await flush();
    api.payAnswers.push(new WidgetError('channel_refused', 'no', 422));
    await model.pay();
    expect(model.phase.value).toBe('choosing');
    expect(model.error.value).toBe('channel_refused');
    expect(types(events)).toEqual(['option-selected', 'failed']);
  });
});

describe('paying on the channel’s page', () => {
  it('redirects with the return URL, and checks at once when the page comes back from the cache', async () => {
    const { model, api, host, events } = setup();
    await flush();
    model.select('alipay:page');
    api.payAnswers.push({ attemptId: 'att_9', action: { kind: 'redirect', url: 'http://sandbox/gateway.do?x=1' } });
    await model.pay();
    expect(api.payRequests[0]?.returnUrl).toBe('https://shop.example/checkout?session=cs_1');
    expect(host.navigated).toEqual(['http://sandbox/gateway.do?x=1']);
    expect(model.phase.value).toBe('leaving');
    expect(types(events)).toEqual(['option-selected', 'pending']);
    // Leaving opens no status request (it would keep the page out of the back-forward cache).
    expect(api.calls).toEqual(['session', 'pay']);
    host.show('pageshow');
    await flush();
    expect(model.phase.value).toBe('returned');
    expect(api.calls[2]).toBe('refresh');
  });

  it('a navigation that never happens turns into the return choices', async () => {
    const { model, api, host } = setup();
    await flush();
    model.select('unionpay:gateway');
    api.payAnswers.push({ attemptId: 'att_u', action: { kind: 'form', action: 'http://sandbox/frontTransReq.do', method: 'POST', fields: {} } });
    await model.pay();
    await host.advance(9000);
    expect(model.phase.value).toBe('leaving');
    await host.advance(1500);
    expect(model.phase.value).toBe('returned');
    expect(api.calls).toContain('refresh');
  });

  it('posts UnionPay’s form to its gateway', async () => {
    const { model, api, host } = setup();
    await flush();
    model.select('unionpay:gateway');
    api.payAnswers.push({ attemptId: 'att_u', action: { kind: 'form', action: 'http://sandbox/gateway/api/frontTransReq.do', method: 'POST', fields: { txnAmt: '128000' } } });
    await model.pay();
    expect(host.forms).toEqual([{ action: 'http://sandbox/gateway/api/frontTransReq.do', method: 'POST', fields: { txnAmt: '128000' } }]);
  });

  it('back on the page after the channel: asks the channel, offers “I have paid” and “I had a problem”', async () => {
    const session = sessionFor(PC_OPTIONS, 'paying');
    const { model, api, events } = setup(session);
    api.current = { ...api.current, status: 'paying', attempt: { id: 'att_9', optionId: 'alipay:page', status: 'pending' } };
    await flush();
    expect(model.phase.value).toBe('returned');
    expect(model.selected.value?.id).toBe('alipay:page');
    expect(api.calls.slice(0, 3)).toEqual(['session', 'status', 'refresh']);

    await model.iHavePaid();
    expect(model.notice.value).toBe('not-yet');
    expect(model.phase.value).toBe('returned');

    api.current = { ...api.current, status: 'succeeded' };
    await model.iHavePaid();
    expect(model.phase.value).toBe('succeeded');
    expect(events.at(-1)).toMatchObject({ type: 'succeeded', attemptId: 'att_9' });
  });

  it('“I had a problem” goes back to the options, reported as cancelled', async () => {
    const { model, api, events } = setup(sessionFor(PC_OPTIONS, 'paying'));
    api.current = { ...api.current, status: 'paying', attempt: { id: 'att_9', optionId: 'alipay:page', status: 'pending' } };
    await flush();
    model.back();
    expect(model.phase.value).toBe('choosing');
    expect(events.at(-1)).toMatchObject({ type: 'cancelled', optionId: 'alipay:page', attemptId: 'att_9' });
    await flush();
    expect(api.inFlight).toBe(0);
  });

  it('a QR attempt open on reload does not count as a return', async () => {
    const { model, api } = setup(sessionFor(PC_OPTIONS, 'paying'));
    api.current = { ...api.current, status: 'paying', attempt: { id: 'att_1', optionId: 'wechatpay:native', status: 'pending' } };
    await flush();
    expect(model.phase.value).toBe('choosing');
  });
});

describe('unmounting', () => {
  it('stops every request, timer and listener, and sends no event after', async () => {
    const { model, api, host, events } = setup();
    await flush();
    api.payAnswers.push(QR);
    await model.pay();
    await flush();
    expect(api.inFlight).toBe(1);
    expect(host.pendingTimers).toBeGreaterThan(0);
    expect(host.listeners).toBeGreaterThan(0);
    const count = events.length;
    disposeModel(model);
    await flush();
    expect(api.inFlight).toBe(0);
    expect(host.pendingTimers).toBe(0);
    expect(host.listeners).toBe(0);
    await host.advance(60_000);
    expect(api.inFlight).toBe(0);
    expect(events.length).toBe(count);
  });

  it('two models share nothing', async () => {
    const a = setup();
    const b = setup();
    await flush();
    a.api.payAnswers.push(QR);
    await a.model.pay();
    expect(a.model.phase.value).toBe('qr');
    expect(b.model.phase.value).toBe('choosing');
    disposeModel(a.model);
    expect(b.model.phase.value).toBe('choosing');
    b.model.select('alipay:page');
    expect(b.model.selected.value?.id).toBe('alipay:page');
  });
});

const WECHAT_OPTIONS = [option('wechatpay:jsapi', 'jsapi'), option('alipay:handoff', 'handoff', { product: null }), option('unionpay:handoff', 'handoff', { product: null })];
const JSAPI: PayResponse = {
  attemptId: 'att_j',
  action: { kind: 'jsapi', bridge: 'WeixinJSBridge', parameters: { appId: 'wx1', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' } },
};
const PAID_STATUS = { status: 'succeeded', version: 5 } as const;

describe('paying in the host’s own pay sheet (WeChat, Alipay, the merchant app)', () => {
  it('opens WeChat’s sheet with the BFF’s parameters; “ok” waits for the BFF, which alone says paid', async () => {
    const { model, api, events, sheets, loads } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(JSAPI);
    void model.pay(); // resolves when the sheet closes
    await flush();
    expect(loads).toEqual(['jsapi']);
    expect(model.phase.value).toBe('in-app');
    expect(model.sheet.value).toBe('open');
    expect(sheets.map((s) => [s.kind, (s.request as JsapiAction).parameters.package])).toEqual([['jsapi', 'prepay_id=wx1']]);
    expect(types(events)).toEqual(['option-selected', 'pending']);

    sheets[0]?.close({ outcome: 'paid' });
    await flush();
    expect(model.phase.value).toBe('in-app');
    expect(model.sheet.value).toBe('confirming');
    expect(api.calls).toContain('refresh');
    api.current = { ...api.current, ...PAID_STATUS };
    api.openStream?.push(api.statusNow());
    await flush();
    expect(model.phase.value).toBe('succeeded');
    expect(events.at(-1)).toEqual({ type: 'succeeded', orderId: 'ord_1', optionId: 'wechatpay:jsapi', attemptId: 'att_j' });
  });

  it('a cancelled sheet is a `cancelled` event and the options again; the BFF is asked once all the same', async () => {
    const { model, api, events, sheets } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(JSAPI);
    void model.pay(); // resolves when the sheet closes
    await flush();
    const before = api.calls.length;
    sheets[0]?.close({ outcome: 'cancelled' });
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(events.at(-1)).toMatchObject({ type: 'cancelled', optionId: 'wechatpay:jsapi', attemptId: 'att_j' });
    expect(api.calls.slice(before)).toEqual(['refresh']);
    await flush();
    expect(api.inFlight).toBe(0);
  });

  it('a failed sheet is a `failed` event with the bridge’s message, and the notice on the options', async () => {
    const { model, api, events, sheets } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(JSAPI);
    void model.pay(); // resolves when the sheet closes
    await flush();
    sheets[0]?.close({ outcome: 'failed', code: 'get_brand_wcpay_request:fail' });
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(model.notice.value).toBe('attempt-failed');
    expect(events.at(-1)).toMatchObject({ type: 'failed', code: 'get_brand_wcpay_request:fail' });
  });

  it('a payment the sheet called paid but the BFF does not confirm turns into the return choices', async () => {
    const { model, api, host, sheets } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(JSAPI);
    void model.pay(); // resolves when the sheet closes
    await flush();
    sheets[0]?.close({ outcome: 'unknown' });
    await host.advance(14_000);
    expect(model.phase.value).toBe('in-app');
    await host.advance(2000);
    expect(model.phase.value).toBe('returned');
  });

  it('inside the merchant app: the SDK parameters over the bridge, the SDK’s success confirmed by the BFF', async () => {
    const appOptions = [option('wechatpay:app', 'app'), option('alipay:app', 'app')];
    const { model, api, sheets } = setup(sessionFor(appOptions));
    await flush();
    model.select('alipay:app');
    api.payAnswers.push({ attemptId: 'att_a', action: { kind: 'app', channel: 'alipay', parameters: 'app_id=1&biz_content=%7B%7D&sign=x' } });
    void model.pay(); // resolves when the sheet closes
    await flush();
    expect(sheets[0]).toMatchObject({ kind: 'app', request: { channel: 'alipay', sdkParams: 'app_id=1&biz_content=%7B%7D&sign=x', orderId: 'ord_1' } });
    sheets[0]?.close({ outcome: 'paid' });
    api.current = { ...api.current, ...PAID_STATUS };
    await flush();
    expect(model.phase.value).toBe('succeeded');
  });

  it('a chunk that cannot load leaves the customer on the options with the reason', async () => {
    const { model, api, events, failChunk } = setup(sessionFor(WECHAT_OPTIONS));
    failChunk('jsapi');
    await flush();
    api.payAnswers.push(JSAPI);
    void model.pay(); // resolves when the sheet closes
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(model.error.value).toBe('chunk_unavailable');
    expect(events.at(-1)).toMatchObject({ type: 'failed', code: 'chunk_unavailable' });
    await flush();
    expect(api.inFlight).toBe(0);
  });
});

describe('WeChat sign-in for JSAPI', () => {
  const REQUIRED = new WidgetError('wechat_openid_required', 'sign in first', 409, {
    wechat: { flow: 'oauth', authUrl: 'http://bff/cashier/v1/wechat/oauth?session={session}&return={return}' },
  });

  it('without the payer’s openid, goes to WeChat’s sign-in and names the payment to resume on the way back', async () => {
    const { model, api, host, events } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(REQUIRED);
    await model.pay();
    expect(model.phase.value).toBe('leaving');
    const target = new URL(host.navigated[0] ?? '');
    expect(target.searchParams.get('session')).toBe(TEST_TOKEN);
    expect(target.searchParams.get('return')).toBe('https://shop.example/checkout?session=cs_1&cashier_resume=ord_1.wechatpay%3Ajsapi');
    expect(types(events)).toEqual(['option-selected']);
  });

  it('back signed in, the payment goes on at once', async () => {
    const session = { ...sessionFor(WECHAT_OPTIONS), payer: { wechatOpenid: true, miniProgramOpenid: false } };
    const { model, api, events, sheets } = setup(session, {
      pageUrl: 'https://shop.example/checkout?session=cs_1&cashier_resume=ord_1.wechatpay%3Ajsapi&cashier_oauth=ok',
    });
    api.payAnswers.push(JSAPI);
    await flush();
    expect(api.payRequests.map((r) => r.optionId)).toEqual(['wechatpay:jsapi']);
    expect(model.phase.value).toBe('in-app');
    expect(sheets).toHaveLength(1);
    expect(types(events)).toEqual(['option-selected', 'pending']);
  });

  it('a refused sign-in is said on the options, and nothing is paid', async () => {
    const { model, api } = setup(sessionFor(WECHAT_OPTIONS), {
      pageUrl: 'https://shop.example/checkout?cashier_resume=ord_1.wechatpay%3Ajsapi&cashier_oauth=denied',
    });
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(model.error.value).toBe('wechat_signin_denied');
    expect(api.payRequests).toEqual([]);
  });

  it('asked to sign in again right after signing in, it stops rather than going round', async () => {
    const session = { ...sessionFor(WECHAT_OPTIONS), payer: { wechatOpenid: true, miniProgramOpenid: false } };
    const { model, api, host } = setup(session, {
      pageUrl: 'https://shop.example/checkout?cashier_resume=ord_1.wechatpay%3Ajsapi&cashier_oauth=ok',
    });
    api.payAnswers.push(REQUIRED);
    await flush();
    expect(host.navigated).toEqual([]);
    expect(model.phase.value).toBe('choosing');
    expect(model.error.value).toBe('wechat_openid_required');
  });

  it('another order’s resume marker is not this widget’s', async () => {
    const { model, api } = setup(sessionFor(WECHAT_OPTIONS), {
      pageUrl: 'https://shop.example/checkout?cashier_resume=ord_2.wechatpay%3Ajsapi&cashier_oauth=ok',
    });
    await flush();
    expect(model.phase.value).toBe('choosing');
    expect(model.error.value).toBeNull();
    expect(api.payRequests).toEqual([]);
  });
});

describe('inside a mini-program', () => {
  const MINI = [option('wechatpay:miniprogram', 'miniprogram')];

  it('opens the mini-program’s pay page with the session, and checks with the BFF when shown again', async () => {
    const { model, api, host, events, pages } = setup(sessionFor(MINI));
    await flush();
    await model.pay();
    await flush();
    // The page itself signs in and pays: nothing is asked of the BFF from here.
    expect(api.payRequests).toEqual([]);
    expect(pages).toEqual([`/pages/cashier/pay?session=${TEST_TOKEN}&optionId=wechatpay%3Aminiprogram&orderId=ord_1`]);
    expect(model.phase.value).toBe('in-app');
    host.hide();
    // Meanwhile the pay page made the attempt and WeChat took the money.
    api.current = { ...api.current, ...PAID_STATUS, attempt: { id: 'att_m', optionId: 'wechatpay:miniprogram', status: 'succeeded' } };
    host.show();
    await flush();
    expect(api.calls).toContain('refresh');
    expect(model.phase.value).toBe('succeeded');
    expect(events.at(-1)).toEqual({ type: 'succeeded', orderId: 'ord_1', optionId: 'wechatpay:miniprogram', attemptId: 'att_m' });
  });

  it('back without paying: the return choices', async () => {
    const { model, host } = setup(sessionFor(MINI), { miniProgramPage: '/pages/pay/index' });
    await flush();
    await model.pay();
    host.hide();
    host.show();
    await flush();
    expect(model.phase.value).toBe('returned');
  });
});

describe('handing off to the browser or another device', () => {
  const HANDOFF: PayResponse = { attemptId: null, action: { kind: 'handoff', url: 'http://bff/checkout?session=cs_new&channel=alipay', channel: 'alipay' } };

  it('shows the sheet with a QR code of the hand-off page, and success when the order is paid elsewhere', async () => {
    const { model, api, events, loads } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    model.select('alipay:handoff');
    api.payAnswers.push(HANDOFF);
    await model.pay();
    await flush();
    expect(model.phase.value).toBe('handoff');
    expect(model.chunkView.value).not.toBeNull();
    expect(model.qr.value?.path).toContain('http://bff/checkout?session=cs_new&amp;channel=alipay'.replace('&amp;', '&'));
    expect(loads).toEqual(['handoff', 'qr']);
    expect(types(events)).toEqual(['option-selected', 'pending']);
    api.openStream?.push({ ...api.statusNow(), ...PAID_STATUS });
    expect(model.phase.value).toBe('succeeded');
  });

  it('on the hand-off page inside the client, shows how to open this very page elsewhere', async () => {
    const pageUrl = 'http://bff/checkout?session=cs_new&channel=alipay';
    const { model, api } = setup(sessionFor(WECHAT_OPTIONS), { handoffPage: true, preferredChannel: 'alipay', pageUrl });
    await flush();
    expect(api.payRequests).toEqual([]);
    expect(model.phase.value).toBe('handoff');
    expect(model.action.value).toEqual({ kind: 'handoff', url: pageUrl, channel: 'alipay' });
    expect(model.isThisPage(pageUrl)).toBe(true);
    model.back();
    expect(model.phase.value).toBe('choosing');
  });
});

describe('back from WeChat’s sign-in page without signing in', () => {
  it('the page restored from the cache shows the options, not “did you pay?”', async () => {
    const { model, api, host } = setup(sessionFor(WECHAT_OPTIONS));
    await flush();
    api.payAnswers.push(
      new WidgetError('wechat_openid_required', 'sign in first', 409, { wechat: { flow: 'oauth', authUrl: 'http://bff/oauth?session={session}&return={return}' } }),
    );
    await model.pay();
    expect(model.phase.value).toBe('leaving');
    host.show('pageshow');
    expect(model.phase.value).toBe('choosing');
    await host.advance(20_000);
    expect(api.calls).toEqual(['session', 'pay']);
  });
});
