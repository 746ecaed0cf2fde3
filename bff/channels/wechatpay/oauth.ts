// How the BFF learns a WeChat payer's openid: the official account's web OAuth (网页授权, scope snsapi_base) for
// JSAPI inside WeChat, and the mini-program's code2Session for mini-program pay. Both end in a server-to-server
// GET carrying the AppSecret in its query, so the URL of those calls is never logged nor put in an error.
//
// Sources:
// - Web OAuth: developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html —
//   `https://open.weixin.qq.com/connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=
//   #wechat_redirect`, parameters in exactly that order; `state` a-zA-Z0-9, at most 128 bytes; the customer comes
//   back to redirect_uri?code=CODE&state=STATE, or ?state=STATE only when they refuse; a code is single-use and
//   expires after 5 minutes. `GET https://api.weixin.qq.com/sns/oauth2/access_token?appid=&secret=&code=
//   &grant_type=authorization_code` → {access_token, expires_in, refresh_token, openid, scope} or
//   {"errcode":40029,"errmsg":"invalid code"}; with snsapi_base the flow ends with the openid.
// - Mini-program: developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html —
//   `GET https://api.weixin.qq.com/sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code` →
//   {openid, session_key, unionid?} or errcode 40029 (invalid code), 45011 (100 per user per minute),
//   40226 (high-risk user blocked), -1 (system busy). session_key must never leave the server (same page).
// - 40163 "code been used": what both endpoints answer for a code exchanged twice (WeChat community threads and
//   SDK comments quoting `{"errcode":40163,"errmsg":"code been used, rid: …"}`); [UNVERIFIED] on an official page.
// - These answers come as HTTP 200 whatever the errcode, often labelled text/plain (panva/oauth4webapi#155,
//   node-webot/wechat-api#138): the body is read as JSON whatever the Content-Type says.

