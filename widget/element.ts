// <cashier-checkout session="…" locale="en" bff="…" channel="…" return-url="…" miniprogram-page="…">: the widget as
// a custom element. It mounts when connected (or when its session changes) and unmounts when removed; events bubble
// from it as `cashier:<type>`.

import type { ChannelId } from '../shared/channels/types.ts';
import type { MountOptions, WidgetHandle } from './mount.tsx';

export const ELEMENT_NAME = 'cashier-checkout';

interface Mounter {
  mount(element: Element, options: MountOptions): WidgetHandle;
  unmount(element: Element): void;
}

export function defineCheckoutElement(mounter: Mounter, registry: CustomElementRegistry = customElements): void {
  if (registry.get(ELEMENT_NAME)) return;

  // No class fields (see errors.ts): a getter and an undeclared-until-used flag instead.
  class CashierCheckout extends HTMLElement {
    declare pending: boolean | undefined;

    static get observedAttributes() {
      return ['session', 'locale', 'bff', 'channel', 'return-url', 'miniprogram-page'];
    }

    connectedCallback() {
      this.schedule();
    }

    disconnectedCallback() {
      mounter.unmount(this);
    }

    attributeChangedCallback() {
      if (this.isConnected) this.schedule();
    }

    /** Attribute changes arrive one by one (and before connectedCallback on upgrade): mount once for all of them. */
    schedule() {
      if (this.pending) return;
      this.pending = true;
      queueMicrotask(() => {
        this.pending = false;
        if (!this.isConnected) return;
        const session = this.getAttribute('session');
        if (!session) return mounter.unmount(this);
        const attr = (name: string) => this.getAttribute(name) ?? undefined;
        const nonce = this.nonce || attr('nonce');
        const options: MountOptions = {
          session,
          ...(attr('locale') ? { locale: attr('locale') as string } : {}),
          ...(attr('bff') ? { bff: attr('bff') as string } : {}),
          ...(attr('channel') ? { channel: attr('channel') as ChannelId } : {}),
          ...(attr('return-url') ? { returnUrl: attr('return-url') as string } : {}),
          ...(attr('miniprogram-page') ? { miniProgramPage: attr('miniprogram-page') as string } : {}),
          ...(nonce ? { nonce } : {}),
        };
        try {
          mounter.mount(this, options);
        } catch (error) {
          console.error('[cashier]', error);
        }
      });
    }
  }

  registry.define(ELEMENT_NAME, CashierCheckout);
}
