// Test doubles for the model's unit tests: a host with a hand-driven clock, timers and visibility, and a cashier
// API whose answers the test gives (and which records every call and how many were in flight at once).

import type { CashierApi, PayRequest, PayResponse, SessionResponse, StatusResponse, Timed } from '../api/types.ts';
import { WidgetError } from '../errors.ts';
import type { Host } from './host.ts';

export class FakeHost implements Host {
  time = 1000;
  hidden = false;
  navigated: string[] = [];
  forms: { action: string; method: string; fields: Readonly<Record<string, string>> }[] = [];
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  #returnListeners = new Set<(how: 'visible' | 'pageshow') => void>();
  #hiddenListeners = new Set<() => void>();

  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  };
  clearTimeout = (id: number) => void this.#timers.delete(id);
  isHidden = () => this.hidden;
  onReturn = (fn: (how: 'visible' | 'pageshow') => void) => {
    this.#returnListeners.add(fn);
    return () => void this.#returnListeners.delete(fn);
  };
  onHidden = (fn: () => void) => {
    this.#hiddenListeners.add(fn);
    return () => void this.#hiddenListeners.delete(fn);
  };
  navigate = (url: string) => void this.navigated.push(url);
  submitForm = (action: string, method: 'POST' | 'GET', fields: Readonly<Record<string, string>>) => void this.forms.push({ action, method, fields });

  get pendingTimers(): number {
    return this.#timers.size;
  }
  get listeners(): number {
    return this.#returnListeners.size + this.#hiddenListeners.size;
  }

  /** Moves the clock, running due timers in order (and what they schedule), letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
    }
    this.time = end;
    await flush();
  }

  hide(): void {
    this.hidden = true;
    for (const fn of [...this.#hiddenListeners]) fn();
  }
  show(how: 'visible' | 'pageshow' = 'visible'): void {
    this.hidden = false;
    for (const fn of [...this.#returnListeners]) fn(how);
  }
}

/** The cashier-session token the model's tests mount with. */
export const TEST_TOKEN = 'cs_test_0123456789';

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

type Answer<T> = T | WidgetError | (() => T | WidgetError);

interface Stream {
  readonly signal: AbortSignal;
  readonly closed: () => boolean;
  push(status: StatusResponse): void;
  end(): void;
  fail(): void;
}

/** The cashier API with scripted answers. Status answers default to `status` (which tests may change). */
export class FakeApi implements CashierApi {
  calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  sessionAnswer: Answer<SessionResponse>;
  payAnswers: Answer<PayResponse>[] = [];
  payRequests: PayRequest[] = [];
  /** What the status endpoints answer (its serverTime is always the fake server's now). */
  current: StatusResponse;
  streams: Stream[] = [];
  /** Streams fail at once when set (a proxy that buffers). */
  streamBroken = false;
  aborted = 0;

  constructor(
    session: SessionResponse,
    private readonly clock: () => number,
  ) {
    this.sessionAnswer = session;
    this.current = { status: session.order.status, version: 1, serverTime: session.serverTime, expiresAt: session.expiresAt };
    this.baseServerTime = session.serverTime;
    this.baseLocal = clock();
  }

  #track<T>(name: string, signal: AbortSignal | undefined, answer: () => T | WidgetError, delay = 0): Promise<Timed<T>> {
    this.calls.push(name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const sentAt = this.clock();
    return new Promise<Timed<T>>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        this.inFlight--;
        return true;
      };
      signal?.addEventListener('abort', () => {
        if (!finish()) return;
        this.aborted++;
        reject(new WidgetError('aborted', 'aborted'));
      });
      const settle = () => {
        if (!finish()) return;
        const value = answer();
        if (value instanceof WidgetError) reject(value);
        else resolve({ body: value, sentAt, receivedAt: this.clock() });
      };
      if (delay === 0) queueMicrotask(settle);
      else setTimeout(settle, delay);
    });
  }

  session(_evidence: unknown, signal?: AbortSignal) {
    const answer = this.sessionAnswer;
    return this.#track('session', signal, () => (typeof answer === 'function' ? answer() : answer));
  }
  async pay(request: PayRequest, signal?: AbortSignal): Promise<PayResponse> {
    this.payRequests.push(request);
    const answer = this.payAnswers.shift();
    if (answer === undefined) throw new Error('no pay answer scripted');
    return (await this.#track('pay', signal, () => (typeof answer === 'function' ? answer() : answer))).body;
  }
  statusNow = (): StatusResponse => ({ ...this.current, serverTime: new Date(this.serverMs()).toISOString() });
  /** The server's clock: the session's serverTime plus the host's elapsed time. */
  serverMs = () => Date.parse(this.baseServerTime) + (this.clock() - this.baseLocal);
  baseServerTime: string;
  baseLocal: number;

  status(signal?: AbortSignal) {
    return this.#track('status', signal, () => this.statusNow());
  }
  refresh(signal?: AbortSignal) {
    return this.#track('refresh', signal, () => this.statusNow());
  }
  stream(onStatus: (status: Timed<StatusResponse>) => void, signal: AbortSignal): Promise<void> {
    this.calls.push('stream');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        this.inFlight--;
        return true;
      };
      signal.addEventListener('abort', () => {
        if (!finish()) return;
        this.aborted++;
        reject(new WidgetError('aborted', 'aborted'));
      });
      const stream: Stream = {
        signal,
        closed: () => done,
        push: (status) => {
          if (!done) onStatus({ body: status, sentAt: this.clock(), receivedAt: this.clock() });
        },
        end: () => {
          if (finish()) resolve();
        },
        fail: () => {
          if (finish()) reject(new WidgetError('network', 'broken'));
        },
      };
      this.streams.push(stream);
      if (this.streamBroken) queueMicrotask(() => stream.fail());
      else queueMicrotask(() => stream.push(this.statusNow()));
    });
  }

  signInUrl(template: string, returnUrl: string): string {
    return template.replace('{session}', encodeURIComponent(TEST_TOKEN)).replace('{return}', encodeURIComponent(returnUrl));
  }

  /** The stream currently open, if any. */
  get openStream(): Stream | undefined {
    return this.streams.filter((s) => !s.closed()).at(-1);
  }
}
