// WeChat's sign-in endpoints as the sandbox plays them, so the BFF can learn a payer's openid the real way: the
// official account's web OAuth page (open.weixin.qq.com/connect/oauth2/authorize), the code exchanges on
// api.weixin.qq.com (sns/oauth2/access_token, sns/jscode2session), and a sandbox-only stand-in for wx.login.
//
// Sources (the same as bff/channels/wechatpay/oauth.ts): the official account's web OAuth page
// (developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html) — parameters in a fixed
// order, snsapi_base redirects at once without a page, snsapi_userinfo asks first, a refusal comes back with the
// state alone, a code is single-use and lives 5 minutes, errors as {"errcode":40029,"errmsg":"invalid code"};
// its authorize error codes 10005 (scope not granted), 10010 (scope empty), 10011 (redirect_uri empty), 10012
// (appid empty). code2Session (developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html)
// — {openid, session_key, unionid?}, 40029, 45011 (100 per user per minute), -1. 40163 "code been used", 40013
// "invalid appid", 40125 "invalid appsecret", 41002/41004/41008 (appid/appsecret/code missing), 40002 (invalid
// grant_type) and the ", rid: …" tail of errmsg are as developers quote WeChat's answers in its community.
//
// Sandbox-only, documented as such: `sandbox_openid=<openid>` on the authorize URL picks the payer (tests), a
// `sandbox_wx_user` cookie makes one browser one WeChat user (a stable openid per appid), and
// `POST /sandbox/wechat/login-code?appid=<mini-program appid>[&openid=…]` mints what wx.login would give the
// mini-program (the demo's simulated mini-program and tests use it).

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html, page, type Html } from '../pages.ts';
import type { WechatpayEnv } from './protocol.ts';

export const OAUTH_PATHS = {
  authorize: '/connect/oauth2/authorize',
  accessToken: '/sns/oauth2/access_token',
  jscode2session: '/sns/jscode2session',
  loginCode: '/sandbox/wechat/login-code',
} as const;

/** A code lives 5 minutes on the channel's clock (the OAuth page; code2Session codes likewise [UNVERIFIED]). */
export const CODE_VALIDITY_MS = 5 * 60_000;
/** code2Session: 100 calls per user per minute, then 45011. */
export const JSCODE_RATE_PER_MINUTE = 100;
/** The order WeChat's authorize link must keep; it refuses the link otherwise (the OAuth page's 特别注意). */
const AUTHORIZE_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'] as const;
const SCOPES = ['snsapi_base', 'snsapi_userinfo'] as const;
const USER_COOKIE = 'sandbox_wx_user';
const OPENID = /^[\w-]{6,64}$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface IssuedCode {
  readonly kind: 'oauth' | 'jscode';
  readonly appid: string;
  readonly openid: string;
  readonly scope: string;
  readonly issuedAt: number;
  used: boolean;
}

/** One errcode answer; errmsg carries WeChat's `, rid: …` tail (the request id developers quote to support). */
function wechatError(c: Context, errcode: number, errmsg: string): Response {
  return answer(c, { errcode, errmsg: `${errmsg}, rid: ${rid()}` });
}

/** HTTP 200 whatever the outcome, labelled text/plain as WeChat's sns answers are (panva/oauth4webapi#155). */
function answer(c: Context, body: object): Response {
  return c.body(JSON.stringify(body), 200, { 'Content-Type': 'text/plain' });
}

function rid(): string {
  return [4, 4, 4].map((n) => randomBytes(n).toString('hex')).join('-');
}

function alnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** A stable stand-in for a user's openid under an appid: 28 characters starting with `o`, like WeChat's. */
export function sandboxOpenid(appid: string, user: string): string {
  return `o${createHash('sha256').update(`${appid}:${user}`).digest('base64url').slice(0, 27)}`;
}

