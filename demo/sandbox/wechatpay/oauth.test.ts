// The sandbox's WeChat sign-in endpoints over real HTTP: the authorize page's silent snsapi_base redirect and its
// refusals, the code exchanges with WeChat's errcodes (invalid, used, expired, wrong appid or secret, rate limit),
// and the sandbox-only wx.login stand-in.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_VALIDITY_MS, JSCODE_RATE_PER_MINUTE, OAUTH_PATHS, sandboxOpenid } from './oauth.ts';
import { startWechatpaySandbox, type WechatpayTestSandbox } from './testing.ts';

let t: WechatpayTestSandbox;
const REDIRECT = 'https://bff.example/cashier/v1/wechat/oauth/callback?x=1';

beforeAll(async () => {
  t = await startWechatpaySandbox();
}, 30_000);
afterAll(async () => t?.close());

const official = () => t.secrets.appids[0] ?? '';
const mini = () => t.secrets.appids[1] ?? '';

function authorizeUrl(overrides: Record<string, string | undefined> = {}, extra = ''): string {
  const fields: Record<string, string | undefined> = {
    appid: official(),
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'snsapi_base',
    state: 'abc123',
    ...overrides,
  };
  const query = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return `${t.url}${OAUTH_PATHS.authorize}?${query}${extra}#wechat_redirect`;
}

