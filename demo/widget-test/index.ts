// A merchant's checkout page for the widget's end-to-end tests and the bench: its server creates an order and a
// cashier session through the merchant API (with the demo merchant's secret key, which stays on the server), then
// serves a page that loads the widget from the BFF by script tag, under a strict Content-Security-Policy.
// GET /widget-test.html without a session makes the order(s) and redirects to the same page with them in the URL,
// so a channel's page sends the customer back to the same order (UnionPay's return is a POST: served the same).
// Query: mode=auto|mount|element|two|esm (the ES module build, imported from the BFF), locale, lang (the page's <html lang>), amount (fen), expires (seconds), subject,
// app=1 (the page as the demo merchant app's web view shows it: with the app's injected bridge, demo/app-host).

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';

export interface WidgetTestOptions {
  readonly bffUrl: string;
  readonly sandboxUrl: string;
  readonly merchantsFile: string;
}

const MODES = ['auto', 'mount', 'element', 'two', 'esm'] as const;
type Mode = (typeof MODES)[number];

export function widgetTestApp(options: WidgetTestOptions) {
  const key = () => (JSON.parse(readFileSync(options.merchantsFile, 'utf8')) as { apiKey: string }[])[0]?.apiKey ?? '';

  async function merchantApi(path: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${options.bffUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key()}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function newSession(amount: number, expiresIn: number | undefined, subject: string): Promise<string> {
    const { order } = (await merchantApi('/v1/orders', {
      merchantOrderNo: `W${Date.now()}${randomBytes(3).toString('hex')}`,
      amount,
      subject,
      // A test subject may hold characters a channel refuses: cleaned per channel rather than refused.
      descriptionPolicy: 'clean',
      ...(expiresIn ? { expiresIn } : {}),
    })) as { order: { id: string } };
    const { token } = (await merchantApi(`/v1/orders/${order.id}/cashier-sessions`, {})) as { token: string };
    return token;
  }

  async function handle(c: Context) {
    const url = new URL(c.req.url);
    const mode: Mode = (MODES as readonly string[]).includes(url.searchParams.get('mode') ?? '') ? (url.searchParams.get('mode') as Mode) : 'auto';
    const sessions = url.searchParams.getAll('session');
    if (sessions.length === 0) {
      const amount = Number(url.searchParams.get('amount') ?? 128_000);
      const expires = url.searchParams.get('expires');
      const subject = url.searchParams.get('subject') ?? 'Celadon tea set';
      for (let i = 0; i < (mode === 'two' ? 2 : 1); i++) {
        url.searchParams.append('session', await newSession(amount, expires ? Number(expires) : undefined, subject));
      }
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const nonce = randomBytes(16).toString('base64');
    const locale = url.searchParams.get('locale');
    const lang = url.searchParams.get('lang') ?? 'en';
    const inApp = url.searchParams.get('app') === '1';
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}' ${options.bffUrl}`,
      `style-src 'nonce-${nonce}'`,
      // In app mode the injected bridge plays the app's native side, which calls the app's own server: an app's
      // native code is not under the page's CSP, this stand-in is.
      `connect-src ${options.bffUrl}${inApp ? " 'self'" : ''}`,
      "img-src 'self' data:",
      `form-action 'self' ${options.sandboxUrl}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    const attrs = (token: string) => ` data-cashier-session="${escape(token)}"${locale ? ` data-cashier-locale="${escape(locale)}"` : ''}`;
    const widgets =
      mode === 'element'
        ? `<cashier-checkout id="w1" session="${escape(sessions[0] ?? '')}"${locale ? ` locale="${escape(locale)}"` : ''} nonce="${nonce}"></cashier-checkout>`
        : mode === 'mount' || mode === 'esm'
          ? `<div id="w1" data-session="${escape(sessions[0] ?? '')}"${locale ? ` data-locale="${escape(locale)}"` : ''}></div>`
          : sessions.map((token, i) => `<div id="w${i + 1}" class="widget"${attrs(token)}></div>`).join('\n');
    return c.html(
      `<!doctype html>
<html lang="${escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Celadon Tea House — checkout</title>
${inApp ? `<script src="/app-host/bridge.js" nonce="${nonce}"></script>` : ''}
<style nonce="${nonce}">
body{margin:0;font-family:system-ui,sans-serif;background:#f5f6f8;color:#1d2129}
header{background:#1d2129;color:#fff;padding:12px 16px}
main{max-width:960px;margin:0 auto;padding:16px;display:flex;flex-wrap:wrap;gap:16px}
main>*{flex:1 1 320px}
#events{font:12px/1.4 monospace;color:#4e5969;overflow-wrap:anywhere}
</style>
</head>
<body>
<header><strong>Celadon Tea House</strong> — checkout</header>
<main>
${widgets}
</main>
<ol id="events" aria-label="Widget events"></ol>
${
        mode === 'esm'
          ? `<script type="module" src="/widget-test-esm.js" nonce="${nonce}"></script>`
          : `<script src="${options.bffUrl}/cashier.js" defer nonce="${nonce}"></script>
<script src="/widget-test.js" defer nonce="${nonce}"></script>`
      }
</body>
</html>`,
      200,
      { 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' },
    );
  }

  return new Hono()
    .on(['GET', 'POST'], '/widget-test.html', handle)
    .get('/widget-test.js', (c) => c.body(PAGE_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }))
    // The ES module build, imported straight from the BFF (it finds the BFF from its own URL).
    .get('/widget-test-esm.js', (c) =>
      c.body(`import { mount } from '${options.bffUrl}/esm/index.js';\n${EVENT_LOG}\nconst el = document.getElementById('w1');\nmount(el, { session: el.dataset.session });\n`, 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-store',
      }),
    );
}

/** Logs the widget's events, for the tests. */
const EVENT_LOG = `
window.cashierEvents = [];
for (const type of ['ready', 'option-selected', 'pending', 'succeeded', 'failed', 'expired', 'cancelled']) {
  document.addEventListener('cashier:' + type, (event) => {
    const entry = { target: event.target.id, ...event.detail };
    window.cashierEvents.push(entry);
    const li = document.createElement('li');
    li.textContent = JSON.stringify(entry);
    document.getElementById('events').append(li);
  });
}
`;

/** The page's own script: the event log and, in mount mode, mounting by hand. */
const PAGE_SCRIPT = `${EVENT_LOG}
const manual = document.querySelector('[data-session]');
if (manual) {
  window.cashierHandle = Cashier.mount(manual, {
    session: manual.dataset.session,
    ...(manual.dataset.locale ? { locale: manual.dataset.locale } : {}),
    theme: { primary: '#7a3e00' },
    onEvent: (event) => { window.onEventCalls = (window.onEventCalls || 0) + 1; },
  });
}
`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}
