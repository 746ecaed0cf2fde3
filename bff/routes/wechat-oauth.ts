// The payer's WeChat openid for a cashier session: the official account's web OAuth (snsapi_base: inside WeChat it
// is silent, WeChat redirects straight back) for JSAPI, and the mini-program's wx.login code for mini-program pay.
// The AppSecrets stay in the BFF; the openid stays on the session (the browser only learns that there is one).
//
// Contract (all under /cashier/v1; the widget is built against it):
//
// GET /wechat/oauth?session=<cashier session token>&return=<absolute URL>
//   A top-level navigation (no Authorization header: the session is in the query, on our own origin only).
//   401 invalid_session · 400 invalid_request (missing/malformed parameters) · 400 return_url_not_allowed (`return`
//   is not on an origin the order allows: the same list as the cashier API's CORS) · 404 wechat_oauth_not_configured
//   (no official-account AppSecret). Otherwise 302 to
//   https://open.weixin.qq.com/connect/oauth2/authorize?appid=…&redirect_uri=<publicUrl>/cashier/v1/wechat/oauth/callback
//   &response_type=code&scope=snsapi_base&state=<random, 40 hex>#wechat_redirect
//   The state is a key to a server-side row (session, return URL) valid 10 minutes, used once; WeChat never sees
//   the session token.
//
// GET /wechat/oauth/callback?code=…&state=…   (WeChat sends the browser here)
//   400 invalid_state when the state is missing, unknown, or already used (there is no return URL to trust then).
//   Otherwise 302 to the return URL with `cashier_oauth` set in its query:
//     ok      the openid is on the session;
//     denied  WeChat came back without a code (the customer refused);
//     failed  the state had expired, the code was refused (invalid, used, expired) or WeChat did not answer.
//
// POST /wechat/miniprogram/login   Authorization: Bearer <cashier session token>   body {"code": "<wx.login code>"}
//   200 {"ok": true} — the mini-program openid is on the session (session_key is never stored nor returned).
//   422 invalid_login_code (40029 invalid/expired, 40163 used: call wx.login again) · 503 wechat_unavailable
//   (busy, rate-limited or no answer: retry) · 502 wechat_refused (any other errcode) · 404
//   wechat_miniprogram_not_configured.
//
// GET /session additionally answers  "payer": {"wechatOpenid": boolean, "miniProgramOpenid": boolean}.
//
// POST /pay with a WeChat JSAPI option (`wechatpay:jsapi`) uses the session's official-account openid, with the
//   mini-program option (`wechatpay:miniprogram`) the session's mini-program openid, unless the body has `openid`
//   (which still wins). Without either: 409
//   {"error": {"code": "wechat_openid_required", "message": "…", "field": "openid"},
//    "wechat": {"flow": "oauth", "authUrl": "<publicUrl>/cashier/v1/wechat/oauth?session={session}&return={return}"}}
//   — replace {session} and {return} with encodeURIComponent'd values and navigate the top window there — or
//   "wechat": {"flow": "miniprogram-login", "loginUrl": "<publicUrl>/cashier/v1/wechat/miniprogram/login"}, or
//   "wechat": {"flow": "unavailable"} when the merchant has no AppSecret for that appid. No attempt is created.

import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { Option } from '../../shared/schemas/index.ts';
import { BAD_CODE_ERRCODES, OPENID, STATE, type CodeExchange } from '../channels/wechatpay/oauth.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { cashierOrigins, parseWith } from '../http.ts';
import { getOrderById, merchantById } from '../store/orders.ts';
import {
  createOAuthState,
  findSession,
  sessionByHash,
  setSessionPayer,
  takeOAuthState,
  type SessionPayer,
  type SessionRow,
} from '../store/sessions.ts';

export const CALLBACK_PATH = '/cashier/v1/wechat/oauth/callback';
export const OAUTH_RESULT_PARAM = 'cashier_oauth';
/** Long enough to pass WeChat's silent redirect twice over; the code it brings back lives 5 minutes anyway. */
const STATE_TTL_MS = 10 * 60_000;

export type OAuthOutcome = 'ok' | 'denied' | 'failed';

/** wx.login and OAuth codes are 32 letters and digits in practice; this only keeps junk away from WeChat. */
const CODE = v.pipe(v.string(), v.regex(/^[\w-]{8,128}$/));