async function authorize(url: string, cookie?: string) {
  const response = await fetch(url, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
  return { response, location: response.headers.get('location'), text: await response.text() };
}

/** A fresh web-OAuth code for `openid` (or the cookie's user). */
async function oauthCode(openid = 'oSandboxPayer0000000000000001'): Promise<string> {
  const { location } = await authorize(authorizeUrl({}, `&sandbox_openid=${openid}`));
  return new URL(location ?? '').searchParams.get('code') ?? '';
}

async function loginCode(openid = 'oMiniPayer000000000000000001'): Promise<string> {
  const response = await fetch(`${t.url}${OAUTH_PATHS.loginCode}?appid=${mini()}&openid=${openid}`, { method: 'POST' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { code: string }).code;
}

async function get(path: string, query: Record<string, string>) {
  const response = await fetch(`${t.url}${path}?${new URLSearchParams(query).toString()}`);
  return { status: response.status, contentType: response.headers.get('content-type'), json: JSON.parse(await response.text()) as Record<string, unknown> };
}

const token = (code: string, overrides: Record<string, string> = {}) =>
  get(OAUTH_PATHS.accessToken, { appid: official(), secret: t.secrets.appSecret, code, grant_type: 'authorization_code', ...overrides });
const session = (code: string, overrides: Record<string, string> = {}) =>
  get(OAUTH_PATHS.jscode2session, { appid: mini(), secret: t.secrets.miniProgramAppSecret, js_code: code, grant_type: 'authorization_code', ...overrides });

describe('GET /connect/oauth2/authorize', () => {
  it('redirects at once for snsapi_base, with a fresh 32-character code and the state, keeping redirect_uri’s query', async () => {
    const { response, location } = await authorize(authorizeUrl());
    expect(response.status).toBe(302);
    const back = new URL(location ?? '');
    expect(`${back.origin}${back.pathname}`).toBe('https://bff.example/cashier/v1/wechat/oauth/callback');
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('state')).toBe('abc123');
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{32}$/);
    const again = new URL((await authorize(authorizeUrl())).location ?? '');
    expect(again.searchParams.get('code')).not.toBe(back.searchParams.get('code'));
  });

  it('is one WeChat user per browser: the cookie it sets gives the same openid again, another browser another', async () => {
    const first = await authorize(authorizeUrl());
    const cookie = first.response.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^sandbox_wx_user=[0-9a-f]{32}$/);
    const openidOf = async (location: string | null) =>
      (await token(new URL(location ?? '').searchParams.get('code') ?? '')).json.openid;
    const mine = await openidOf(first.location);
    expect(mine).toBe(sandboxOpenid(official(), cookie.split('=')[1] ?? ''));
    expect(await openidOf((await authorize(authorizeUrl(), cookie)).location)).toBe(mine);
    expect(await openidOf((await authorize(authorizeUrl())).location)).not.toBe(mine);
  });

  it('lets a test pick the payer with sandbox_openid', async () => {
    expect((await token(await oauthCode('oPickedByTheTest00000000000001'))).json.openid).toBe('oPickedByTheTest00000000000001');
  });

  it.each([
    ['no appid', () => authorizeUrl({ appid: undefined }), '10012'],
    ['no redirect_uri', () => authorizeUrl({ redirect_uri: undefined }), '10011'],
    ['no scope', () => authorizeUrl({ scope: undefined }), '10010'],
    ['a scope the account lacks', () => authorizeUrl({ scope: 'snsapi_login' }), '10005'],
    ['the mini-program’s appid', () => authorizeUrl({ appid: mini() }), 'appid'],
    ['response_type other than code', () => authorizeUrl({ response_type: 'token' }), 'response_type'],
    [
      'parameters out of WeChat’s order',
      () => `${t.url}${OAUTH_PATHS.authorize}?redirect_uri=${encodeURIComponent(REDIRECT)}&appid=${official()}&response_type=code&scope=snsapi_base&state=1`,
      '顺序',
    ],
  ] as const)('refuses a link with %s, on a page and without redirecting', async (_what, url, expected) => {
    const { response, text } = await authorize(url());
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(text).toContain(expected);
  });

  it('asks first for snsapi_userinfo; refusing comes back with the state alone, allowing with a code', async () => {
    const { response, text } = await authorize(authorizeUrl({ scope: 'snsapi_userinfo', state: 's1' }));
    expect(response.status).toBe(200);
    expect(text).toContain('允许');
    const form = (decision: string) => {
      const body = new URLSearchParams();
      for (const [, name, value] of text.matchAll(/name="([a-z_]+)" value="([^"]*)"/g)) body.set(name ?? '', (value ?? '').replaceAll('&amp;', '&'));
      body.set('decision', decision);
      return fetch(`${t.url}${OAUTH_PATHS.authorize}`, { method: 'POST', body, redirect: 'manual' });
    };
    const denied = new URL((await form('deny')).headers.get('location') ?? '');
    expect(denied.searchParams.get('state')).toBe('s1');
    expect(denied.searchParams.has('code')).toBe(false);
    const allowed = new URL((await form('allow')).headers.get('location') ?? '');
    expect((await token(allowed.searchParams.get('code') ?? '')).json).toMatchObject({ scope: 'snsapi_userinfo' });
  });
});

describe('GET /sns/oauth2/access_token', () => {
  it('answers WeChat’s token object as text/plain, then 40163 for the same code', async () => {
    const code = await oauthCode();
    const first = await token(code);
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('text/plain');
    expect(first.json).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9]{20,}$/),
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{20,}$/),
      openid: 'oSandboxPayer0000000000000001',
      scope: 'snsapi_base',
    });
    const second = await token(code);
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ errcode: 40163, errmsg: expect.stringMatching(/^code been used, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/) });
  });

  it('refuses a code past 5 minutes on the channel’s clock as invalid (40029)', async () => {
    const code = await oauthCode();
    t.context.clock.advance(CODE_VALIDITY_MS + 1000);
    expect((await token(code)).json.errcode).toBe(40029);
  });

  it('keeps a code good just inside its 5 minutes', async () => {
    const code = await oauthCode();
    t.context.clock.advance(CODE_VALIDITY_MS - 5000);
    expect((await token(code)).json.openid).toBe('oSandboxPayer0000000000000001');
  });

  it.each([
    ['an unknown code', () => ({ code: 'NOTACODE0000000000000000000000000' }), 40029],
    ['a wrong AppSecret', () => ({ secret: '0'.repeat(32) }), 40125],
    ['the mini-program’s appid', () => ({ appid: mini() }), 40013],
    ['the mini-program’s AppSecret', () => ({ secret: t.secrets.miniProgramAppSecret }), 40125],
    ['no appid', () => ({ appid: '' }), 41002],
    ['no secret', () => ({ secret: '' }), 41004],
    ['no code', () => ({ code: '' }), 41008],
    ['another grant_type', () => ({ grant_type: 'client_credential' }), 40002],
  ] as const)('refuses %s with errcode %i, leaving the code unspent', async (_what, overrides, errcode) => {
    const code = await oauthCode();
    const refused = await token(code, overrides());
    expect(refused.json).toMatchObject({ errcode, errmsg: expect.any(String) });
    expect(refused.json).not.toHaveProperty('openid');
    expect((await token(code)).json.openid).toBe('oSandboxPayer0000000000000001');
  });

  it('does not take a wx.login code', async () => {
    expect((await token(await loginCode())).json.errcode).toBe(40029);
  });
});

