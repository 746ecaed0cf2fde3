// One mounted widget's state and behaviour, built from signals (Preact Signals' createModel): load the session,
// show the options, pay, then follow the payment (QR with a server-clock countdown; away to the channel's page and
// back; the host's own pay sheet through WeixinJSBridge, AlipayJSBridge or the merchant app's bridge; the
// mini-program's pay page; a hand-off to the browser or another device) until the BFF says how it ended. The
// in-app steps live in lazily loaded chunks (in-app/types.ts). Views only read these signals and call these actions.

import { computed, createModel, effect, signal, untracked } from '@preact/signals';
import type { ChannelId } from '../../shared/channels/types.ts';
import type { CashierApi, Option, PayAction, SessionResponse, StatusResponse, TerminalEvidence, Timed, Unavailable } from '../api/types.ts';
import { WidgetError, isAbort, isWidgetError } from '../errors.ts';
import type { CheckoutEvent, CheckoutEventType } from '../events.ts';
import type { FunctionComponent } from 'preact';
import type { Chunks, LoadChunk, SheetResult } from '../in-app/types.ts';
import type { QrMatrix } from '../qr/types.ts';
import { readResume, resumeUrl, type Resume } from '../return-url.ts';
import type { Host } from './host.ts';
import { createServerClock } from './server-clock.ts';
import { createStatusWatcher } from './status-watcher.ts';

export interface CheckoutDeps {
  readonly api: CashierApi;
  readonly host: Host;
  /** What the page can tell about where it runs; a function when it must wait for the host's bridge first. */
  readonly evidence: TerminalEvidence | ((signal: AbortSignal) => Promise<TerminalEvidence>);
  /** Loads a chunk (the QR encoder, the hand-off sheet, a bridge) when an option needs it, never before. */
  readonly loadChunk: LoadChunk;
  /** The cashier-session token, for the two places it leaves the widget: the mini-program's pay page and WeChat sign-in. */
  readonly token: string;
  /** The page, for the bridges the in-app chunks talk to (absent in the model's unit tests). */
  readonly window?: Window | undefined;
  /** The page's address now: the hand-off sheet on the hand-off page offers this very page. */
  readonly pageUrl?: string | undefined;
  /** This is the BFF's hand-off page (/checkout): inside a client that cannot pay `preferredChannel`, show how to leave. */
  readonly handoffPage?: boolean | undefined;
  /** The mini-program page that pays (the template in widget/miniprogram); bff/channels/wechatpay MINIPROGRAM_PAY_PATH. */
  readonly miniProgramPage?: string | undefined;
  /** Where a channel's page sends the customer back (redirect and form options); the current page by default. */
  readonly returnUrl?: string | undefined;
  readonly onEvent: (event: CheckoutEvent) => void;
  /** Select this channel's first option at the start (the hand-off page names the channel chosen earlier). */
  readonly preferredChannel?: ChannelId | undefined;
  readonly pollIntervalMs?: number | undefined;
}

export type Phase =
  | 'loading'
  | 'choosing'
  /** POST /pay is in flight. */
  | 'starting'
  | 'qr'
  /** On the way to the channel's page (redirect, form post, WeChat sign-in). */
  | 'leaving'
  /** The host's pay sheet is open (WeChat, Alipay, the app's SDK) or the mini-program's pay page is over this one. */
  | 'in-app'
  /** The hand-off sheet: continue in the browser or on another device. */
  | 'handoff'
  /** Back from the channel's page: checking, with "I have paid" / "I had a problem". */
  | 'returned'
  | 'succeeded'
  | 'expired'
  | 'closed'
  | 'failed'
  /** The session could not be loaded. */
  | 'error';

/** Transient lines shown with a view: a failed attempt, a renewed QR, a check that found nothing yet. */
export type Notice = 'attempt-failed' | 'qr-renewed' | 'not-yet' | null;

