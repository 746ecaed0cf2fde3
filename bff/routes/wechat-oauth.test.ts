// The payer's openid through the cashier API, with WeChat played by the sandbox over real HTTP: the web-OAuth
// round trip followed as a browser would (each redirect by hand), its refusals (spent code, forged or expired state,
// foreign return URL, a customer who says no), the mini-program login, and pay using what the session learnt.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWechatpaySandbox, type WechatpayTestSandbox } from '../../demo/sandbox/wechatpay/testing.ts';
import { createApp } from '../app.ts';
import type { HttpOptions } from '../channels/index.ts';
import { wechatpayAdapter } from '../channels/wechatpay/adapter.ts';
import { wechatOAuth } from '../channels/wechatpay/oauth.ts';
import type { Deps } from '../deps.ts';
import { attemptsOf } from '../store/attempts.ts';
import { openDb, type Db } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { createMerchant } from '../store/orders.ts';

const KEY = 'sk_test_wechat_oauth_1234567890';
const PUBLIC_URL = 'https://pay.example';
const RETURN = 'https://shop.example/checkout?step=pay#options';
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2f) NetType/WIFI Language/zh_CN';
const HTTP: HttpOptions = { timeoutMs: 3000, readRetries: 1 };

let t: WechatpayTestSandbox;
let db: Db;
let deps: Deps;
let app: ReturnType<typeof createApp>;
let clockOffsetMs = 0;
const logged: Record<string, unknown>[] = [];
/** Every Location and body the BFF sent, to show that no AppSecret, session_key or openid ever left it. */
const seen: string[] = [];

beforeAll(async () => {
  t = await startWechatpaySandbox();
  db = await openDb();
  await createMerchant(db, {
    id: 'mch_wx',
    name: 'Tea shop',
    apiKey: KEY,
    settings: { channels: [{ id: 'wechatpay' }] },
    allowedOrigins: ['https://shop.example'],
  });
  deps = {
    db,
    adapters: { wechatpay: wechatpayAdapter(t.credentials, HTTP) },
    wechatOAuth: wechatOAuth(t.credentials, HTTP),
    publicUrl: PUBLIC_URL,
    now: () => new Date(Date.now() + clockOffsetMs),
    log: (line) => logged.push(line),
  };
  app = createApp(deps);
}, 30_000);

afterAll(async () => {
  await db?.close();
  await t?.close();
});

beforeEach(() => {
  clockOffsetMs = 0;
});

async function request(path: string, init: RequestInit = {}, on = app): Promise<Response> {
  const response = await on.request(path, init);
  seen.push(response.headers.get('location') ?? '', await response.clone().text());
  return response;
}

async function newSession(order: Record<string, unknown> = {}): Promise<{ token: string; orderId: string }> {
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': newId('k') },
      body: JSON.stringify(body),
    });
  const created = await post('/v1/orders', { merchantOrderNo: newId('WX'), amount: 12_800, subject: 'Celadon tea set', ...order });
  expect(created.status).toBe(201);
  const orderId = ((await created.json()) as { order: { id: string } }).order.id;
  const session = await post(`/v1/orders/${orderId}/cashier-sessions`, {});
  return { token: ((await session.json()) as { token: string }).token, orderId };
}

