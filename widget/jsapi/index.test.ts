import { describe, expect, it, vi } from 'vitest';
import { alipaySheetResult } from '../channels/alipay/jsapi.ts';
import { wechatSheetResult } from '../channels/wechatpay/jsapi.ts';
import { isWidgetError } from '../errors.ts';
import { fakeWindow } from '../in-app/testing.ts';
import type { JsapiAction } from '../in-app/types.ts';
import { invoke } from './index.ts';

const WECHAT: JsapiAction = {
  kind: 'jsapi',
  bridge: 'WeixinJSBridge',
  parameters: { appId: 'wx1', timeStamp: '1700000000', nonceStr: 'n1', package: 'prepay_id=wx2', signType: 'RSA', paySign: 'c2ln' },
};

describe('WeChat’s pay sheet (WeixinJSBridge)', () => {
  it('waits for WeixinJSBridgeReady, then invokes getBrandWCPayRequest with the BFF’s parameters as they are', async () => {
    const { win, globals, fireOnDocument } = fakeWindow('MicroMessenger/8.0.22');
    const calls: unknown[] = [];
    const result = invoke(win, WECHAT, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    globals.WeixinJSBridge = {
      invoke: (name: string, params: unknown, callback: (r: unknown) => void) => {
        calls.push([name, params]);
        callback({ err_msg: 'get_brand_wcpay_request:ok' });
      },
    };
    fireOnDocument('WeixinJSBridgeReady');
    expect(await result).toEqual({ outcome: 'paid' });
    expect(calls).toEqual([['getBrandWCPayRequest', WECHAT.parameters]]);
  });

  it('reads err_msg as WeChat documents it: ok, cancel, fail (with WeChat’s words kept for the event)', () => {
    expect(wechatSheetResult('get_brand_wcpay_request:ok')).toEqual({ outcome: 'paid' });
    expect(wechatSheetResult('get_brand_wcpay_request:OK')).toEqual({ outcome: 'paid' });
    expect(wechatSheetResult('get_brand_wcpay_request:cancel')).toEqual({ outcome: 'cancelled' });
    expect(wechatSheetResult('get_brand_wcpay_request:fail_invalid appid')).toEqual({ outcome: 'failed', code: 'get_brand_wcpay_request:fail_invalid appid' });
    expect(wechatSheetResult(undefined)).toEqual({ outcome: 'failed', code: 'get_brand_wcpay_request:fail' });
  });

  it('a page where the bridge never comes says so after five seconds, rather than waiting for ever', async () => {
    vi.useFakeTimers();
    try {
      const { win } = fakeWindow();
      const failure = invoke(win, WECHAT, new AbortController().signal).then(
        () => undefined,
        (error: unknown) => error,
      );
      await vi.advanceTimersByTimeAsync(4900);
      const early = await Promise.race([failure, Promise.resolve('waiting')]);
      expect(early).toBe('waiting');
      await vi.advanceTimersByTimeAsync(200);
      const error = await failure;
      expect(isWidgetError(error) && error.code).toBe('bridge_unavailable');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Alipay’s pay sheet (AlipayJSBridge tradePay)', () => {
  it('calls tradePay with the trade number, at once when the bridge is there', async () => {
    const { win, globals } = fakeWindow('AlipayClient/10.2');
    const calls: unknown[] = [];
    globals.AlipayJSBridge = {
      call: (name: string, params: unknown, callback: (r: unknown) => void) => {
        calls.push([name, params]);
        callback({ resultCode: '6001' });
      },
    };
    const result = await invoke(win, { kind: 'jsapi', bridge: 'AlipayJSBridge', parameters: { tradeNO: '2026112722001' } }, new AbortController().signal);
    expect(result).toEqual({ outcome: 'cancelled' });
    expect(calls).toEqual([['tradePay', { tradeNO: '2026112722001' }]]);
  });

  it('reads resultCode as Alipay documents it: 9000 paid; 8000 and 6004 unsure; 6001 and 99 cancelled; the rest failed', () => {
    expect(alipaySheetResult('9000')).toEqual({ outcome: 'paid' });
    expect(alipaySheetResult('8000')).toEqual({ outcome: 'unknown' });
    expect(alipaySheetResult('6004')).toEqual({ outcome: 'unknown' });
    expect(alipaySheetResult('6001')).toEqual({ outcome: 'cancelled' });
    expect(alipaySheetResult('99')).toEqual({ outcome: 'cancelled' });
    expect(alipaySheetResult('4000')).toEqual({ outcome: 'failed', code: 'tradePay:4000' });
    expect(alipaySheetResult(6002)).toEqual({ outcome: 'failed', code: 'tradePay:6002' });
  });
});
