// What the page itself can tell about where it runs, which the server cannot see in the request: the WeChat
// mini-program marker, the JS bridges of WeChat, Alipay and the merchant app (and the SDK channels the app has),
// and touch points (iPadOS).

import type { ChannelId } from '../shared/channels/types.ts';
import type { TerminalEvidence } from '../shared/schemas/index.ts';
import { CHANNEL_VIEWS } from './channels/index.ts';

/** The global the merchant's app injects into its web view (widget/app-bridge/README.md). */
export const APP_BRIDGE_GLOBAL = 'CashierAppBridge';
/** The token the merchant's app adds to its web view's user agent (widget/app-bridge/README.md). */
const APP_UA_TOKEN = /\bCashierApp\/\d/;

/** Longest wait for WeixinJSBridgeReady before asking for the options: a page outside WeChat's web view never gets it. */
export const BRIDGE_WAIT_MS = 1000;

export function collectEvidence(win: Window = window): TerminalEvidence {
  const globals = win as unknown as Record<string, unknown>;
  const marker = globals.__wxjs_environment;
  const app = globals[APP_BRIDGE_GLOBAL] as { channels?: unknown } | undefined;
  const channels = appChannels(app?.channels);
  return {
    ...(typeof marker === 'string' ? { wxjsEnvironment: marker.slice(0, 32) } : {}),
    hasWeixinBridge: globals.WeixinJSBridge !== undefined,
    hasAlipayBridge: globals.AlipayJSBridge !== undefined,
    hasAppBridge: app !== undefined || APP_UA_TOKEN.test(win.navigator.userAgent),
    maxTouchPoints: Math.min(64, Math.max(0, Math.trunc(win.navigator.maxTouchPoints || 0))),
    ...(channels ? { appChannels: channels } : {}),
  };
}

/**
 * The evidence once WeChat's bridge is ready. Inside WeChat, `__wxjs_environment` says "miniprogram" reliably only
 * after WeixinJSBridgeReady (web-view docs: developers.weixin.qq.com/miniprogram/dev/component/web-view.html, "建议在
 * WeixinJSBridgeReady回调中使用"), and an iOS mini-program's user agent may not say so itself: inside WeChat without
 * the bridge yet, wait for it, at most BRIDGE_WAIT_MS. Everywhere else, at once.
 */
export function evidenceWhenReady(win: Window, signal: AbortSignal): Promise<TerminalEvidence> {
  const globals = win as unknown as Record<string, unknown>;
  const ua = win.navigator.userAgent;
  if (!/MicroMessenger/i.test(ua) || /wxwork/i.test(ua) || globals.__wxjs_environment !== undefined || globals.WeixinJSBridge !== undefined) {
    return Promise.resolve(collectEvidence(win));
  }
  return new Promise((resolve) => {
    const done = () => {
      win.clearTimeout(timer);
      win.document.removeEventListener('WeixinJSBridgeReady', done);
      signal.removeEventListener('abort', done);
      resolve(collectEvidence(win));
    };
    const timer = win.setTimeout(done, BRIDGE_WAIT_MS);
    win.document.addEventListener('WeixinJSBridgeReady', done);
    signal.addEventListener('abort', done);
  });
}

/** The app's SDK channels: an array, a comma-separated string, or a method answering either (an Android interface). */
function appChannels(value: unknown): ChannelId[] | undefined {
  let list = typeof value === 'function' ? safe(value as () => unknown) : value;
  if (typeof list === 'string') list = list.split(',');
  if (!Array.isArray(list)) return undefined;
  // Only ids the BFF knows: one it does not would fail the whole session request.
  return list.filter((id): id is ChannelId => typeof id === 'string' && Object.prototype.hasOwnProperty.call(CHANNEL_VIEWS, id));
}

function safe(fn: () => unknown): unknown {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
