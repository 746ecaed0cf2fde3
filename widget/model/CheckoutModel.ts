// One mounted widget's state and behaviour, built from signals (Preact Signals' createModel): load the session,
// show the options, pay, then follow the payment (QR with a server-clock countdown, or away to the channel's page
// and back) until the BFF says how it ended. Views only read these signals and call these actions.

import { computed, createModel, effect, signal, untracked } from '@preact/signals';
import type { ChannelId } from '../../shared/channels/types.ts';
import type { CashierApi, Option, PayAction, SessionResponse, StatusResponse, TerminalEvidence, Timed, Unavailable } from '../api/types.ts';
import { WidgetError, isAbort, isWidgetError } from '../errors.ts';
import type { CheckoutEvent, CheckoutEventType } from '../events.ts';
import type { QrMatrix, QrModule } from '../qr/types.ts';
import type { Host } from './host.ts';
import { createServerClock } from './server-clock.ts';
import { createStatusWatcher } from './status-watcher.ts';

export interface CheckoutDeps {
  readonly api: CashierApi;
  readonly host: Host;
  readonly evidence: TerminalEvidence;
  /** Loads the QR chunk; called when a QR option is chosen, never before. */
  readonly loadQr: () => Promise<QrModule>;
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
  /** On the way to the channel's page (redirect or form post). */
  | 'leaving'
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

/** Remaining-time thresholds (seconds) at which the countdown is announced: often enough to act, not a chatter. */
export const ANNOUNCE_AT = [10, 30, 60, 120, 300, 600] as const;

const WATCHING: ReadonlySet<Phase> = new Set(['qr', 'returned']);
const TICKING: ReadonlySet<Phase> = new Set(['qr', 'returned']);
const FINAL: ReadonlySet<Phase> = new Set(['succeeded', 'expired', 'closed', 'failed']);
/** Attempt states that are still open at the channel. */
const OPEN_ATTEMPT = new Set(['created', 'pending', 'unknown']);
/** Reasons worth telling the customer about; `disabled` and `currency` say nothing they can act on. */
const TOLD_REASONS = new Set(['not-supported-here', 'health', 'amount', 'credit-refused']);

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
  let qrModule: Promise<QrModule> | undefined;
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
    if (status.status === 'succeeded') return finish('succeeded');
    if (status.status === 'failed') return finish('failed');
    if (status.status === 'closed') return finish(clock.now() >= expiresAt.peek() - 2000 ? 'expired' : 'closed');
    const attempt = status.attempt;
    if (attempt && attempt.id === attemptId.peek() && (attempt.status === 'failed' || attempt.status === 'closed') && WATCHING.has(phase.peek())) {
      watcher.stop();
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
      const timed = await api.session(deps.evidence, abort);
      if (disposed) return;
      session.value = timed.body;
      sync(timed);
      const order = timed.body.order;
      if (order.status === 'succeeded') return finish('succeeded');
      if (order.status === 'closed') return finish(clock.now() >= expiresAt.peek() - 2000 ? 'expired' : 'closed');
      if (order.status === 'failed') return finish('failed');
      const preferred = deps.preferredChannel ? timed.body.options.find((o) => o.channel === deps.preferredChannel) : undefined;
      selectedId.value = (preferred ?? timed.body.options[0])?.id ?? null;
      if (order.status === 'paying' && (await resumeReturn(abort))) return;
      phase.value = 'choosing';
    } catch (caught) {
      if (disposed || isAbort(caught)) return;
      error.value = isWidgetError(caught) ? caught.code : 'other';
      phase.value = 'error';
    }
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
    // Fetch the QR chunk while the BFF creates the channel order: the two overlap.
    if (option.action === 'qr') qrChunk().catch(() => undefined);
    const { signal: abort } = newRequests();
    try {
      const leaves = option.action === 'redirect' || option.action === 'form';
      const result = await api.pay(
        { optionId: option.id, evidence: deps.evidence, ...(leaves && deps.returnUrl ? { returnUrl: deps.returnUrl } : {}) },
        abort,
      );
      if (disposed) return;
      attemptId.value = result.attemptId;
      await perform(result.action, abort);
    } catch (caught) {
      if (disposed || isAbort(caught)) return;
      fail(caught);
    }
  }

  function fail(caught: unknown) {
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
        qr.value = null;
        action.value = next;
        phase.value = 'qr';
        emit('pending', attemptInfo());
        watcher.start();
        const module = await qrChunk();
        if (disposed || abort.aborted) return;
        qr.value = module.encodeQr(next.codeUrl);
        return;
      }
      case 'redirect':
      case 'form':
        action.value = next;
        phase.value = 'leaving';
        emit('pending', attemptInfo());
        // A navigation that never happens (blocked by the page's CSP form-action, a pop-up blocker in a web view)
        // must not leave the customer looking at "Opening…": after a while, offer the return choices.
        leaveTimer = host.setTimeout(() => {
          leaveTimer = undefined;
          if (phase.peek() === 'leaving' && !host.isHidden()) {
            phase.value = 'returned';
            watcher.start({ checkFirst: true });
          }
        }, LEAVE_TIMEOUT_MS);
        if (next.kind === 'redirect') host.navigate(next.url);
        else host.submitForm(next.action, next.method, next.fields);
        return;
      default:
        // jsapi, miniprogram, app and handoff come with the in-app work (phase 2).
        error.value = 'unsupported';
        phase.value = 'choosing';
    }
  }

  function qrChunk(): Promise<QrModule> {
    qrModule ??= deps.loadQr().catch((caught: unknown) => {
      qrModule = undefined; // a later try may succeed (a flaky network)
      throw isWidgetError(caught) ? caught : new WidgetError('qr_unavailable', 'the QR code chunk could not be loaded');
    });
    return qrModule;
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
      const result = await api.pay({ optionId: option.id, evidence: deps.evidence }, abort);
      if (disposed || abort.aborted || phase.peek() !== 'qr' || result.action.kind !== 'qr') return;
      const module = await qrChunk();
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
    if (!['qr', 'returned', 'leaving'].includes(phase.peek())) return;
    watcher.stop();
    requests?.abort();
    if (leaveTimer !== undefined) host.clearTimeout(leaveTimer);
    leaveTimer = undefined;
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

  // Back from the channel's page without a reload (an app switch, or Back restoring this page from the cache).
  const offReturn = host.onReturn(() => {
    if (phase.peek() !== 'leaving') return;
    phase.value = 'returned';
    watcher.start({ checkFirst: true });
  });

  // Owned by the model: disposing it (unmount) stops every request, timer and listener.
  effect(() => () => {
    disposed = true;
    watcher.stop();
    requests?.abort();
    if (leaveTimer !== undefined) host.clearTimeout(leaveTimer);
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