/** Still on this page this long after sending the customer to the channel: the navigation did not happen. */
export const LEAVE_TIMEOUT_MS = 10_000;
/** A sheet said paid and the BFF has not confirmed it this long after: offer "I have paid" / "I had a problem". */
export const CONFIRM_PATIENCE_MS = 15_000;
/** bff/channels/wechatpay/adapter.ts MINIPROGRAM_PAY_PATH: where widget/miniprogram's page template goes. */
export const MINIPROGRAM_PAGE = '/pages/cashier/pay';

/** Remaining-time thresholds (seconds) at which the countdown is announced: often enough to act, not a chatter. */
export const ANNOUNCE_AT = [10, 30, 60, 120, 300, 600] as const;

const WATCHING: ReadonlySet<Phase> = new Set(['qr', 'returned', 'in-app', 'handoff']);
const TICKING: ReadonlySet<Phase> = new Set(['qr', 'returned']);
const FINAL: ReadonlySet<Phase> = new Set(['succeeded', 'expired', 'closed', 'failed']);
/** Attempt states that are still open at the channel. */
const OPEN_ATTEMPT = new Set(['created', 'pending', 'unknown']);
/** Reasons worth telling the customer about; `disabled` and `currency` say nothing they can act on. */
const TOLD_REASONS = new Set(['not-supported-here', 'health', 'amount', 'credit-refused']);
/** The chunk each kind of next action needs, fetched while the BFF prepares the payment. */
const CHUNK_OF: Partial<Record<Option['action'], keyof Chunks>> = { qr: 'qr', handoff: 'handoff', jsapi: 'jsapi', app: 'app', miniprogram: 'miniprogram' };

