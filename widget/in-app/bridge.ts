// Waiting for a host's JS bridge: the WeChat and Alipay clients inject theirs some time after the page starts and
// announce it with an event on the document (WeixinJSBridgeReady, AlipayJSBridgeReady). Used by the in-app chunks.

import { WidgetError } from './runtime.ts';

/** How long a bridge may take to appear before the widget gives up and says so. */
export const BRIDGE_READY_MS = 5000;

/** The bridge object once `global` exists on the page; rejects with `bridge_unavailable` when it never comes. */
export function whenBridge<T>(win: Window, global: string, readyEvent: string, signal: AbortSignal, ms = BRIDGE_READY_MS): Promise<T> {
  const find = () => (win as unknown as Record<string, T | undefined>)[global];
  const now = find();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    const doc = win.document;
    const settle = () => {
      win.clearTimeout(timer);
      doc.removeEventListener(readyEvent, settle);
      signal.removeEventListener('abort', settle);
      const bridge = find();
      if (bridge !== undefined) resolve(bridge);
      else reject(new WidgetError(signal.aborted ? 'aborted' : 'bridge_unavailable', `${global} is not on this page`));
    };
    const timer = win.setTimeout(settle, ms);
    doc.addEventListener(readyEvent, settle);
    signal.addEventListener('abort', settle);
  });
}
