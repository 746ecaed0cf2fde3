// Mounting one widget on an element: a shadow root with the widget's styles, one model with its own API client,
// the root view. Everything a mount creates hangs off the element and goes away with unmount(): the model (its
// requests, timers and listeners), the rendered tree, the styles. No state is kept at module level.

import { render } from 'preact';
import type { ChannelId } from '../shared/channels/types.ts';
import { createApiClient } from './api/client.ts';
import type { CheckoutEvent } from './events.ts';
import { messages, pickLocale } from './i18n/index.ts';
import type { LoadChunk } from './in-app/types.ts';
import { browserHost } from './model/host.ts';
import { CheckoutModel, disposeModel } from './model/CheckoutModel.ts';
import { OAUTH_PARAM, RESUME_PARAM, defaultReturnUrl } from './return-url.ts';
import { CSS, THEME_PROPERTIES, type Theme } from './styles.ts';
import { evidenceWhenReady } from './terminal-evidence.ts';
import { Checkout } from './views/Checkout.tsx';

export interface MountOptions {
  /** The cashier-session token the merchant's server got from `POST /v1/orders/:id/cashier-sessions`. */
  readonly session: string;
  /** The BFF's base URL; by default where the widget's script came from. */
  readonly bff?: string;
  /** `zh-CN` or `en`; by default the page's `<html lang>`, then the browser's languages. */
  readonly locale?: string;
  readonly theme?: Theme;
  readonly onEvent?: (event: CheckoutEvent) => void;
  /** The page's CSP nonce: the widget's styles then go in a <style nonce> instead of a constructed stylesheet. */
  readonly nonce?: string;
  /** Where a channel's page sends the customer back; by default this page. Must be on an origin the order allows. */
  readonly returnUrl?: string;
  /** Select this channel's first option at the start. */
  readonly channel?: ChannelId;
  /** Inside a WeChat mini-program: the page of the mini-program that pays (widget/miniprogram); `/pages/cashier/pay`. */
  readonly miniProgramPage?: string;
  /** Set by the BFF's hand-off page (/checkout) on itself: inside WeChat or Alipay, show how to open it elsewhere. */
  readonly handoffPage?: boolean;
}

export interface WidgetHandle {
  unmount(): void;
}

export interface Runtime {
  /** The lazily loaded chunks (QR encoder, hand-off sheet, bridges): from beside the script, or the ES build's. */
  readonly loadChunk: LoadChunk;
  /** The BFF when the options name none: the origin the widget was loaded from. */
  readonly defaultBff: string | undefined;
}

const HANDLE = Symbol.for('cashier.widget');
type Mounted = Element & { [HANDLE]?: WidgetHandle };

export function createMounter(runtime: Runtime) {
  function mount(element: Element, options: MountOptions): WidgetHandle {
    if (!element || typeof element.attachShadow !== 'function') throw new TypeError('Cashier.mount needs an element');
    if (typeof options?.session !== 'string' || options.session.length < 8) throw new TypeError('Cashier.mount needs the cashier session token');
    const bff = options.bff ?? runtime.defaultBff;
    if (!bff) throw new TypeError('Cashier.mount needs the BFF URL (options.bff)');
    unmount(element);

    const doc = element.ownerDocument;
    const win = doc.defaultView ?? window;
    const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    shadow.replaceChildren();
    applyStyles(shadow, options.nonce);
    const container = doc.createElement('div');
    applyTheme(container, options.theme);
    shadow.append(container);

    const locale = pickLocale(options.locale, doc.documentElement.lang, win.navigator.languages ?? [win.navigator.language]);
    const pageUrl = win.location.href;
    const model = new CheckoutModel({
      api: createApiClient({ bff, token: options.session }),
      host: browserHost(win),
      evidence: (signal) => evidenceWhenReady(win, signal),
      loadChunk: runtime.loadChunk,
      token: options.session,
      window: win,
      pageUrl,
      handoffPage: options.handoffPage,
      miniProgramPage: options.miniProgramPage,
      returnUrl: options.returnUrl ?? defaultReturnUrl(pageUrl),
      preferredChannel: options.channel,
      onEvent(event) {
        try {
          options.onEvent?.(event);
        } finally {
          element.dispatchEvent(new CustomEvent(`cashier:${event.type}`, { detail: event, bubbles: true, composed: true }));
        }
      },
    });
    const uid = Math.random().toString(36).slice(2, 10);
    const added = new Set<string>();
    // A chunk's view brings its own styles, applied the way the widget's own are (the nonce, or a constructed sheet).
    const addStyles = (css: string) => {
      if (!added.has(css)) applyStyles(shadow, options.nonce, css, container);
      added.add(css);
    };
    render(<Checkout model={model} locale={locale} t={messages(locale)} uid={uid} addStyles={addStyles} />, container);
    // Back from WeChat sign-in: the model has read where to resume; a reload must not pay again. Once every widget
    // mounted in this task has read it too.
    const cleanUrl = win.setTimeout(() => {
      const url = new URL(win.location.href);
      if (!url.searchParams.has(RESUME_PARAM) && !url.searchParams.has(OAUTH_PARAM)) return;
      url.searchParams.delete(RESUME_PARAM);
      url.searchParams.delete(OAUTH_PARAM);
      win.history.replaceState(win.history.state, '', url.toString());
    }, 0);

    const handle: WidgetHandle = {
      unmount() {
        if ((element as Mounted)[HANDLE] !== handle) return;
        delete (element as Mounted)[HANDLE];
        win.clearTimeout(cleanUrl);
        render(null, container);
        disposeModel(model);
        shadow.replaceChildren();
        if ('adoptedStyleSheets' in shadow) shadow.adoptedStyleSheets = [];
      },
    };
    (element as Mounted)[HANDLE] = handle;
    return handle;
  }

  function unmount(element: Element): void {
    (element as Mounted)[HANDLE]?.unmount();
  }

  return { mount, unmount };
}

/** The widget's stylesheet, or (`before` given) a chunk's, after the others so that it may override them. */
function applyStyles(shadow: ShadowRoot, nonce: string | undefined, css = CSS, before?: Node): void {
  const doc = shadow.ownerDocument;
  if (nonce === undefined && 'adoptedStyleSheets' in shadow && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    // Constructed stylesheets are not inline styles: a CSP without 'unsafe-inline' allows them.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = before ? [...shadow.adoptedStyleSheets, sheet] : [sheet];
    return;
  }
  const style = doc.createElement('style');
  if (nonce !== undefined) style.nonce = nonce;
  style.textContent = css;
  shadow.insertBefore(style, before ?? null);
}

/** The theme object as `--cashier-*` properties on the widget's root (set through CSSOM, which CSP allows). */
function applyTheme(container: HTMLElement, theme: Theme | undefined): void {
  if (!theme) return;
  for (const [key, property] of Object.entries(THEME_PROPERTIES)) {
    const value = theme[key as keyof Theme];
    if (typeof value === 'string' && value.length <= 200) container.style.setProperty(property, value);
  }
}