export const CheckoutModel = createModel((deps: CheckoutDeps) => {
  const { api, host } = deps;
  const clock = createServerClock(() => host.now());

  const phase = signal<Phase>('loading');
  const session = signal<SessionResponse | null>(null);
  const selectedId = signal<string | null>(null);
  const action = signal<PayAction | null>(null);
  const attemptId = signal<string | null>(null);
  /** The drawn QR code; null while the chunk loads. */
  const qr = signal<QrMatrix | null>(null);
  const notice = signal<Notice>(null);
  /** A WidgetError code to show beside the options (or on the error view). */
  const error = signal<string | null>(null);
  /** A check the customer asked for is running. */
  const checking = signal(false);
  /** In a host's pay sheet: still open, or closed saying paid and waiting for the BFF to confirm. */
  const sheet = signal<'open' | 'confirming'>('open');
  /** The view of the `qr` or `handoff` phase, from its chunk. */
  const chunkView = signal<FunctionComponent | null>(null);
  const expiresAt = signal(Number.NaN);
  /** Server time, ticking each second while a countdown is shown. */
  const serverNow = signal(Number.NaN);

  const options = computed<readonly Option[]>(() => session.value?.options ?? []);
  const selected = computed(() => options.value.find((o) => o.id === selectedId.value) ?? null);
  const remainingSeconds = computed(() => {
    const left = Math.ceil((expiresAt.value - serverNow.value) / 1000);
    return Number.isFinite(left) ? Math.max(0, left) : null;
  });
  const announceAt = computed(() => {
    const left = remainingSeconds.value;
    return left === null ? null : (ANNOUNCE_AT.find((threshold) => left <= threshold) ?? null);
  });
  /** Another option of the same channel and plan that pays on this device (Alipay's page pay beside its QR). */
  const payHereOption = computed(() => {
    const current = selected.value;
    if (!current || current.action !== 'qr') return null;
    return (
      options.value.find(
        (o) =>
          o.channel === current.channel &&
          o.installment?.periods === current.installment?.periods &&
          (o.action === 'redirect' || o.action === 'form'),
      ) ?? null
    );
  });
  const unavailable = computed<readonly Unavailable[]>(() => {
    const offered = new Set(options.value.map((o) => o.channel));
    return (session.value?.unavailable ?? []).filter(
      (u) => TOLD_REASONS.has(u.reason) && (u.installment !== undefined ? offered.has(u.channel) : !offered.has(u.channel)),
    );
  });

  let disposed = false;
  let readySent = false;
  let requests: AbortController | undefined;
  let evidence: TerminalEvidence = typeof deps.evidence === 'function' ? {} : deps.evidence;
  const chunks: Partial<Record<keyof Chunks, Promise<unknown>>> = {};
  /** Back from WeChat sign-in on this page load: a second "sign in first" is an error, not another round trip. */
  let resume: Resume | undefined = deps.pageUrl ? readResume(deps.pageUrl) : undefined;
  const signedIn = resume?.oauth === 'ok';
  /** Gone to WeChat's sign-in: coming back to this page from the cache is back to the options, not a return. */
  let signingIn = false;
  let renewing = false;
  let lastExpiryCheck = Number.NEGATIVE_INFINITY;
  let leaveTimer: number | undefined;

  // Events wait for `ready` (an order already paid says `succeeded` while loading, before anything is shown).
  let held: CheckoutEvent[] | undefined = [];
  const send = (event: CheckoutEvent) => {
    try {
      deps.onEvent(event);
    } catch {
      // The merchant's handler failing must not break the checkout.
    }
  };
  const emit = (type: CheckoutEventType, extra: Omit<CheckoutEvent, 'type' | 'orderId'> = {}) => {
    const orderId = session.peek()?.order.id;
    if (disposed || orderId === undefined) return;
    if (held && type !== 'ready') held.push({ type, orderId, ...extra });
    else send({ type, orderId, ...extra });
  };

  const attemptInfo = () => ({
    ...(selectedId.peek() ? { optionId: selectedId.peek() as string } : {}),
    ...(attemptId.peek() ? { attemptId: attemptId.peek() as string } : {}),
  });

  const watcher = createStatusWatcher({
    api,
    host,
    onStatus: (status) => applyStatus(status),
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
  });

  function sync(timed: Timed<{ serverTime: string; expiresAt: string }>) {
    clock.sync(timed.body.serverTime, timed.sentAt, timed.receivedAt);
    expiresAt.value = Date.parse(timed.body.expiresAt);
    serverNow.value = clock.now();
  }

  function finish(next: 'succeeded' | 'expired' | 'closed' | 'failed') {
    if (FINAL.has(phase.peek())) return;
    watcher.stop();
    notice.value = null;
    error.value = null;
    phase.value = next;
    emit(next === 'closed' ? 'cancelled' : next, attemptInfo());
  }

  /** The BFF's word on the order: the only thing that ends a payment. */
  function applyStatus(timed: Timed<StatusResponse>) {
    if (disposed) return;
    sync(timed);
    const status = timed.body;
    const attempt = status.attempt;
    // The mini-program's pay page makes the attempt while this page waits: it is ours once it names our option.
    if (attempt && attemptId.peek() === null && attempt.optionId === selectedId.peek() && WATCHING.has(phase.peek())) attemptId.value = attempt.id;
    if (status.status === 'succeeded') return finish('succeeded');
    if (status.status === 'failed') return finish('failed');
    if (status.status === 'closed') return finish(clock.now() >= expiresAt.peek() - 2000 ? 'expired' : 'closed');
    if (attempt && attempt.id === attemptId.peek() && (attempt.status === 'failed' || attempt.status === 'closed') && WATCHING.has(phase.peek())) {
      watcher.stop();
      clearLeaveTimer();
      emit('failed', { ...attemptInfo(), code: `attempt_${attempt.status}` });
      action.value = null;
      attemptId.value = null;
      notice.value = 'attempt-failed';
      phase.value = 'choosing';
    }
  }

  function newRequests(): AbortController {
    requests?.abort();
    requests = new AbortController();
    return requests;
  }

  async function load() {
    phase.value = 'loading';
    error.value = null;
    const { signal: abort } = newRequests();
    try {
      if (typeof deps.evidence === 'function') evidence = await deps.evidence(abort);
      if (disposed || abort.aborted) return;
      const timed = await api.session(evidence, abort);
      if (disposed) return;
      session.value = timed.body;
      sync(timed);
      const order = timed.body.order;
      if (order.status === 'succeeded') return finish('succeeded');
      if (order.status === 'closed') return finish(clock.now() >= expiresAt.peek() - 2000 ? 'expired' : 'closed');
      if (order.status === 'failed') return finish('failed');
      const preferred = deps.preferredChannel ? timed.body.options.find((o) => o.channel === deps.preferredChannel) : undefined;
      selectedId.value = (preferred ?? timed.body.options[0])?.id ?? null;
      // The hand-off page opened inside the client that cannot pay the chosen channel: how to open it elsewhere.
      if (deps.handoffPage && preferred?.action === 'handoff' && deps.pageUrl) {
        return await showHandoff({ kind: 'handoff', url: deps.pageUrl, channel: preferred.channel });
      }
      if (resumeSignIn()) return;
      if (order.status === 'paying' && (await resumeReturn(abort))) return;
      phase.value = 'choosing';
    } catch (caught) {
      if (disposed || isAbort(caught)) return;
      error.value = isWidgetError(caught) ? caught.code : 'other';
      phase.value = 'error';
    }
  }

  /** Back from WeChat sign-in: go on with the payment the customer started, or say why it cannot. */
  function resumeSignIn(): boolean {
    const back = resume;
    resume = undefined;
    const option = back && back.orderId === session.peek()?.order.id ? options.peek().find((o) => o.id === back.optionId) : undefined;
    if (!back || !option) return false;
    selectedId.value = option.id;
    phase.value = 'choosing';
    if (back.oauth !== 'ok') error.value = `wechat_signin_${back.oauth}`;
    else if (session.peek()?.payer?.wechatOpenid) void pay(option.id);
    else error.value = 'wechat_signin_failed';
    return true;
  }

  /** Loaded while a redirect or form attempt is open: the customer is back from the channel's page. */
  async function resumeReturn(abort: AbortSignal): Promise<boolean> {
    const timed = await api.status(abort);
    if (disposed) return true;
    const attempt = timed.body.attempt;
    const option = attempt ? options.peek().find((o) => o.id === attempt.optionId) : undefined;
    if (!attempt || !option || !OPEN_ATTEMPT.has(attempt.status) || (option.action !== 'redirect' && option.action !== 'form')) {
      applyStatus(timed);
      return FINAL.has(phase.peek());
    }
    selectedId.value = option.id;
    attemptId.value = attempt.id;
    phase.value = 'returned';
    applyStatus(timed);
    // Coming back says nothing about the result (the channels' own advice): ask the channel now, then watch.
    if (phase.peek() === 'returned') watcher.start({ checkFirst: true });
    return true;
  }

  function select(id: string) {
    if (phase.peek() !== 'choosing' || !options.peek().some((o) => o.id === id)) return;
    selectedId.value = id;
    error.value = null;
  }

  async function pay(optionId?: string) {
    const option = options.peek().find((o) => o.id === (optionId ?? selectedId.peek()));
    if (!option || !['choosing', 'qr'].includes(phase.peek())) return;
    watcher.stop();
    selectedId.value = option.id;
    emit('option-selected', { optionId: option.id });
    notice.value = null;
    error.value = null;
    action.value = null;
    attemptId.value = null;
    phase.value = 'starting';
    // Fetch the option's chunk while the BFF creates the channel order: the two overlap.
    const needs = CHUNK_OF[option.action];
    if (needs) chunk(needs).catch(() => undefined);
    const { signal: abort } = newRequests();
    try {
      // The mini-program's own page signs the payer in and pays (widget/miniprogram): nothing to ask the BFF here.
      if (option.action === 'miniprogram') return await openMiniProgram(option, abort);
      const leaves = option.action === 'redirect' || option.action === 'form';
      const result = await api.pay({ optionId: option.id, evidence, ...(leaves && deps.returnUrl ? { returnUrl: deps.returnUrl } : {}) }, abort);
      if (disposed) return;
      attemptId.value = result.attemptId;
      await perform(result.action, abort);
    } catch (caught) {
      if (disposed || isAbort(caught)) return;
      if (isWidgetError(caught) && caught.code === 'wechat_openid_required' && !signedIn && signIn(option, caught.details?.wechat)) return;
      fail(caught);
    }
  }

  /** JSAPI needs the payer's openid: WeChat's sign-in (silent inside WeChat), back to this page, then on with it. */
  function signIn(option: Option, wechat: unknown): boolean {
    const template = (wechat as { flow?: unknown; authUrl?: unknown } | undefined)?.authUrl;
    const orderId = session.peek()?.order.id;
    if (typeof template !== 'string' || !/^https?:/.test(template) || !deps.returnUrl || !orderId) return false;
    phase.value = 'leaving';
    signingIn = true;
    host.navigate(api.signInUrl(template, resumeUrl(deps.returnUrl, orderId, option.id)));
    return true;
  }

  function fail(caught: unknown) {
    watcher.stop();
    clearLeaveTimer();
    action.value = null;
    const code = isWidgetError(caught) ? caught.code : 'other';
    if (code === 'order_expired' || code === 'order_not_payable') {
      // The BFF will say how the order ended; ask rather than guess.
      void api.status().then(applyStatus, () => undefined);
    }
    error.value = code;
    phase.value = 'choosing';
    emit('failed', { ...attemptInfo(), code });
  }

  async function perform(next: PayAction, abort: AbortSignal) {
    switch (next.kind) {
      case 'qr': {
        // Fetched while the BFF made the code: the view comes with the encoder, so the code is drawn at once.
        const module = await chunk('qr');
        if (disposed || abort.aborted) return;
        chunkView.value = module.QrView;
        action.value = next;
        qr.value = module.encodeQr(next.codeUrl);
        phase.value = 'qr';
        emit('pending', attemptInfo());
        watcher.start();
        return;
      }
      case 'redirect':
      case 'form':
        action.value = next;
        phase.value = 'leaving';
        emit('pending', attemptInfo());
        // A navigation that never happens (blocked by the page's CSP form-action, a pop-up blocker in a web view)
        // must not leave the customer looking at "Opening…": after a while, offer the return choices.
        startLeaveTimer(LEAVE_TIMEOUT_MS);
        if (next.kind === 'redirect') host.navigate(next.url);
        else host.submitForm(next.action, next.method, next.fields);
        return;
      case 'jsapi':
      case 'app': {
        action.value = next;
        sheet.value = 'open';
        phase.value = 'in-app';
        emit('pending', attemptInfo());
        // Watching meanwhile: should the sheet never call back, the BFF still says how it ended.
        watcher.start();
        const orderId = session.peek()?.order.id ?? '';
        const result =
          next.kind === 'jsapi'
            ? await (await chunk('jsapi')).invoke(deps.window as Window, next, abort)
            : await (await chunk('app')).payInApp(deps.window as Window, { channel: next.channel, sdkParams: next.parameters, orderId }, abort);
        if (!disposed && !abort.aborted && phase.peek() === 'in-app') sheetClosed(result);
        return;
      }
      case 'handoff':
        return showHandoff(next);
      default:
        // A mini-program action is for the mini-program's own page, never this one.
        error.value = 'unsupported';
        phase.value = 'choosing';
    }
  }

  /** The sheet closed. Paid (or unsure): the BFF confirms. Cancelled or failed: back to the options. */
  function sheetClosed(result: SheetResult) {
    if (result.outcome === 'paid' || result.outcome === 'unknown') {
      sheet.value = 'confirming';
      void watcher.checkNow();
      startLeaveTimer(CONFIRM_PATIENCE_MS);
      return;
    }
    watcher.stop();
    if (result.outcome === 'cancelled') emit('cancelled', attemptInfo());
    else emit('failed', { ...attemptInfo(), code: result.code });
    action.value = null;
    attemptId.value = null;
    notice.value = result.outcome === 'failed' ? 'attempt-failed' : null;
    phase.value = 'choosing';
    // A bridge's word is not the last: a payment it failed to report still ends the checkout here.
    void api.refresh().then(applyStatus, () => undefined);
  }

  /** Over to the mini-program's pay page; its coming back (navigateBack) shows this page again. */
  async function openMiniProgram(option: Option, abort: AbortSignal) {
    const orderId = session.peek()?.order.id ?? '';
    const query = new URLSearchParams({ session: deps.token, optionId: option.id, orderId });
    sheet.value = 'open';
    phase.value = 'in-app';
    emit('pending', attemptInfo());
    await (await chunk('miniprogram')).openPayPage(deps.window as Window, `${deps.miniProgramPage ?? MINIPROGRAM_PAGE}?${query}`);
    if (disposed || abort.aborted || phase.peek() !== 'in-app') return;
    watcher.start();
    startLeaveTimer(LEAVE_TIMEOUT_MS);
  }

  /** The hand-off sheet, once its chunk is here (so focus lands on its heading); watching, for another device paying. */
  async function showHandoff(next: Extract<PayAction, { kind: 'handoff' }>) {
    const { HandoffSheet } = await chunk('handoff');
    if (disposed) return;
    chunkView.value = HandoffSheet;
    action.value = next;
    qr.value = null;
    phase.value = 'handoff';
    emit('pending', attemptInfo());
    watcher.start();
    const module = await chunk('qr');
    if (!disposed && action.peek() === next) qr.value = module.encodeQr(next.url);
  }

  function chunk<K extends keyof Chunks>(name: K): Promise<Chunks[K]> {
    const loading = (chunks[name] ??= deps.loadChunk(name).catch((caught: unknown) => {
      delete chunks[name]; // a later try may succeed (a flaky network)
      throw isWidgetError(caught) ? caught : new WidgetError('chunk_unavailable', `the ${name} chunk could not be loaded`);
    }));
    return loading as Promise<Chunks[K]>;
  }

  function startLeaveTimer(ms: number) {
    clearLeaveTimer();
    // A navigation that never happened, or a sheet that said paid and nothing followed: offer the return choices.
    leaveTimer = host.setTimeout(() => {
      leaveTimer = undefined;
      if ((phase.peek() === 'leaving' || phase.peek() === 'in-app') && !host.isHidden()) {
        phase.value = 'returned';
        watcher.start({ checkFirst: true });
      }
    }, ms);
  }

  function clearLeaveTimer() {
    if (leaveTimer !== undefined) host.clearTimeout(leaveTimer);
    leaveTimer = undefined;
  }

  /** Each second of a countdown: the QR may need renewing, or the order's time may be up (ask, don't assume). */
  function tick() {
    serverNow.value = clock.now();
    const current = action.peek();
    if (phase.peek() !== 'qr' || current?.kind !== 'qr' || renewing) return;
    const qrEnds = Date.parse(current.expiresAt);
    const orderEnds = expiresAt.peek();
    if (serverNow.peek() >= orderEnds) {
      // Time is up by the server's clock, but only the BFF closes the order: ask, at most every few seconds.
      if (host.now() - lastExpiryCheck < 5000) return;
      lastExpiryCheck = host.now();
      renewing = true;
      void watcher.checkNow().finally(() => (renewing = false));
    } else if (serverNow.peek() >= qrEnds && qrEnds < orderEnds - 1000) {
      void renewQr();
    }
  }

  /** The channel's QR code expired before the order: a new one in the same place, the view unchanged. */
  async function renewQr() {
    const option = selected.peek();
    if (!option) return;
    renewing = true;
    const { signal: abort } = newRequests();
    try {
      const result = await api.pay({ optionId: option.id, evidence }, abort);
      if (disposed || abort.aborted || phase.peek() !== 'qr' || result.action.kind !== 'qr') return;
      const module = await chunk('qr');
      if (disposed || abort.aborted) return;
      attemptId.value = result.attemptId;
      action.value = result.action;
      qr.value = module.encodeQr(result.action.codeUrl);
      notice.value = 'qr-renewed';
    } catch (caught) {
      if (!isAbort(caught) && !disposed) void watcher.checkNow();
    } finally {
      renewing = false;
    }
  }

  /** Leaves the current attempt (the customer chose to): back to the options, the attempt left to expire. */
  function back() {
    if (!['qr', 'returned', 'leaving', 'in-app', 'handoff'].includes(phase.peek())) return;
    watcher.stop();
    requests?.abort();
    clearLeaveTimer();
    emit('cancelled', attemptInfo());
    action.value = null;
    attemptId.value = null;
    notice.value = null;
    phase.value = 'choosing';
  }

  async function iHavePaid() {
    if (phase.peek() !== 'returned') return;
    checking.value = true;
    notice.value = null;
    await watcher.checkNow();
    if (disposed) return;
    checking.value = false;
    if (phase.peek() === 'returned') notice.value = 'not-yet';
  }

  /** Called by the view once the first screen after loading is on the page. */
  function shown() {
    if (readySent || phase.peek() === 'loading') return;
    readySent = true;
    emit('ready');
    const waiting = held ?? [];
    held = undefined;
    for (const event of waiting) send(event);
  }

  // The countdown ticks on the second only while one is shown.
  effect(() => {
    if (!TICKING.has(phase.value)) return;
    let id: number | undefined;
    const loop = () => {
      tick();
      const now = clock.now();
      id = host.setTimeout(loop, Number.isFinite(now) ? 1000 - (now % 1000) + 5 : 1000);
    };
    untracked(loop);
    return () => {
      if (id !== undefined) host.clearTimeout(id);
    };
  });

  // Back from the channel's page without a reload (an app switch, or Back restoring this page from the cache), or
  // from the mini-program's pay page (navigateBack shows the web-view again).
  const offReturn = host.onReturn(() => {
    if (phase.peek() !== 'leaving' && !(phase.peek() === 'in-app' && selected.peek()?.action === 'miniprogram')) return;
    clearLeaveTimer();
    if (signingIn) {
      signingIn = false;
      phase.value = 'choosing';
      return;
    }
    phase.value = 'returned';
    watcher.start({ checkFirst: true });
  });

  // Owned by the model: disposing it (unmount) stops every request, timer and listener.
  effect(() => () => {
    disposed = true;
    watcher.stop();
    requests?.abort();
    clearLeaveTimer();
    offReturn();
  });

  void load();

  return {
    phase,
    session,
    options,
    selectedId,
    selected,
    action,
    attemptId,
    qr,
    notice,
    error,
    checking,
    sheet,
    chunkView,
    isThisPage: (url: string) => url === deps.pageUrl,
    remainingSeconds,
    announceAt,
    payHereOption,
    unavailable,
    load,
    select,
    pay,
    back,
    iHavePaid,
    shown,
  };
});

export type CheckoutModel = InstanceType<typeof CheckoutModel>;

/** Disposes a model: every effect it owns, and with them its requests, timers and listeners. */
export function disposeModel(model: CheckoutModel): void {
  const dispose = (model as unknown as Record<PropertyKey, unknown>)[(Symbol as { dispose?: symbol }).dispose ?? 'undefined'];
  if (typeof dispose === 'function') (dispose as () => void)();
}