describe('GET /sns/jscode2session and the wx.login stand-in', () => {
  it('mints a code for the chosen openid and exchanges it once for {session_key, openid}', async () => {
    const code = await loginCode('oMiniPayer000000000000000042');
    const first = await session(code);
    expect(first.contentType).toBe('text/plain');
    expect(first.json).toEqual({ session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/), openid: 'oMiniPayer000000000000000042' });
    expect((await session(code)).json.errcode).toBe(40163);
  });

  it('gives a browser’s user the mini-program’s own openid, not the official account’s', async () => {
    const first = await fetch(`${t.url}${OAUTH_PATHS.loginCode}?appid=${mini()}`, { method: 'POST' });
    const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
    const minted = (await first.json()) as { errMsg: string; code: string; openid: string };
    expect(minted.errMsg).toBe('login:ok');
    expect(minted.openid).toBe(sandboxOpenid(mini(), cookie.split('=')[1] ?? ''));
    expect(minted.openid).not.toBe(sandboxOpenid(official(), cookie.split('=')[1] ?? ''));
    expect((await session(minted.code)).json.openid).toBe(minted.openid);
  });

  it('mints only for the demo mini-program', async () => {
    const response = await fetch(`${t.url}${OAUTH_PATHS.loginCode}?appid=${official()}`, { method: 'POST' });
    expect(response.status).toBe(400);
  });

  it.each([
    ['the official account’s appid', () => ({ appid: official() }), 40013],
    ['the official account’s AppSecret', () => ({ secret: t.secrets.appSecret }), 40125],
    ['no js_code', () => ({ js_code: '' }), 41008],
  ] as const)('refuses %s with errcode %i', async (_what, overrides, errcode) => {
    expect((await session(await loginCode(), overrides())).json.errcode).toBe(errcode);
  });

  it('does not take a web-OAuth code, and lets a wx.login code expire after 5 minutes', async () => {
    expect((await session(await oauthCode())).json.errcode).toBe(40029);
    const code = await loginCode();
    t.context.clock.advance(CODE_VALIDITY_MS + 1000);
    expect((await session(code)).json.errcode).toBe(40029);
  });

  it('limits one user to 100 exchanges a minute (45011), then lets them in again the next minute', async () => {
    const openid = 'oRateLimited0000000000000001';
    for (let i = 0; i < JSCODE_RATE_PER_MINUTE; i += 1) expect((await session(await loginCode(openid))).json.openid).toBe(openid);
    const code = await loginCode(openid);
    expect((await session(code)).json.errcode).toBe(45011);
    // Someone else is not held up by it.
    expect((await session(await loginCode())).json.openid).toBe('oMiniPayer000000000000000001');
    t.context.clock.advance(61_000);
    expect((await session(code)).json.openid).toBe(openid);
  });
});