export function wechatOAuthApp(env: WechatpayEnv): Hono {
  const [officialAppid, miniAppid] = env.secrets.appids;
  const codes = new Map<string, IssuedCode>();
  /** code2Session calls per openid in the current minute, for 45011. */
  const calls = new Map<string, number[]>();
  const now = () => env.clock.now().getTime();

  function issue(kind: IssuedCode['kind'], appid: string, openid: string, scope: string): string {
    // Codes nobody exchanged are forgotten an hour on; until then an expired one still reads as invalid.
    for (const [code, issued] of codes) if (now() - issued.issuedAt > 3_600_000) codes.delete(code);
    const code = alnum(32);
    codes.set(code, { kind, appid, openid, scope, issuedAt: now(), used: false });
    return code;
  }

  /** The WeChat user this browser is, by its cookie (one is given on first sight), or the test's pick. */
  function payer(c: Context, appid: string, picked: string | undefined): string | undefined {
    if (picked !== undefined) return OPENID.test(picked) ? picked : undefined;
    let user = getCookie(c, USER_COOKIE);
    if (user === undefined || !/^[0-9a-f]{32}$/.test(user)) {
      user = randomBytes(16).toString('hex');
      setCookie(c, USER_COOKIE, user, { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 365 * 86_400 });
    }
    return sandboxOpenid(appid, user);
  }

  /** A code for exchange: unknown, of the other kind, for another appid or past 5 minutes is 40029; spent is 40163. */
  function redeem(c: Context, kind: IssuedCode['kind'], appid: string, code: string): IssuedCode | Response {
    const issued = codes.get(code);
    if (!issued || issued.kind !== kind || issued.appid !== appid || now() - issued.issuedAt > CODE_VALIDITY_MS) {
      return wechatError(c, 40029, 'invalid code');
    }
    if (issued.used) return wechatError(c, 40163, 'code been used');
    return issued;
  }

  /** The checks both exchanges share, in the order of their parameters. */
  function credentials(c: Context, codeField: 'code' | 'js_code', appid: string | undefined, secret: string | undefined): Response | { code: string } {
    const query = c.req.query();
    if (!query.appid) return wechatError(c, 41002, 'appid missing');
    if (!query.secret) return wechatError(c, 41004, 'appsecret missing');
    const code = query[codeField];
    if (!code) return wechatError(c, 41008, 'missing code');
    if (query.grant_type !== 'authorization_code') return wechatError(c, 40002, 'invalid grant_type');
    if (appid === undefined || query.appid !== appid) return wechatError(c, 40013, 'invalid appid');
    if (secret === undefined || query.secret !== secret) return wechatError(c, 40125, 'invalid appsecret');
    return { code };
  }

  function authorizeError(c: Context, code: number | undefined, text: string): Response {
    // WeChat shows these on its own page; the HTTP status is the sandbox's choice (no source says WeChat's).
    return c.html(page('微信授权', html`<h1>${code === undefined ? '' : `${code} `}${text}</h1>`), 400);
  }

  function back(c: Context, redirectUri: string, fields: Record<string, string>): Response {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
    return c.redirect(url.toString(), 302);
  }

  function consentPage(fields: Record<string, string>): Html {
    const hidden = Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
    return html`<h1>微信授权</h1>
<div class="card">
<p>该网页申请获取你的昵称、头像</p>
<form method="post" action="${OAUTH_PATHS.authorize}">
${hidden}
<button class="primary" type="submit" name="decision" value="allow">允许</button>
<button type="submit" name="decision" value="deny">拒绝</button>
</form>
</div>`;
  }

  return (
    new Hono()
      .get(OAUTH_PATHS.authorize, (c) => {
        const search = new URL(c.req.url).searchParams;
        const query = Object.fromEntries(search);
        if (!query.appid) return authorizeError(c, 10012, 'appid不能为空');
        if (!query.redirect_uri) return authorizeError(c, 10011, 'redirect_uri不能为空');
        if (!query.scope) return authorizeError(c, 10010, 'scope不能为空');
        const given = [...search.keys()].filter((key) => (AUTHORIZE_ORDER as readonly string[]).includes(key));
        if (given.join() !== AUTHORIZE_ORDER.filter((name) => search.has(name)).join()) {
          return authorizeError(c, undefined, '链接参数顺序不对，授权页面无法正常访问');
        }
        // [UNVERIFIED] WeChat's own wording for these two; the sandbox knows only the demo's official account.
        if (query.appid !== officialAppid) return authorizeError(c, undefined, 'appid参数错误（不是本公众号的AppID）');
        if (query.response_type !== 'code') return authorizeError(c, undefined, 'response_type参数错误');
        if (!(SCOPES as readonly string[]).includes(query.scope)) return authorizeError(c, 10005, '此公众号并没有这些scope的权限');
        const redirectUri = query.redirect_uri;
        if (!URL.canParse(redirectUri) || !['http:', 'https:'].includes(new URL(redirectUri).protocol)) {
          return authorizeError(c, 10003, 'redirect_uri域名与后台配置不一致');
        }
        const openid = payer(c, query.appid, query.sandbox_openid);
        if (openid === undefined) return authorizeError(c, undefined, 'sandbox_openid 应为 6-64 位字母、数字、_ 或 -');
        const state = query.state ?? '';
        if (query.scope === 'snsapi_userinfo') {
          return c.html(page('微信授权', consentPage({ appid: query.appid, redirect_uri: redirectUri, state, openid })));
        }
        // snsapi_base: silent, WeChat redirects at once.
        return back(c, redirectUri, { code: issue('oauth', query.appid, openid, query.scope), state });
      })
      // The snsapi_userinfo consent page's answer. Refusing comes back with the state alone.
      .post(OAUTH_PATHS.authorize, async (c) => {
        const form = await c.req.parseBody();
        const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
        const redirectUri = field('redirect_uri');
        if (field('appid') !== officialAppid || !URL.canParse(redirectUri) || !OPENID.test(field('openid'))) {
          return authorizeError(c, undefined, '授权请求无效');
        }
        if (field('decision') !== 'allow') return back(c, redirectUri, { state: field('state') });
        return back(c, redirectUri, { code: issue('oauth', officialAppid, field('openid'), 'snsapi_userinfo'), state: field('state') });
      })
      .get(OAUTH_PATHS.accessToken, (c) => {
        const checked = credentials(c, 'code', officialAppid, env.secrets.appSecret);
        if (checked instanceof Response) return checked;
        const issued = redeem(c, 'oauth', officialAppid ?? '', checked.code);
        if (issued instanceof Response) return issued;
        issued.used = true;
        return answer(c, {
          access_token: alnum(86),
          expires_in: 7200,
          refresh_token: alnum(86),
          openid: issued.openid,
          scope: issued.scope,
        });
      })
      .get(OAUTH_PATHS.jscode2session, (c) => {
        const checked = credentials(c, 'js_code', miniAppid, env.secrets.miniProgramAppSecret);
        if (checked instanceof Response) return checked;
        const issued = redeem(c, 'jscode', miniAppid ?? '', checked.code);
        if (issued instanceof Response) return issued;
        const recent = (calls.get(issued.openid) ?? []).filter((at) => now() - at < 60_000);
        if (recent.length >= JSCODE_RATE_PER_MINUTE) {
          calls.set(issued.openid, recent);
          return wechatError(c, 45011, 'api minute-quota reach limit mustslower retry next minute');
        }
        calls.set(issued.openid, [...recent, now()]);
        issued.used = true;
        // No unionid: the demo mini-program is not bound to an Open Platform account.
        return answer(c, { session_key: randomBytes(16).toString('base64'), openid: issued.openid });
      })
      // Sandbox-only: what wx.login gives the mini-program, with the openid the code stands for.
      .post(OAUTH_PATHS.loginCode, (c) => {
        const appid = c.req.query('appid');
        if (appid === undefined || appid !== miniAppid) return c.json({ errMsg: 'login:fail invalid appid' }, 400);
        const openid = payer(c, appid, c.req.query('openid'));
        if (openid === undefined) return c.json({ errMsg: 'login:fail openid must be 6-64 letters, digits, _ or -' }, 400);
        return c.json({ errMsg: 'login:ok', code: issue('jscode', appid, openid, ''), openid });
      })
  );
}
