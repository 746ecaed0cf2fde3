// Inside the merchant's own app, a chunk of its own: the widget hands the channel's SDK parameters to the app over
// the app bridge and waits for the SDK's result, which it then has the BFF confirm. The protocol is in README.md
// beside this file; demo/app-host plays an app that speaks it.

import type { AppBridgeModule, SheetResult } from '../in-app/types.ts';
import { whenBridge } from '../in-app/bridge.ts';

/** The object the app injects (Android: addJavascriptInterface; iOS: a user script wrapping a message handler). */
interface AppBridge {
  postMessage(message: string): void;
}

export interface AppReply {
  readonly requestId: string;
  readonly result: string;
  readonly raw?: unknown;
}

/** What the app calls with the SDK's result (an object, or the same as a JSON string). */
export const REPLY_GLOBAL = '__cashierAppReply';
/** The DOM event the reply function dispatches on the window, for every waiting widget to hear. */
const REPLY_EVENT = 'cashier:app-reply';

export const payInApp: AppBridgeModule['payInApp'] = async (win, request, signal) => {
  const bridge = await appBridge(win, signal);
  installReplyFunction(win);
  const requestId = `req_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  return new Promise<SheetResult>((resolve, reject) => {
    const onReply = (reply: unknown) => {
      const parsed = parseReply(reply);
      if (parsed?.requestId !== requestId) return;
      stop();
      resolve(sheetResult(parsed.result));
    };
    const onEvent = (event: Event) => onReply((event as CustomEvent<unknown>).detail);
    // The app may answer by posting to the page instead (evaluateJavascript("window.postMessage(…)"), a host frame).
    const onMessage = (event: MessageEvent) => {
      if (event.source === win || event.source === win.parent) onReply(event.data);
    };
    const stop = () => {
      win.removeEventListener(REPLY_EVENT, onEvent);
      win.removeEventListener('message', onMessage);
      signal.removeEventListener('abort', aborted);
    };
    const aborted = () => {
      stop();
      reject(new DOMException('aborted', 'AbortError'));
    };
    win.addEventListener(REPLY_EVENT, onEvent);
    win.addEventListener('message', onMessage);
    signal.addEventListener('abort', aborted);
    bridge.postMessage(JSON.stringify({ type: 'cashier:pay', version: 1, requestId, channel: request.channel, orderId: request.orderId, sdkParams: request.sdkParams }));
  });
};

/** The injected object, else an iOS message handler of the same name; waits briefly for a late injection. */
async function appBridge(win: Window, signal: AbortSignal): Promise<AppBridge> {
  const handler = (win as unknown as { webkit?: { messageHandlers?: Record<string, AppBridge | undefined> } }).webkit?.messageHandlers?.CashierAppBridge;
  if (handler && !(win as unknown as Record<string, unknown>).CashierAppBridge) return { postMessage: (message) => handler.postMessage(message) };
  const bridge = await whenBridge<Partial<AppBridge>>(win, 'CashierAppBridge', 'CashierAppBridgeReady', signal);
  if (typeof bridge.postMessage !== 'function') throw new TypeError('CashierAppBridge has no postMessage');
  return bridge as AppBridge;
}

/** One function for every widget on the page: it only re-dispatches the reply as an event each widget listens to. */
function installReplyFunction(win: Window): void {
  const globals = win as unknown as Record<string, unknown>;
  if (typeof globals[REPLY_GLOBAL] === 'function') return;
  globals[REPLY_GLOBAL] = (reply: unknown) => {
    win.dispatchEvent(new CustomEvent(REPLY_EVENT, { detail: reply }));
  };
}

export function parseReply(value: unknown): AppReply | undefined {
  let reply = value;
  if (typeof reply === 'string') {
    try {
      reply = JSON.parse(reply);
    } catch {
      return undefined;
    }
  }
  if (typeof reply !== 'object' || reply === null) return undefined;
  const { type, requestId, result } = reply as Record<string, unknown>;
  if ((type !== undefined && type !== 'cashier:pay-result') || typeof requestId !== 'string' || typeof result !== 'string') return undefined;
  return reply as AppReply;
}

/** The SDK's result in the protocol's words; anything else is a failure the app could not name. */
export function sheetResult(result: string): SheetResult {
  switch (result) {
    case 'success':
      return { outcome: 'paid' };
    case 'unknown':
      return { outcome: 'unknown' };
    case 'cancel':
      return { outcome: 'cancelled' };
    default:
      return { outcome: 'failed', code: `app:${result.slice(0, 40)}` };
  }
}
