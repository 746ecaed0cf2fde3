// The adapter registry: one factory per implemented channel, keyed by channel id so a missing piece is a type
// error, and the adapters built from whatever credentials are configured.

import type { Credentials } from '../keys/index.ts';
import { alipayAdapter } from './alipay/adapter.ts';
import type { ChannelAdapter, ChannelAdapters } from './types.ts';
import { unionpayAdapter } from './unionpay/adapter.ts';
import { wechatpayAdapter } from './wechatpay/adapter.ts';

export interface HttpOptions {
  /** Per-request timeout; a channel that takes longer leaves the attempt `unknown`. */
  readonly timeoutMs: number;
  /** Retries for idempotent reads (queries) only; writes are never retried blindly. */
  readonly readRetries: number;
  readonly fetch?: typeof fetch | undefined;
  readonly now?: (() => Date) | undefined;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 8000, readRetries: 2 };

type Implemented = keyof Required<Credentials>;

const FACTORIES: { readonly [K in Implemented]: (credentials: NonNullable<Credentials[K]>, http: HttpOptions) => ChannelAdapter } = {
  wechatpay: wechatpayAdapter,
  alipay: alipayAdapter,
  unionpay: unionpayAdapter,
};

export function createAdapters(credentials: Credentials, http: HttpOptions = DEFAULT_HTTP): ChannelAdapters {
  const adapters: ChannelAdapters = {};
  if (credentials.wechatpay) adapters.wechatpay = FACTORIES.wechatpay(credentials.wechatpay, http);
  if (credentials.alipay) adapters.alipay = FACTORIES.alipay(credentials.alipay, http);
  if (credentials.unionpay) adapters.unionpay = FACTORIES.unionpay(credentials.unionpay, http);
  return adapters;
}
