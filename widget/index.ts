// The widget as an ES module: `import { mount } from '…/esm/index.js'`, then `mount(element, { session, bff })`.
// The QR encoder, the hand-off sheet and the in-app bridges are chunks of their own, imported when first needed.

import { defineCheckoutElement } from './element.ts';
import type { Chunks, LoadChunk } from './in-app/types.ts';
import { createMounter } from './mount.tsx';

export type { CheckoutEvent, CheckoutEventType } from './events.ts';
export type { MountOptions, WidgetHandle } from './mount.tsx';
export type { Theme } from './styles.ts';
export { EVENT_TYPES } from './events.ts';
export { ELEMENT_NAME } from './element.ts';

const CHUNKS: { readonly [K in keyof Chunks]: () => Promise<Chunks[K]> } = {
  qr: () => import('./qr/index.ts'),
  handoff: () => import('./handoff/index.tsx'),
  jsapi: () => import('./jsapi/index.ts'),
  miniprogram: () => import('./miniprogram/index.ts'),
  app: () => import('./app-bridge/index.ts'),
};

const loadChunk: LoadChunk = (name) => CHUNKS[name]();

const mounter = createMounter({
  loadChunk,
  // Served by the BFF at /esm/index.js, the BFF is one level up; bundled into the merchant's own code, `bff` is required.
  defaultBff: /\/esm\/index\.js$/.test(new URL(import.meta.url).pathname) ? new URL(/* @vite-ignore */ '..', import.meta.url).href.replace(/\/$/, '') : undefined,
});

export const mount = mounter.mount;
export const unmount = mounter.unmount;

/** Registers <cashier-checkout> (the script-tag build does this itself). */
export function defineElement(): void {
  defineCheckoutElement(mounter);
}
