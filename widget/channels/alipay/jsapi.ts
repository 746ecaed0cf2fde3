// Alipay's pay sheet inside the Alipay client: AlipayJSBridge.call('tradePay', {tradeNO}, callback) once the bridge is
// ready (AlipayJSBridgeReady), with the trade_no of alipay.trade.create (channel-protocols.md §2.4). resultCode per
// Alipay's jsapi:tradePay doc (global.alipay.com/docs/ac/solution_api/trade_pay; my.tradePay likewise): 9000 paid,
// 8000 processing, 6004 unknown (may have paid), 6001 cancelled, 99 left through "forgot password" (iOS), 4000
// failed, 6002 network error. Only the BFF's query says the order is paid.

import type { SheetResult } from '../../in-app/types.ts';
import { whenBridge } from '../../in-app/bridge.ts';

interface AlipayJSBridge {
  call(name: 'tradePay', parameters: { tradeNO: string }, callback: (result: { resultCode?: unknown } | undefined) => void): void;
}

export async function alipayJsapi(win: Window, parameters: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SheetResult> {
  const bridge = await whenBridge<AlipayJSBridge>(win, 'AlipayJSBridge', 'AlipayJSBridgeReady', signal);
  return new Promise((resolve) => bridge.call('tradePay', { tradeNO: parameters.tradeNO ?? '' }, (result) => resolve(alipaySheetResult(result?.resultCode))));
}

export function alipaySheetResult(resultCode: unknown): SheetResult {
  const code = String(resultCode ?? '').slice(0, 20);
  if (code === '9000') return { outcome: 'paid' };
  if (code === '8000' || code === '6004') return { outcome: 'unknown' };
  if (code === '6001' || code === '99') return { outcome: 'cancelled' };
  return { outcome: 'failed', code: `tradePay:${code || 'none'}` };
}
