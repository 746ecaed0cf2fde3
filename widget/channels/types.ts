// The contract every channel implements on the widget side (STYLE.md: declared once, one folder per channel):
// its name in both languages and its brand mark. Phase 2 adds the in-app steps (WeixinJSBridge, mini-program,
// app bridge) as optional members here, so a channel that lacks one is visible in the registry's type.

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
