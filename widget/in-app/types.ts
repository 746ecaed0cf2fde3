// The widget's lazily loaded chunks and what each one offers the model: the QR encoder, the hand-off sheet, the
// in-client pay sheets (WeixinJSBridge, AlipayJSBridge), the mini-program hand-off and the merchant app's bridge.
// None of them is on the critical path: each is fetched when its option is chosen (DESIGN.md §12).

import type { FunctionComponent } from 'preact';
import type { ChannelId } from '../../shared/channels/types.ts';
import type { PayAction } from '../api/types.ts';
import type { QrModule } from '../qr/types.ts';

export type JsapiAction = Extract<PayAction, { kind: 'jsapi' }>;
export type AppAction = Extract<PayAction, { kind: 'app' }>;

/**
 * How a payment sheet in the host (WeChat's, Alipay's, the app's SDK) closed, as its bridge said. Never proof of
 * payment: `paid` and `unknown` send the widget to ask the BFF, which alone says the order is paid.
 */
export type SheetResult =
  | { readonly outcome: 'paid' }
  | { readonly outcome: 'unknown' }
  | { readonly outcome: 'cancelled' }
  | { readonly outcome: 'failed'; readonly code: string };

export interface JsapiModule {
  /** Waits for the client's bridge (briefly), opens its pay sheet, and answers how the sheet closed. */
  invoke(win: Window, action: JsapiAction, signal: AbortSignal): Promise<SheetResult>;
}

export interface MiniProgramModule {
  /** Opens the mini-program's own pay page over this web-view (wx.miniProgram.navigateTo). */
  openPayPage(win: Window, url: string): Promise<void>;
}

export interface AppPayRequest {
  readonly channel: ChannelId;
  readonly sdkParams: Readonly<Record<string, string>> | string;
  readonly orderId: string;
}

export interface AppBridgeModule {
  /** Hands the SDK parameters to the merchant app (widget/app-bridge/README.md) and answers the SDK's result. */
  payInApp(win: Window, request: AppPayRequest, signal: AbortSignal): Promise<SheetResult>;
}

export interface HandoffModule {
  /** The hand-off sheet: continue this order in the phone's browser or on another device. Reads the model. */
  readonly HandoffSheet: FunctionComponent;
}

export interface Chunks {
  readonly qr: QrModule;
  readonly handoff: HandoffModule;
  readonly jsapi: JsapiModule;
  readonly miniprogram: MiniProgramModule;
  readonly app: AppBridgeModule;
}

export type ChunkName = keyof Chunks;
export const CHUNK_NAMES = ['qr', 'handoff', 'jsapi', 'miniprogram', 'app'] as const satisfies readonly ChunkName[];

/** Loads a chunk; the same promise each time once it has loaded. */
export type LoadChunk = <K extends ChunkName>(name: K) => Promise<Chunks[K]>;
