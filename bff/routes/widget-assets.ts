// The built widget, served by the BFF as a merchant's page loads it: /cashier.js (the script-tag bundle, a stable
// URL with a short cache), its content-hashed chunks (QR, hand-off sheet, in-app bridges) and the ES module build
// under /esm/ (immutable), all with CORS open to any page (public code; chunks and ES modules are fetched in CORS
// mode by import()), and the hand-off page /checkout?session=… that opens the widget for a session on the BFF's own
// origin: where a customer continues an order in the phone's browser or on another device.

import { Hono, type Context } from 'hono';

/** Reads a built file; undefined when there is none. `version` changes when the file does (its mtime). */
export type AssetReader = (name: string) => Promise<{ bytes: Uint8Array; version: string } | undefined>;

export interface WidgetAssetsOptions {
  /** Where `npm run build` put the widget; dist/ at the repository root by default. */
  readonly dir?: string;
  readonly read?: AssetReader;
}

/** The files that may be served, and nothing else (no path reaches the file system unchecked). */
const ENTRY = /^cashier\.js$|^esm\/index\.js$/;
const HASHED = /^cashier-(?:qr|handoff|jsapi|miniprogram|app)\.[\w-]{6,}\.js$|^esm\/[\w-]+\.[\w-]{6,}\.js$/;

const SHORT_CACHE = 'public, max-age=300, stale-while-revalidate=86400';
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Prepared {
  readonly version: string;
  readonly etag: string;
  readonly identity: Uint8Array;
  readonly gzip: Uint8Array;
}

export function widgetAssets(options: WidgetAssetsOptions = {}) {
  const read = options.read ?? fileReader(options.dir ?? decodeURIComponent(new URL('../../dist/', import.meta.url).pathname));
  const prepared = new Map<string, Prepared>();

  async function asset(c: Context, name: string) {
    if (!ENTRY.test(name) && !HASHED.test(name)) return c.notFound();
    const file = await read(name);
    if (!file) return c.notFound();
    let ready = prepared.get(name);
    if (ready?.version !== file.version) {
      ready = { version: file.version, etag: `"${await digest(file.bytes)}"`, identity: file.bytes, gzip: await gzip(file.bytes) };
      prepared.set(name, ready);
    }
    const headers: Record<string, string> = {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': ENTRY.test(name) ? SHORT_CACHE : IMMUTABLE,
      ETag: ready.etag,
      Vary: 'Accept-Encoding',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (c.req.header('if-none-match')?.split(/\s*,\s*/).includes(ready.etag)) return c.body(null, 304, headers);
    const gzipped = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    if (gzipped) headers['Content-Encoding'] = 'gzip';
    const body = gzipped ? ready.gzip : ready.identity;
    return c.body(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer, 200, headers);
  }

  return (
    new Hono()
      .get('/cashier.js', (c) => asset(c, 'cashier.js'))
      .get('/:file{cashier-[a-z]+\\.[\\w-]+\\.js}', (c) => asset(c, c.req.param('file')))
      .get('/esm/:file{[\\w.-]+\\.js}', (c) => asset(c, `esm/${c.req.param('file')}`))
      // The hand-off page: a customer continuing an order on another device or in the phone's browser. UnionPay's
      // gateway sends the customer back with a form POST (channel-protocols.md §3.3), so POST shows the same page.
      .on(['GET', 'POST'], '/checkout', (c) => checkoutPage(c))
  );
}

const TOKEN = /^[\x21-\x7e]{8,200}$/;
const CHANNEL = /^[a-z0-9-]{2,20}$/;

function checkoutPage(c: Context) {
  const session = c.req.query('session') ?? '';
  const channel = c.req.query('channel');
  const nonce = randomNonce();
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    // Strict: the widget needs its own script, its API on this origin, and nothing inline without the nonce.
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}' 'self'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action https: http:; base-uri 'none'; frame-ancestors 'none'`,
  };
  if (!TOKEN.test(session)) {
    return c.body(page(nonce, '<p>This payment link is not complete. Go back to the shop and try again.</p>'), 400, headers);
  }
  const channelAttr = channel && CHANNEL.test(channel) ? ` data-cashier-channel="${escapeHtml(channel)}"` : '';
  // data-cashier-handoff: opened inside WeChat or the Alipay client, which cannot pay that channel, the widget shows
  // how to open this very page in the browser instead of the options.
  return c.body(
    page(
      nonce,
      `<div id="cashier" data-cashier-session="${escapeHtml(session)}"${channelAttr} data-cashier-handoff="true"></div>
<script src="/cashier.js" defer nonce="${nonce}"></script>`,
    ),
    200,
    headers,
  );
}

function page(nonce: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>收银台 Checkout</title>
<style nonce="${nonce}">body{margin:0;padding:16px;background:#f5f6f8;font-family:system-ui,-apple-system,"PingFang SC",sans-serif;color:#1d2129}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');
}

async function digest(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return btoa(String.fromCharCode(...hash.subarray(0, 12))).replace(/[+/=]/g, (ch) => ({ '+': '-', '/': '_', '=': '' })[ch] ?? '');
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The default reader: files under `dir`, loaded with node:fs only when first asked (app.ts stays runtime-neutral). */
function fileReader(dir: string): AssetReader {
  return async (name) => {
    const { readFile, stat } = await import('node:fs/promises');
    const path = `${dir.replace(/\/?$/, '/')}${name}`;
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      return { bytes: new Uint8Array(await readFile(path)), version: `${info.size}:${info.mtimeMs}` };
    } catch {
      return undefined;
    }
  };
}