function cashier(token: string, path: string, body?: unknown, on = app): Promise<Response> {
  return request(
    `/cashier/v1${path}`,
    {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'user-agent': WECHAT_UA, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    on,
  );
}

const startPath = (token: string, back = RETURN) => `/cashier/v1/wechat/oauth?session=${encodeURIComponent(token)}&return=${encodeURIComponent(back)}`;

/** The BFF's 302 to WeChat's authorize page. */
async function start(token: string, back = RETURN): Promise<URL> {
  const response = await request(startPath(token, back), { headers: { 'user-agent': WECHAT_UA } });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

/** WeChat's silent snsapi_base page, as the browser meets it: the sandbox's 302 back to our callback. */
async function atWechat(authorize: URL, openid?: string): Promise<URL> {
  // A browser never sends the #wechat_redirect fragment; sandbox_openid picks the payer (sandbox-only).
  const url = `${authorize.origin}${authorize.pathname}${authorize.search}${openid ? `&sandbox_openid=${openid}` : ''}`;
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

async function callback(url: URL | string): Promise<Response> {
  return request(typeof url === 'string' ? url : `${url.pathname}${url.search}`);
}

async function payer(token: string) {
  return ((await (await cashier(token, '/session')).json()) as { payer: unknown }).payer;
}

const sandboxOrder = (prepayPackage: string) =>
  t.context.orders.list().find((order) => order.channel === 'wechatpay' && `prepay_id=${order.details.prepayId ?? ''}` === prepayPackage);

describe('web OAuth for JSAPI', () => {
  it('goes to WeChat and back with the openid on the session; JSAPI then pays for that openid without one in the body', async () => {
    const { token, orderId } = await newSession();
    const authorize = await start(token);
    // WeChat's link, parameters in WeChat's order, our callback as redirect_uri, and no session token for WeChat.
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${t.url}/connect/oauth2/authorize`);
    expect([...authorize.searchParams.keys()]).toEqual(['appid', 'redirect_uri', 'response_type', 'scope', 'state']);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      appid: t.secrets.appids[0],
      redirect_uri: `${PUBLIC_URL}/cashier/v1/wechat/oauth/callback`,
      response_type: 'code',
      scope: 'snsapi_base',
    });
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9]{1,128}$/);
    expect(authorize.hash).toBe('#wechat_redirect');
    expect(authorize.toString()).not.toContain(token);
    expect(authorize.toString()).not.toContain(encodeURIComponent(token));

    const openid = 'oJsapiPayer0000000000000001';
    const back = await callback(await atWechat(authorize, openid));
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('https://shop.example/checkout?step=pay&cashier_oauth=ok#options');
    expect(await payer(token)).toEqual({ wechatOpenid: true, miniProgramOpenid: false });

    const paid = await cashier(token, '/pay', { optionId: 'wechatpay:jsapi' });
    expect(paid.status, await paid.clone().text()).toBe(201);
    const { action } = (await paid.json()) as { action: { kind: string; parameters: Record<string, string> } };
    expect(action.kind).toBe('jsapi');
    const order = sandboxOrder(action.parameters.package ?? '');
    expect(order?.details.payerOpenid).toBe(openid);

    // The sheet in WeChat pays it; the query then carries the same payer.
    const sheet = await fetch(`${t.url}/pay/wechatpay/jsapi`, { method: 'POST', body: JSON.stringify(action.parameters) });
    expect(await sheet.json()).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    const status = await cashier(token, '/status/refresh', {});
    expect(await status.json()).toMatchObject({ status: 'succeeded', attempt: { optionId: 'wechatpay:jsapi', status: 'succeeded' } });
    expect((await attemptsOf(db, orderId)).map((attempt) => attempt.status)).toEqual(['succeeded']);
  });

  it('sends the browser back with failed for a code already spent, and keeps no openid', async () => {
    const first = await newSession();
    const spent = await atWechat(await start(first.token), 'oSpentCode00000000000000001');
    expect((await callback(spent)).headers.get('location')).toContain('cashier_oauth=ok');

    const { token } = await newSession();
    const state = (await start(token)).searchParams.get('state') ?? '';
    const replayed = await callback(`/cashier/v1/wechat/oauth/callback?code=${spent.searchParams.get('code') ?? ''}&state=${state}`);
    expect(replayed.status).toBe(302);
    expect(replayed.headers.get('location')).toBe('https://shop.example/checkout?step=pay&cashier_oauth=failed#options');
    expect(await payer(token)).toEqual({ wechatOpenid: false, miniProgramOpenid: false });
    expect(logged.at(-1)).toMatchObject({ level: 'warn', errcode: 40163 });
  });

  it('refuses a state it never issued, or one already used, with 400 and no redirect', async () => {
    const { token } = await newSession();
    const back = await atWechat(await start(token));
    expect((await callback(back)).status).toBe(302);
    for (const url of [
      back,
      `/cashier/v1/wechat/oauth/callback?code=${back.searchParams.get('code') ?? ''}&state=${'f'.repeat(40)}`,
      `/cashier/v1/wechat/oauth/callback?code=x&state=not-alphanumeric!`,
      '/cashier/v1/wechat/oauth/callback?code=x',
    ]) {
      const refused = await callback(url);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
      expect(await refused.json()).toMatchObject({ error: { code: 'invalid_state' } });
    }
  });

  it('lets a state expire after 10 minutes: back with failed, and WeChat’s code is not even spent', async () => {
    const { token } = await newSession();
    const back = await atWechat(await start(token), 'oLateComer00000000000000001');
    clockOffsetMs = 10 * 60_000 + 1000;
    expect((await callback(back)).headers.get('location')).toContain('cashier_oauth=failed');
    expect(await payer(token)).toEqual({ wechatOpenid: false, miniProgramOpenid: false });
    const exchanged = await wechatOAuth(t.credentials, HTTP).exchangeOAuthCode(back.searchParams.get('code') ?? '');
    expect(exchanged).toMatchObject({ ok: true, openid: 'oLateComer00000000000000001' });
  });

  it('sends a customer who refused back with denied', async () => {
    const { token } = await newSession();
    const state = (await start(token)).searchParams.get('state') ?? '';
    const back = await callback(`/cashier/v1/wechat/oauth/callback?state=${state}`);
    expect(back.headers.get('location')).toBe('https://shop.example/checkout?step=pay&cashier_oauth=denied#options');
  });

  it('sends the browser back with failed when WeChat does not answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createApp({ ...deps, wechatOAuth: wechatOAuth({ ...t.credentials, apiGateway: `http://127.0.0.1:${port}` }, HTTP) });
    const { token } = await newSession();
    const started = await request(startPath(token), {}, unreachable);
    const back = await atWechat(new URL(started.headers.get('location') ?? ''));
    const answer = await request(`${back.pathname}${back.search}`, {}, unreachable);
    expect(answer.headers.get('location')).toContain('cashier_oauth=failed');
    expect(logged.at(-1)).toMatchObject({ level: 'warn', reason: 'network error (ECONNREFUSED)' });
  });

  it.each([
    ['on another origin', 'https://evil.example/checkout', 400, 'return_url_not_allowed'],
    ['on the shop’s host over another scheme', 'http://shop.example/checkout', 400, 'return_url_not_allowed'],
    ['that is a script', 'javascript:alert(1)', 400, 'return_url_not_allowed'],
    ['that is relative', '/checkout', 400, 'invalid_request'],
  ])('refuses a return URL %s', async (_what, back, status, code) => {
    const { token } = await newSession();
    const response = await request(startPath(token, back));
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error: { code } });
  });

  it('judges the return URL by the order’s own allowed origins when it has some, as CORS does', async () => {
    const { token } = await newSession({ allowedOrigins: ['https://kiosk.example'] });
    expect((await request(startPath(token))).status).toBe(400);
    expect((await request(startPath(token, 'https://kiosk.example/pay'))).status).toBe(302);
  });

  it('needs a live cashier session', async () => {
    expect((await request(startPath('cs_not_a_real_session_token'))).status).toBe(401);
    expect((await request(`/cashier/v1/wechat/oauth?return=${encodeURIComponent(RETURN)}`)).status).toBe(400);
  });
});

describe('mini-program login', () => {
  async function loginCode(openid: string): Promise<string> {
    const response = await fetch(`${t.url}/sandbox/wechat/login-code?appid=${t.secrets.appids[1] ?? ''}&openid=${openid}`, { method: 'POST' });
    return ((await response.json()) as { code: string }).code;
  }

  it('takes a wx.login code, keeps the mini-program openid, and mini-program pay uses it', async () => {
    const { token } = await newSession();
    const openid = 'oMiniPayer000000000000000077';
    const code = await loginCode(openid);
    const login = await cashier(token, '/wechat/miniprogram/login', { code });
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({ ok: true });
    expect(await payer(token)).toEqual({ wechatOpenid: false, miniProgramOpenid: true });

    const again = await cashier(token, '/wechat/miniprogram/login', { code });
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ error: { code: 'invalid_login_code', field: 'code' } });

    const paid = await cashier(token, '/pay', { optionId: 'wechatpay:miniprogram', evidence: { wxjsEnvironment: 'miniprogram' } });
    expect(paid.status, await paid.clone().text()).toBe(201);
    const { action } = (await paid.json()) as { action: { kind: string; parameters: Record<string, string> } };
    expect(action.kind).toBe('miniprogram');
    const order = sandboxOrder(action.parameters.package ?? '');
    expect(order).toMatchObject({ product: 'miniprogram', details: { appid: t.secrets.appids[1], payerOpenid: openid } });
  });

  it('refuses a malformed code before asking WeChat, and says so for an unknown one', async () => {
    const { token } = await newSession();
    expect((await cashier(token, '/wechat/miniprogram/login', { code: 'a b' })).status).toBe(400);
    const unknown = await cashier(token, '/wechat/miniprogram/login', { code: 'NOTACODE0000000000000000000000000' });
    expect(unknown.status).toBe(422);
    expect(logged.at(-1)).toMatchObject({ errcode: 40029 });
  });

  it('needs the cashier session', async () => {
    const response = await request('/cashier/v1/wechat/miniprogram/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: await loginCode('oNobody0000000000000000001') }),
    });
    expect(response.status).toBe(401);
  });
});