const StartQuerySchema = v.object({
  session: v.pipe(v.string(), v.regex(/^[\x21-\x7e]{8,200}$/)),
  return: v.pipe(v.string(), v.maxLength(2000), v.url()),
});

export const MiniProgramLoginSchema = v.strictObject({ code: CODE });


/** GET /wechat/oauth and its callback: browser navigations, answered before the cashier API's bearer check. */
export function wechatOAuthPages(deps: Deps) {
  return new Hono()
    .get('/', async (c) => {
      const query = parseWith(StartQuerySchema, { session: c.req.query('session'), return: c.req.query('return') });
      const session = await findSession(deps.db, query.session);
      const order = session ? await getOrderById(deps.db, session.orderId) : undefined;
      const merchant = order ? await merchantById(deps.db, order.merchant_id) : undefined;
      if (!session || !order || !merchant) throw new ApiError(401, 'invalid_session', 'the cashier session is unknown or has expired');
      const target = new URL(query.return);
      if (!['http:', 'https:'].includes(target.protocol) || !cashierOrigins(deps, order, merchant).includes(target.origin)) {
        throw new ApiError(400, 'return_url_not_allowed', 'return must be on an origin this order allows', 'return');
      }
      const oauth = deps.wechatOAuth;
      if (oauth?.appid === undefined) {
        throw new ApiError(404, 'wechat_oauth_not_configured', 'this cashier has no WeChat official account AppSecret configured');
      }
      // 20 random bytes in hex: WeChat's state takes only a-zA-Z0-9, at most 128 bytes.
      const state = randomBytes(20).toString('hex');
      const now = deps.now();
      await createOAuthState(deps.db, state, { sessionHash: session.tokenHash, returnUrl: target.toString(), expiresAt: new Date(now.getTime() + STATE_TTL_MS) }, now);
      return redirect(c, oauth.authorizeUrl(`${deps.publicUrl}${CALLBACK_PATH}`, state));
    })
    .get('/callback', async (c) => {
      const state = c.req.query('state') ?? '';
      const taken = STATE.test(state) ? await takeOAuthState(deps.db, state) : undefined;
      if (!taken) throw new ApiError(400, 'invalid_state', 'this WeChat sign-in link is unknown, expired or already used; start the payment again');
      const back = (outcome: OAuthOutcome) => redirect(c, withOutcome(taken.returnUrl, outcome));
      if (taken.expiresAt.getTime() <= deps.now().getTime()) return back('failed');
      const code = c.req.query('code');
      // WeChat comes back with the state alone when the customer refuses (the OAuth page, see oauth.ts).
      if (code === undefined || code === '') return back('denied');
      if (!v.is(CODE, code) || !deps.wechatOAuth) return back('failed');
      const exchanged = await deps.wechatOAuth.exchangeOAuthCode(code);
      if (!exchanged.ok) {
        logFailure(deps, 'oauth', exchanged);
        return back('failed');
      }
      const session = await sessionByHash(deps.db, taken.sessionHash);
      if (!session) return back('failed');
      const stored = await setSessionPayer(deps.db, session.tokenHash, 'wechat', { appid: exchanged.appid, openid: exchanged.openid });
      return back(stored ? 'ok' : 'failed');
    });
}

/** POST /wechat/miniprogram/login, behind the cashier API's bearer check: a wx.login code → the mini-program openid. */
export async function miniProgramLogin(deps: Deps, session: SessionRow, code: string): Promise<{ ok: true }> {
  if (deps.wechatOAuth?.miniProgramAppid === undefined) {
    throw new ApiError(404, 'wechat_miniprogram_not_configured', 'this cashier has no WeChat mini-program appid and AppSecret configured');
  }
  const exchanged = await deps.wechatOAuth.exchangeLoginCode(code);
  if (!exchanged.ok) {
    logFailure(deps, 'miniprogram', exchanged);
    if (exchanged.kind === 'unavailable' || exchanged.transient) {
      throw new ApiError(503, 'wechat_unavailable', 'WeChat did not sign the customer in just now; try again');
    }
    if (BAD_CODE_ERRCODES.includes(exchanged.errcode)) {
      throw new ApiError(422, 'invalid_login_code', `WeChat refused the login code (${exchanged.errcode}); call wx.login again`, 'code');
    }
    throw new ApiError(502, 'wechat_refused', `WeChat refused the sign-in (${exchanged.errcode} ${exchanged.errmsg})`);
  }
  if (!(await setSessionPayer(deps.db, session.tokenHash, 'miniProgram', { appid: exchanged.appid, openid: exchanged.openid }))) {
    throw new ApiError(401, 'invalid_session', 'the cashier session is unknown or has expired');
  }
  return { ok: true };
}

