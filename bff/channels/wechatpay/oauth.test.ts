// The BFF's WeChat sign-in client on the wire: the authorize link it builds, and what it makes of answers the
// sandbox does not give (errcode 0 beside an openid, busy, not JSON, no answer) — without the AppSecret in any of it.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWechatpaySandbox, type WechatpayTestSandbox } from '../../../demo/sandbox/wechatpay/testing.ts';
import type { WechatpayCredentials } from '../../keys/index.ts';
import { wechatOAuth } from './oauth.ts';

let t: WechatpayTestSandbox;
let wechat: Server;
let wechatUrl: string;
/** What the stand-in WeChat answers next: status and body. */
let next: { status: number; body: string; delayMs?: number } = { status: 200, body: '{}' };
let asked: string[] = [];

beforeAll(async () => {
  t = await startWechatpaySandbox();
  wechat = createServer((request, response) => {
    asked.push(request.url ?? '');
    const { status, body, delayMs } = next;
    setTimeout(() => response.writeHead(status, { 'Content-Type': 'text/plain' }).end(body), delayMs ?? 0);
  });
  await new Promise<void>((resolve) => wechat.listen(0, '127.0.0.1', resolve));
  wechatUrl = `http://127.0.0.1:${(wechat.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await t?.close();
  wechat?.closeAllConnections();
  await new Promise<void>((resolve) => wechat?.close(() => resolve()));
});

/** A local URL nothing listens on (a port just released). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const client = (overrides: Partial<WechatpayCredentials> = {}, timeoutMs = 2000) =>
  wechatOAuth({ ...t.credentials, apiGateway: wechatUrl, ...overrides }, { timeoutMs, readRetries: 0 });

describe('the authorize link', () => {
  it('is WeChat’s, parameters in WeChat’s order, redirect_uri encoded, #wechat_redirect last', () => {
    const url = wechatOAuth({ ...t.credentials, oauthGateway: 'https://open.weixin.qq.com/' }, { timeoutMs: 1000, readRetries: 0 }).authorizeUrl(
      'https://pay.example/cashier/v1/wechat/oauth/callback',
      'abc123',
    );
    expect(url).toBe(
      `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${t.credentials.appid}` +
        '&redirect_uri=https%3A%2F%2Fpay.example%2Fcashier%2Fv1%2Fwechat%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state=abc123#wechat_redirect',
    );
  });

  it('takes only a state WeChat accepts (letters and digits, at most 128)', () => {
    expect(() => client().authorizeUrl('https://pay.example/cb', 'a_b')).toThrow();
    expect(() => client().authorizeUrl('https://pay.example/cb', 'a'.repeat(129))).toThrow();
  });

  it('has no official account to offer without its AppSecret, nor a mini-program without the mini-program’s', async () => {
    const bare = client({ appSecret: undefined, miniProgramAppSecret: undefined });
    expect(bare.appid).toBeUndefined();
    expect(bare.miniProgramAppid).toBeUndefined();
    expect(await bare.exchangeOAuthCode('x'.repeat(32))).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(client().appid).toBe(t.credentials.appid);
    expect(client().miniProgramAppid).toBe(t.credentials.miniProgramAppid);
  });
});

describe('code exchanges', () => {
  it('asks for the code with appid, secret and grant_type, as WeChat documents', async () => {
    asked = [];
    next = { status: 200, body: '{"session_key":"k","openid":"oFromWechat000000000000001"}' };
    expect(await client().exchangeLoginCode('CODE123456')).toEqual({ ok: true, appid: t.credentials.miniProgramAppid, openid: 'oFromWechat000000000000001' });
    const sent = new URL(asked[0] ?? '', wechatUrl);
    expect(sent.pathname).toBe('/sns/jscode2session');
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      appid: t.credentials.miniProgramAppid,
      secret: t.credentials.miniProgramAppSecret,
      js_code: 'CODE123456',
      grant_type: 'authorization_code',
    });
  });

  it('reads errcode 0 beside an openid as success, and -1 or 45011 as worth another try later', async () => {
    next = { status: 200, body: '{"errcode":0,"errmsg":"ok","openid":"oZeroErrcode00000000000001","session_key":"k"}' };
    expect(await client().exchangeLoginCode('CODE123456')).toMatchObject({ ok: true, openid: 'oZeroErrcode00000000000001' });
    next = { status: 200, body: '{"errcode":45011,"errmsg":"api minute-quota reach limit mustslower retry next minute"}' };
    expect(await client().exchangeLoginCode('CODE123456')).toMatchObject({ ok: false, kind: 'refused', errcode: 45011, transient: true });
    next = { status: 200, body: '{"errcode":-1,"errmsg":"system error"}' };
    expect(await client().exchangeOAuthCode('CODE123456')).toMatchObject({ ok: false, kind: 'refused', errcode: -1, transient: true });
    next = { status: 200, body: '{"errcode":40029,"errmsg":"invalid code"}' };
    expect(await client().exchangeOAuthCode('CODE123456')).toMatchObject({ ok: false, kind: 'refused', errcode: 40029, transient: false });
  });

  it.each([
    ['an HTTP error', { status: 502, body: '<html>bad gateway</html>' }, 'HTTP 502'],
    ['a body that is not JSON', { status: 200, body: '<html>' }, 'not JSON'],
    ['JSON without an openid', { status: 200, body: '{"access_token":"x"}' }, 'no openid'],
    ['an openid that is not one', { status: 200, body: '{"openid":"<script>"}' }, 'no openid'],
    ['no answer in time', { status: 200, body: '{}', delayMs: 500 }, 'no answer within 100 ms'],
  ])('calls %s unavailable, without the AppSecret in the reason', async (_what, answer, reason) => {
    next = answer;
    const result = await client({}, 100).exchangeOAuthCode('CODE123456');
    expect(result).toEqual({ ok: false, kind: 'unavailable', reason: expect.stringContaining(reason) });
    expect(JSON.stringify(result)).not.toContain(t.credentials.appSecret);
  });

  it('calls a refused connection unavailable, naming only the error code', async () => {
    const result = await client({ apiGateway: await closedPort() }).exchangeOAuthCode('CODE123456');
    expect(result).toEqual({ ok: false, kind: 'unavailable', reason: 'network error (ECONNREFUSED)' });
  });
});