describe('pay without an openid', () => {
  it('answers wechat_openid_required with how to get one, and makes no attempt', async () => {
    const { token, orderId } = await newSession();
    const jsapi = await cashier(token, '/pay', { optionId: 'wechatpay:jsapi' });
    expect(jsapi.status).toBe(409);
    expect(await jsapi.json()).toEqual({
      error: { code: 'wechat_openid_required', message: expect.any(String), field: 'openid' },
      wechat: { flow: 'oauth', authUrl: `${PUBLIC_URL}/cashier/v1/wechat/oauth?session={session}&return={return}` },
    });
    const mini = await cashier(token, '/pay', { optionId: 'wechatpay:miniprogram', evidence: { wxjsEnvironment: 'miniprogram' } });
    expect(mini.status).toBe(409);
    expect(await mini.json()).toMatchObject({
      error: { code: 'wechat_openid_required' },
      wechat: { flow: 'miniprogram-login', loginUrl: `${PUBLIC_URL}/cashier/v1/wechat/miniprogram/login` },
    });
    expect(await attemptsOf(db, orderId)).toEqual([]);
  });

  it('tells a closed order that it cannot be paid, rather than sending the customer to sign in', async () => {
    const { token, orderId } = await newSession();
    const closed = await app.request(`/v1/orders/${orderId}/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'idempotency-key': newId('k') },
    });
    expect(closed.status).toBeLessThan(300);
    const jsapi = await cashier(token, '/pay', { optionId: 'wechatpay:jsapi' });
    expect(jsapi.status).toBe(409);
    expect(await jsapi.json()).toMatchObject({ error: { code: 'order_not_payable' } });
  });

  it('does not pay a mini-program order with the official account’s openid (an openid is per appid)', async () => {
    const { token } = await newSession();
    expect((await callback(await atWechat(await start(token)))).headers.get('location')).toContain('cashier_oauth=ok');
    const mini = await cashier(token, '/pay', { optionId: 'wechatpay:miniprogram', evidence: { wxjsEnvironment: 'miniprogram' } });
    expect(mini.status).toBe(409);
  });

  it('still takes an openid in the body, over the session’s', async () => {
    const { token } = await newSession();
    expect((await callback(await atWechat(await start(token), 'oFromOAuth0000000000000001'))).status).toBe(302);
    const paid = await cashier(token, '/pay', { optionId: 'wechatpay:jsapi', openid: 'oFromTheBody000000000000001' });
    expect(paid.status).toBe(201);
    const { action } = (await paid.json()) as { action: { parameters: Record<string, string> } };
    expect(sandboxOrder(action.parameters.package ?? '')?.details.payerOpenid).toBe('oFromTheBody000000000000001');
  });

  it('says there is no flow when no AppSecret is configured, and the OAuth start is not found', async () => {
    const bare = createApp({ ...deps, wechatOAuth: undefined });
    const { token } = await newSession();
    const jsapi = await cashier(token, '/pay', { optionId: 'wechatpay:jsapi' }, bare);
    expect(await jsapi.json()).toMatchObject({ error: { code: 'wechat_openid_required' }, wechat: { flow: 'unavailable' } });
    const started = await request(startPath(token), {}, bare);
    expect(started.status).toBe(404);
    expect(await started.json()).toMatchObject({ error: { code: 'wechat_oauth_not_configured' } });
  });
});

describe('what leaves the BFF', () => {
  it('never shows an AppSecret, a session_key or an openid to the browser, nor logs an AppSecret', () => {
    expect(seen.length).toBeGreaterThan(20);
    const out = seen.join('\n');
    for (const secret of [t.secrets.appSecret, t.secrets.miniProgramAppSecret]) {
      expect(out).not.toContain(secret);
      expect(JSON.stringify(logged)).not.toContain(secret);
    }
    expect(out).not.toContain('session_key');
    expect(out).not.toMatch(/oJsapiPayer|oMiniPayer0000/);
  });
});
