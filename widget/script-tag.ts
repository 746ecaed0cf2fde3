// The script-tag build (dist/cashier.js, the global `Cashier`): `<script src="https://bff/cashier.js" defer>`, then
// `Cashier.mount(el, { session, locale?, theme?, onEvent?, nonce? })`, or markup alone: any element with
// `data-cashier-session` is mounted once the page is parsed, and <cashier-checkout session="…"> is defined.
// The chunks (QR encoder, hand-off sheet, bridges) are fetched from beside this script when first needed; each is
// built on its own and takes Preact and the rest of in-app/runtime.ts from this bundle (vite.widget.ts).

import type { ChannelId } from '../shared/channels/types.ts';
import { defineCheckoutElement } from './element.ts';
import * as runtime from './in-app/runtime.ts';
import type { ChunkName, LoadChunk } from './in-app/types.ts';
import { createMounter, type MountOptions } from './mount.tsx';
import type { Theme } from './styles.ts';

export type { CheckoutEvent } from './events.ts';
export type { MountOptions, WidgetHandle } from './mount.tsx';

/** Each chunk's file name, content-hashed, set by the build (vite.widget.ts). */
declare const __CASHIER_CHUNKS__: Readonly<Record<ChunkName, string>>;
declare const __CASHIER_VERSION__: string;

const script = (document.currentScript as HTMLScriptElement | null) ?? document.querySelector<HTMLScriptElement>('script[src*="cashier.js"]');
const scriptUrl = script?.src || location.href;

const loadChunk = (async (name: ChunkName) => {
  const chunk = (await import(/* @vite-ignore */ new URL(__CASHIER_CHUNKS__[name], scriptUrl).href)) as { __cashierInit?: (shared: typeof runtime) => void };
  chunk.__cashierInit?.(runtime);
  return chunk;
}) as LoadChunk;

const mounter = createMounter({
  loadChunk,
  defaultBff: new URL('.', scriptUrl).href.replace(/\/$/, ''),
});

export const mount = mounter.mount;
export const unmount = mounter.unmount;
export const version = __CASHIER_VERSION__;

/** Mounts every `[data-cashier-session]` element not mounted yet (run once the page is parsed; callable again). */
export function mountAll(root: ParentNode = document): void {
  for (const element of root.querySelectorAll<HTMLElement>('[data-cashier-session]')) {
    if (element.shadowRoot?.childNodes.length) continue;
    const data = element.dataset;
    const options: MountOptions = {
      session: data.cashierSession ?? '',
      ...(data.cashierLocale ? { locale: data.cashierLocale } : {}),
      ...(data.cashierBff ? { bff: data.cashierBff } : {}),
      ...(data.cashierChannel ? { channel: data.cashierChannel as ChannelId } : {}),
      ...(data.cashierReturnUrl ? { returnUrl: data.cashierReturnUrl } : {}),
      ...(data.cashierMiniprogramPage ? { miniProgramPage: data.cashierMiniprogramPage } : {}),
      ...(data.cashierHandoff === 'true' ? { handoffPage: true } : {}),
      ...(themeOf(data.cashierTheme) ? { theme: themeOf(data.cashierTheme) as Theme } : {}),
      // A nonce on the script tag covers the widget's styles too.
      ...(script?.nonce ? { nonce: script.nonce } : {}),
    };
    try {
      mount(element, options);
    } catch (error) {
      console.error('[cashier]', error);
    }
  }
}

function themeOf(json: string | undefined): Theme | undefined {
  if (!json) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? (value as Theme) : undefined;
  } catch {
    return undefined;
  }
}

defineCheckoutElement(mounter);
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => mountAll(), { once: true });
else mountAll();
