// The in-client pay sheets, a chunk of their own: WeChat's inside WeChat, Alipay's inside the Alipay client, chosen by
// the bridge the BFF's jsapi action names. Each channel's side lives in its folder (widget/channels/<id>/jsapi.ts).

import { alipayJsapi } from '../channels/alipay/jsapi.ts';
import { wechatJsapi } from '../channels/wechatpay/jsapi.ts';
import type { JsapiAction, JsapiModule, SheetResult } from '../in-app/types.ts';

type Bridge = (win: Window, parameters: Readonly<Record<string, string>>, signal: AbortSignal) => Promise<SheetResult>;

/** One per bridge the BFF may name: a bridge missing here is a type error. */
const BRIDGES: Record<JsapiAction['bridge'], Bridge> = {
  WeixinJSBridge: wechatJsapi,
  AlipayJSBridge: alipayJsapi,
};

export const invoke: JsapiModule['invoke'] = (win, action, signal) => BRIDGES[action.bridge](win, action.parameters, signal);
