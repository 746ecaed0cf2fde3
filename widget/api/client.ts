// The cashier API over fetch: the session token in the Authorization header, answers checked for the fields the
// widget relies on, errors as WidgetError with the BFF's stable code. One client per mounted widget.

import { WidgetError } from '../errors.ts';
import { readEventStream } from './sse.ts';
import type { CashierApi, PayRequest, PayResponse, SessionResponse, StatusResponse, TerminalEvidence, Timed } from './types.ts';

export interface ApiClientOptions {
  /** The BFF's origin (and path prefix, if any), e.g. `https://pay.example.com`. */
  readonly bff: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** The page's monotonic clock; `performance.now` by default. */
  readonly now?: () => number;
}

export function createApiClient(options: ApiClientOptions): CashierApi {
  const base = `${options.bff.replace(/\/+$/, '')}/cashier/v1`;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? (() => performance.now());

  async function request(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        ...init,
        // Never from the HTTP cache: coming back to the page with Back reloads it preferring cached answers, and
        // a stale session would show the options as they were before the customer went to pay.
        cache: 'no-store',
        credentials: 'omit',
        headers: { authorization: `Bearer ${options.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      });
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'AbortError') throw new WidgetError('aborted', 'the request was aborted');
      throw new WidgetError('network', 'the payment service could not be reached');
    }
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = `the payment service answered ${response.status}`;
      let details: Record<string, unknown> | undefined;
      try {
        const { error, ...rest } = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
        if (typeof error?.code === 'string') code = error.code;
        if (typeof error?.message === 'string') message = error.message;
        details = rest;
      } catch {
        // Not JSON (a proxy's error page): the status says enough.
      }
      throw new WidgetError(code, message, response.status, details);
    }
    return response;
  }

  async function json<T>(path: string, init: RequestInit, check: (body: unknown) => body is T): Promise<Timed<T>> {
    const sentAt = now();
    const response = await request(path, init);
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'AbortError') throw new WidgetError('aborted', 'the request was aborted');
      throw new WidgetError('bad_response', 'the payment service sent an unreadable answer');
    }
    if (!check(body)) throw new WidgetError('bad_response', `unexpected answer from ${path}`);
    return { body, sentAt, receivedAt: now() };
  }

  const signalOf = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

  return {
    session: (evidence, signal) => json(`/session${evidenceQuery(evidence)}`, { method: 'GET', ...signalOf(signal) }, isSession),
    async pay(body: PayRequest, signal) {
      return (await json('/pay', { method: 'POST', body: JSON.stringify(body), ...signalOf(signal) }, isPay)).body;
    },
    // The session travels in the query of this one navigation (bff/routes/wechat-oauth.ts): a top-level page load
    // cannot carry the Authorization header.
    signInUrl: (template, returnUrl) =>
      template.replace('{session}', encodeURIComponent(options.token)).replace('{return}', encodeURIComponent(returnUrl)),
    status: (signal) => json('/status', { method: 'GET', ...signalOf(signal) }, isStatus),
    refresh: (signal) => json('/status/refresh', { method: 'POST', body: '{}', ...signalOf(signal) }, isStatus),
    async stream(onStatus, signal) {
      const sentAt = now();
      const response = await request('/status/stream', { method: 'GET', headers: { accept: 'text/event-stream' }, signal });
      if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
        throw new WidgetError('bad_response', 'the status stream is not an event stream');
      }
      try {
        await readEventStream(response.body, (event) => {
          if (event.event !== 'status') return;
          let body: unknown;
          try {
            body = JSON.parse(event.data);
          } catch {
            return;
          }
          // Only the first event's delay is bounded by the request; later ones were pushed, sent ≈ received.
          const receivedAt = now();
          if (isStatus(body)) onStatus({ body, sentAt: Math.max(sentAt, receivedAt - 50), receivedAt });
        });
      } catch (error) {
        if (signal.aborted || (error as { name?: unknown } | null)?.name === 'AbortError') throw new WidgetError('aborted', 'the stream was closed');
        throw new WidgetError('network', 'the status stream broke off');
      }
    },
  };
}

/** The page's evidence as the session query wants it (bff/routes/cashier.ts QueryEvidenceSchema). */
export function evidenceQuery(evidence: TerminalEvidence): string {
  const query = new URLSearchParams();
  if (evidence.wxjsEnvironment !== undefined) query.set('wxjs', evidence.wxjsEnvironment);
  if (evidence.maxTouchPoints !== undefined) query.set('touch', String(evidence.maxTouchPoints));
  const bridges = [
    ...(evidence.hasWeixinBridge ? ['weixin'] : []),
    ...(evidence.hasAlipayBridge ? ['alipay'] : []),
    ...(evidence.hasAppBridge ? ['app'] : []),
  ];
  if (bridges.length > 0) query.set('bridges', bridges.join(','));
  if (evidence.appChannels && evidence.appChannels.length > 0) query.set('appChannels', evidence.appChannels.join(','));
  const text = query.toString();
  return text ? `?${text}` : '';
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

function isSession(body: unknown): body is SessionResponse {
  if (!isObject(body) || !isObject(body.order) || !isObject(body.terminal)) return false;
  const order = body.order;
  return (
    typeof order.id === 'string' &&
    typeof order.amount === 'number' &&
    Number.isSafeInteger(order.amount) &&
    typeof order.currency === 'string' &&
    typeof order.subject === 'string' &&
    typeof order.merchantName === 'string' &&
    typeof order.status === 'string' &&
    isTime(body.serverTime) &&
    isTime(body.expiresAt) &&
    Array.isArray(body.options) &&
    body.options.every((o) => isObject(o) && typeof o.id === 'string' && typeof o.channel === 'string' && typeof o.action === 'string') &&
    Array.isArray(body.unavailable)
  );
}

function isStatus(body: unknown): body is StatusResponse {
  return isObject(body) && typeof body.status === 'string' && typeof body.version === 'number' && isTime(body.serverTime) && isTime(body.expiresAt);
}

function isPay(body: unknown): body is PayResponse {
  if (!isObject(body) || !isObject(body.action) || typeof body.action.kind !== 'string') return false;
  const action = body.action;
  switch (action.kind) {
    case 'qr':
      return typeof action.codeUrl === 'string' && isTime(action.expiresAt);
    case 'redirect':
    case 'handoff':
      return typeof action.url === 'string' && /^https?:/i.test(action.url);
    case 'form':
      return typeof action.action === 'string' && /^https?:/i.test(action.action) && isObject(action.fields);
    case 'jsapi':
      return typeof action.bridge === 'string' && isObject(action.parameters);
    case 'app':
      return typeof action.channel === 'string' && (typeof action.parameters === 'string' || isObject(action.parameters));
    default:
      return true;
  }
}