/** What GET /session tells the browser: whether an openid usable now is on the session, never the openid. */
export function payerSummary(deps: Deps, session: SessionRow): { wechatOpenid: boolean; miniProgramOpenid: boolean } {
  return {
    wechatOpenid: usable(session.payer, 'wechat', deps.wechatOAuth?.appid) !== undefined,
    miniProgramOpenid: usable(session.payer, 'miniProgram', deps.wechatOAuth?.miniProgramAppid) !== undefined,
  };
}

export interface OpenidRequired {
  readonly error: { readonly code: 'wechat_openid_required'; readonly message: string; readonly field: 'openid' };
  readonly wechat:
    | { readonly flow: 'oauth'; readonly authUrl: string }
    | { readonly flow: 'miniprogram-login'; readonly loginUrl: string }
    | { readonly flow: 'unavailable' };
}

/**
 * The openid `option` pays with: the body's, else the session's under the appid that option pays with; `required`
 * (the 409 body) when it needs one and there is none. Options that need no openid get `openid: undefined`.
 */
export function payerOpenid(
  deps: Deps,
  session: SessionRow,
  option: Pick<Option, 'channel' | 'product'> | undefined,
  fromBody: string | undefined,
): { readonly openid: string | undefined } | { readonly required: OpenidRequired } {
  if (fromBody !== undefined || option?.channel !== 'wechatpay') return { openid: fromBody };
  const oauth = deps.wechatOAuth;
  if (option.product === 'jsapi') {
    const openid = usable(session.payer, 'wechat', oauth?.appid);
    if (openid !== undefined) return { openid };
    return {
      required: required(
        'WeChat JSAPI pay needs the payer’s openid: sign in with WeChat first',
        oauth?.appid === undefined
          ? { flow: 'unavailable' }
          : { flow: 'oauth', authUrl: `${deps.publicUrl}/cashier/v1/wechat/oauth?session={session}&return={return}` },
      ),
    };
  }
  if (option.product === 'miniprogram') {
    const openid = usable(session.payer, 'miniProgram', oauth?.miniProgramAppid);
    if (openid !== undefined) return { openid };
    return {
      required: required(
        'mini-program pay needs the payer’s openid: send a wx.login code first',
        oauth?.miniProgramAppid === undefined
          ? { flow: 'unavailable' }
          : { flow: 'miniprogram-login', loginUrl: `${deps.publicUrl}/cashier/v1/wechat/miniprogram/login` },
      ),
    };
  }
  return { openid: undefined };
}

function required(message: string, wechat: OpenidRequired['wechat']): OpenidRequired {
  return { error: { code: 'wechat_openid_required', message, field: 'openid' }, wechat };
}

/** The stored openid of `kind`, if it was issued under the appid in use now (an openid is per appid). */
function usable(payer: SessionPayer, kind: keyof SessionPayer, appid: string | undefined): string | undefined {
  const id = payer[kind];
  return id !== undefined && appid !== undefined && id.appid === appid && OPENID.test(id.openid) ? id.openid : undefined;
}

function withOutcome(returnUrl: string, outcome: OAuthOutcome): string {
  const url = new URL(returnUrl);
  url.searchParams.set(OAUTH_RESULT_PARAM, outcome);
  return url.toString();
}

/** A redirect that no cache keeps and that tells the next hop nothing about where it came from. */
function redirect(c: Context, location: string): Response {
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.redirect(location, 302);
}

/** errcode and errmsg only: never the code, the URL or the AppSecret. */
function logFailure(deps: Deps, flow: 'oauth' | 'miniprogram', failure: Exclude<CodeExchange, { ok: true }>): void {
  deps.log({
    level: 'warn',
    message: `WeChat ${flow === 'oauth' ? 'web OAuth' : 'code2Session'} gave no openid`,
    ...(failure.kind === 'refused' ? { errcode: failure.errcode, errmsg: failure.errmsg } : { reason: failure.reason }),
  });
}
