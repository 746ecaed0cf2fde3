import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { widgetAssets, type AssetReader } from './widget-assets.ts';

const FILES: Record<string, string> = {
  'cashier.js': 'var Cashier=(function(){return {}})();'.repeat(20),
  'cashier-qr.Ab12Cd34.js': 'export function encodeQr(){}',
  'cashier-handoff.Xy12Cd34.js': 'export function HandoffSheet(){}',
  'esm/index.js': 'export const mount=1;',
  'esm/qr.Zz99Yy88.js': 'export const q=1;',
};
let version = 1;
const read: AssetReader = async (name) => (name in FILES ? { bytes: new TextEncoder().encode(FILES[name]), version: String(version) } : undefined);
const app = widgetAssets({ read });

describe('the widget assets', () => {
  it('serves cashier.js as JavaScript, gzipped on request, with CORS, a short cache and an ETag', async () => {
    const response = await app.request('/cashier.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cache-control')).toMatch(/max-age=300\b/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(gunzipSync(Buffer.from(await response.arrayBuffer())).toString()).toBe(FILES['cashier.js']);

    const plain = await app.request('/cashier.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(FILES['cashier.js']);

    const again = await app.request('/cashier.js', { headers: { 'if-none-match': plain.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });

  it('serves content-hashed chunks as immutable, and a changed file under a new ETag', async () => {
    const chunk = await app.request('/cashier-qr.Ab12Cd34.js');
    expect(chunk.status).toBe(200);
    expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const handoff = await app.request('/cashier-handoff.Xy12Cd34.js');
    expect(handoff.status).toBe(200);
    expect(handoff.headers.get('access-control-allow-origin')).toBe('*');
    const esm = await app.request('/esm/qr.Zz99Yy88.js');
    expect(esm.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/esm/index.js')).headers.get('cache-control')).toMatch(/max-age=300\b/);

    const before = (await app.request('/esm/index.js')).headers.get('etag');
    FILES['esm/index.js'] = 'export const mount=2;';
    version++;
    const after = (await app.request('/esm/index.js')).headers.get('etag');
    expect(after).not.toBe(before);
  });

  it('serves nothing else', async () => {
    for (const path of ['/cashier-qr.js', '/cashier-secrets.Abcdef12.js', '/esm/../package.json', '/esm/%2e%2e%2fpackage.json', '/cashier.js.map', '/esm/missing.Abcdef12.js']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('the hand-off page loads the widget for the session, under a strict CSP with a nonce', async () => {
    const response = await app.request('/checkout?session=cs_abc%22%3E%3Cscript%3E12345&channel=alipay');
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).toContain(`<script src="/cashier.js" defer nonce="${nonce}"></script>`);
    // The token is data: escaped into the attribute, never markup.
    expect(html).toContain('data-cashier-session="cs_abc&quot;&gt;&lt;script&gt;12345"');
    expect(html).toContain('data-cashier-channel="alipay"');
    // It knows it is the hand-off page: inside WeChat it shows how to open itself in the browser.
    expect(html).toContain('data-cashier-handoff="true"');
    expect(html.match(/<script/g)).toHaveLength(1);

    // UnionPay's gateway returns the customer with a form POST.
    expect((await app.request('/checkout?session=cs_abcdefgh', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/checkout')).status).toBe(400);
  });
});
