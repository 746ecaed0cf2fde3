// What the page itself can tell about where it runs, which the server cannot see in the request: the WeChat
// mini-program marker, the JS bridges of WeChat, Alipay and the merchant app, and touch points (iPadOS).

import type { TerminalEvidence } from '../shared/schemas/index.ts';

/** The global the merchant's app injects into its web view (see the app bridge protocol). */
export const APP_BRIDGE_GLOBAL = 'CashierAppBridge';

export function collectEvidence(win: Window = window): TerminalEvidence {
  const globals = win as unknown as Record<string, unknown>;
  const marker = globals.__wxjs_environment;
  return {
    ...(typeof marker === 'string' ? { wxjsEnvironment: marker.slice(0, 32) } : {}),
    hasWeixinBridge: globals.WeixinJSBridge !== undefined,
    hasAlipayBridge: globals.AlipayJSBridge !== undefined,
    hasAppBridge: globals[APP_BRIDGE_GLOBAL] !== undefined,
    maxTouchPoints: Math.min(64, Math.max(0, Math.trunc(win.navigator.maxTouchPoints || 0))),
  };
}
