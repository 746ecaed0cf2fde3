// The script-tag build (dist/cashier.js, the global `Cashier`): `<script src="https://bff/cashier.js" defer>`, then
// `Cashier.mount(el, { session, locale?, theme?, onEvent?, nonce? })`, or markup alone: any element with
// `data-cashier-session` is mounted once the page is parsed, and <cashier-checkout session="…"> is defined.
// The QR chunk is fetched from beside this script, the first time a QR code is shown.

import type { ChannelId } from '../shared/channels/types.ts';
import { defineCheckoutElement } from './element.ts';
import { createMounter, type MountOptions } from './mount.tsx';
import type { QrModule } from './qr/types.ts';
import type { Theme } from './styles.ts';

export type { CheckoutEvent } from './events.ts';
export type { MountOptions, WidgetHandle } from './mount.tsx';

/** The QR chunk's file name, content-hashed, set by the build (vite.widget.ts). */
declare const __CASHIER_QR_CHUNK__: string;
declare const __CASHIER_VERSION__: string;

const script = (document.currentScript as HTMLScriptElement | null) ?? document.querySelector<HTMLScriptElement>('script[src*="cashier.js"]');
const scriptUrl = script?.src || location.href;

const mounter = createMounter({
  loadQr: () => import(/* @vite-ignore */ new URL(__CASHIER_QR_CHUNK__, scriptUrl).href) as Promise<QrModule>,
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
