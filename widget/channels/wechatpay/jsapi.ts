// WeChat's pay sheet inside WeChat: WeixinJSBridge.invoke('getBrandWCPayRequest', {appId, timeStamp, nonceStr,
// package, signType, paySign}, callback) once the bridge is ready (channel-protocols.md §1.6; the JSAPI invoke doc,
// pay.weixin.qq.com/doc/v3/merchant/4012791857). The callback's err_msg is get_brand_wcpay_request:ok, :cancel or
// :fail; WeChat says ok is not a guarantee and the order's state must come from the server, which is what the model
// does with it.

import type { SheetResult } from '../../in-app/types.ts';
import { whenBridge } from '../../in-app/bridge.ts';

interface WeixinJSBridge {
  invoke(name: 'getBrandWCPayRequest', parameters: Record<string, string>, callback: (result: { err_msg?: unknown } | undefined) => void): void;
}

export async function wechatJsapi(win: Window, parameters: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SheetResult> {
  const bridge = await whenBridge<WeixinJSBridge>(win, 'WeixinJSBridge', 'WeixinJSBridgeReady', signal);
  return new Promise((resolve) => bridge.invoke('getBrandWCPayRequest', { ...parameters }, (result) => resolve(wechatSheetResult(result?.err_msg))));
}

export function wechatSheetResult(errMsg: unknown): SheetResult {
  const text = typeof errMsg === 'string' ? errMsg.slice(0, 100) : '';
  // Compared without case: some clients have answered ":OK" (community reports; the doc gives lower case).
  const outcome = text.toLowerCase();
  if (outcome === 'get_brand_wcpay_request:ok') return { outcome: 'paid' };
  if (outcome === 'get_brand_wcpay_request:cancel') return { outcome: 'cancelled' };
  return { outcome: 'failed', code: text || 'get_brand_wcpay_request:fail' };
}