import type { WechatpayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';

export const AUTHORIZE_PATH = '/connect/oauth2/authorize';
export const ACCESS_TOKEN_PATH = '/sns/oauth2/access_token';
export const JSCODE2SESSION_PATH = '/sns/jscode2session';

/** An openid as the cashier accepts one (the pay body's rule); WeChat's are 28 characters of [A-Za-z0-9_-]. */
export const OPENID = /^[\w-]{6,64}$/;

/** errcodes after which asking again later may work: the code was not judged (-1 system busy, 45011 rate limit). */
const TRANSIENT_ERRCODES: readonly number[] = [-1, 45011];
/** errcodes that say the code itself is no good: invalid or expired (40029), already exchanged (40163). */
export const BAD_CODE_ERRCODES: readonly number[] = [40029, 40163];

export type CodeExchange =
  | { readonly ok: true; readonly appid: string; readonly openid: string }
  /** WeChat answered with an errcode; `transient` when asking again later may succeed. */
  | { readonly ok: false; readonly kind: 'refused'; readonly errcode: number; readonly errmsg: string; readonly transient: boolean }
  /** No usable answer: timeout, network failure, something that is not WeChat's JSON. */
  | { readonly ok: false; readonly kind: 'unavailable'; readonly reason: string };

export interface WechatOAuth {
  /** The official account's appid, when its AppSecret is configured (web OAuth is possible). */
  readonly appid: string | undefined;
  /** The mini-program's appid, when it and its AppSecret are configured (code2Session is possible). */
  readonly miniProgramAppid: string | undefined;
  /** The authorize URL the customer's browser is sent to (snsapi_base: no page, WeChat redirects at once). */
  authorizeUrl(redirectUri: string, state: string): string;
  /** A web-OAuth code → the payer's openid under the official account. */
  exchangeOAuthCode(code: string): Promise<CodeExchange>;
  /** A wx.login code → the payer's openid under the mini-program (session_key is dropped here). */
  exchangeLoginCode(code: string): Promise<CodeExchange>;
}

/** WeChat's `state`: a-zA-Z0-9, at most 128 bytes (the OAuth page above). */
export const STATE = /^[A-Za-z0-9]{1,128}$/;

export function wechatOAuth(credentials: WechatpayCredentials, http: HttpOptions): WechatOAuth {
  const oauthBase = credentials.oauthGateway.replace(/\/+$/, '');
  const apiBase = credentials.apiGateway.replace(/\/+$/, '');
  const officialSecret = credentials.appSecret;
  const miniAppid = credentials.miniProgramAppid;
  const miniSecret = credentials.miniProgramAppSecret;

  async function exchange(path: string, appid: string, secret: string, codeField: 'code' | 'js_code', code: string): Promise<CodeExchange> {
    // Query order as WeChat's pages write it; URLSearchParams encodes each value.
    const query = new URLSearchParams({ appid, secret, [codeField]: code, grant_type: 'authorization_code' });
    let text: string;
    try {
      const response = await (http.fetch ?? fetch)(`${apiBase}${path}?${query.toString()}`, {
        headers: { Accept: 'application/json', 'User-Agent': 'unified-cashier (wechat-oauth)' },
        signal: AbortSignal.timeout(http.timeoutMs),
        // A code is single-use: never retried, since a lost answer may have spent it (a retry would get 40163).
      });
      text = await response.text();
      if (response.status !== 200) return { ok: false, kind: 'unavailable', reason: `HTTP ${response.status}` };
    } catch (error) {
      // Only the error's kind: a fetch error's message or cause may quote the URL, and the URL holds the secret.
      const name = (error as { name?: unknown } | null)?.name;
      const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      return {
        ok: false,
        kind: 'unavailable',
        reason: name === 'TimeoutError' ? `no answer within ${http.timeoutMs} ms` : `network error${typeof cause === 'string' ? ` (${cause})` : ''}`,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, kind: 'unavailable', reason: 'the answer is not JSON' };
    }
    if (typeof json !== 'object' || json === null) return { ok: false, kind: 'unavailable', reason: 'the answer is not a JSON object' };
    const body = json as Record<string, unknown>;
    // code2Session once answered errcode 0 beside the openid (WeChat community, 2020): 0 is not an error.
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      const errmsg = typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : '';
      return { ok: false, kind: 'refused', errcode: body.errcode, errmsg, transient: TRANSIENT_ERRCODES.includes(body.errcode) };
    }
    if (typeof body.openid !== 'string' || !OPENID.test(body.openid)) return { ok: false, kind: 'unavailable', reason: 'the answer has no openid' };
    return { ok: true, appid, openid: body.openid };
  }

  const notConfigured = (what: string): CodeExchange => ({ ok: false, kind: 'unavailable', reason: `${what} is not configured` });

  return {
    appid: officialSecret === undefined ? undefined : credentials.appid,
    miniProgramAppid: miniAppid !== undefined && miniSecret !== undefined ? miniAppid : undefined,
    authorizeUrl(redirectUri, state) {
      if (!STATE.test(state)) throw new Error('a WeChat OAuth state is 1–128 letters and digits');
      // WeChat matches the link strictly, parameter order included; #wechat_redirect is required on a 302.
      return (
        `${oauthBase}${AUTHORIZE_PATH}?appid=${encodeURIComponent(credentials.appid)}` +
        `&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`
      );
    },
    exchangeOAuthCode: (code) =>
      officialSecret === undefined
        ? Promise.resolve(notConfigured('the official account AppSecret'))
        : exchange(ACCESS_TOKEN_PATH, credentials.appid, officialSecret, 'code', code),
    exchangeLoginCode: (code) =>
      miniAppid === undefined || miniSecret === undefined
        ? Promise.resolve(notConfigured('the mini-program appid or AppSecret'))
        : exchange(JSCODE2SESSION_PATH, miniAppid, miniSecret, 'js_code', code),
  };
}
