// The contract every channel implements on the widget side (STYLE.md: declared once, one folder per channel):
// its name in both languages and its brand mark. A channel's in-app step lives in its folder too
// (wechatpay/jsapi.ts, alipay/jsapi.ts), but is registered by bridge in the lazily loaded chunk that uses it
// (widget/jsapi: Record<bridge, …>), not here: members here are on the critical path.

import type { ChannelId } from '../../shared/channels/types.ts';
import type { Locale } from '../i18n/index.ts';

export interface ChannelView {
  readonly id: ChannelId;
  readonly name: Readonly<Record<Locale, string>>;
  /** The installment provider's name where the channel carries one (Alipay: Huabei). */
  readonly installmentName?: Readonly<Record<Locale, string>>;
  /** The mark drawn beside the name: a brand-coloured tile with a monogram (not the channel's trademark logo). */
  readonly mark: { readonly color: string; readonly glyph: string };
}
