import { describe, expect, it } from 'vitest';
import { isWidgetError } from '../errors.ts';
import { createApiClient, evidenceQuery } from './client.ts';
import type { StatusResponse, Timed } from './types.ts';

const STATUS = { status: 'paying', version: 2, serverTime: '2026-11-27T10:00:00.000Z', expiresAt: '2026-11-27T10:30:00.000Z' };

function client(handler: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const seen: { url: string; init: RequestInit }[] = [];
  const api = createApiClient({
    bff: 'https://pay.example/',
    token: 'cs_secret_token_123',
    fetch: async (input, init) => {
      seen.push({ url: String(input), init: init ?? {} });
      return handler(String(input), init ?? {});
    },
    now: () => 0,
  });
  return { api, seen };
}

describe('the cashier API client', () => {
  it('reports the page evidence in the query the BFF validates, and only what there is', () => {
    expect(evidenceQuery({ maxTouchPoints: 5, hasWeixinBridge: true, hasAlipayBridge: false, hasAppBridge: true, wxjsEnvironment: 'miniprogram' })).toBe(
      '?wxjs=miniprogram&touch=5&bridges=weixin%2Capp',
    );
    expect(evidenceQuery({ hasWeixinBridge: false })).toBe('');
  });

  it('keeps what the BFF says beside the error (how to sign in with WeChat), and fills in the sign-in link', async () => {
    const wechat = { flow: 'oauth', authUrl: 'https://pay.example/cashier/v1/wechat/oauth?session={session}&return={return}' };
    const { api } = client(() => Response.json({ error: { code: 'wechat_openid_required', message: 'sign in', field: 'openid' }, wechat }, { status: 409 }));
    const error = await api.pay({ optionId: 'wechatpay:jsapi' }).catch((caught: unknown) => caught);
    expect(isWidgetError(error) && [error.code, error.status, error.details]).toEqual(['wechat_openid_required', 409, { wechat }]);
    expect(api.signInUrl(wechat.authUrl, 'https://shop.example/pay?a=1&b=2')).toBe(
      'https://pay.example/cashier/v1/wechat/oauth?session=cs_secret_token_123&return=https%3A%2F%2Fshop.example%2Fpay%3Fa%3D1%26b%3D2',
    );
  });

  it('accepts the in-app actions only in their documented shapes', async () => {
    const answers: unknown[] = [
      { kind: 'jsapi', bridge: 'WeixinJSBridge', parameters: { appId: 'wx1' } },
      { kind: 'app', channel: 'alipay', parameters: 'app_id=1&sign=x' },
      { kind: 'jsapi', bridge: 'WeixinJSBridge', parameters: 'prepay_id=1' },
      { kind: 'app', channel: 'unionpay', parameters: 7 },
    ];
    const { api } = client(() => Response.json({ attemptId: 'att_1', action: answers.shift() }, { status: 201 }));
    expect((await api.pay({ optionId: 'x' })).action.kind).toBe('jsapi');
    expect((await api.pay({ optionId: 'x' })).action.kind).toBe('app');
    for (let i = 0; i < 2; i++) {
      const error = await api.pay({ optionId: 'x' }).catch((caught: unknown) => caught);
      expect(isWidgetError(error) && error.code).toBe('bad_response');
    }
  });

  it('sends the token as a bearer header, never a cookie, and posts JSON', async () => {
    const { api, seen } = client(() => Response.json({ attemptId: 'att_1', action: { kind: 'redirect', url: 'https://sandbox/x' } }, { status: 201 }));
    const paid = await api.pay({ optionId: 'alipay:wap', returnUrl: 'https://shop/back' });
    expect(paid.action).toEqual({ kind: 'redirect', url: 'https://sandbox/x' });
    expect(seen[0]?.url).toBe('https://pay.example/cashier/v1/pay');
    expect(seen[0]?.init.credentials).toBe('omit');
    expect(seen[0]?.init.cache).toBe('no-store');
    expect(seen[0]?.init.headers).toMatchObject({ authorization: 'Bearer cs_secret_token_123', 'content-type': 'application/json' });
    expect(JSON.parse(String(seen[0]?.init.body))).toEqual({ optionId: 'alipay:wap', returnUrl: 'https://shop/back' });
  });

  it('turns the BFF’s error body into a WidgetError with its code', async () => {
    const { api } = client(() => Response.json({ error: { code: 'channel_refused', message: 'Alipay refused' } }, { status: 422 }));
    const error = await api.pay({ optionId: 'alipay:wap' }).catch((e: unknown) => e);
    expect(isWidgetError(error) && [error.code, error.status]).toEqual(['channel_refused', 422]);
  });

  it('refuses a redirect to anything but http(s), and answers missing their fields', async () => {
    const { api } = client(() => Response.json({ attemptId: 'a', action: { kind: 'redirect', url: 'javascript:alert(1)' } }));
    const error = await api.pay({ optionId: 'x' }).catch((e: unknown) => e);
    expect(isWidgetError(error) && error.code).toBe('bad_response');
    const { api: other } = client(() => Response.json({ status: 'paying' }));
    expect(await other.status().catch((e: unknown) => isWidgetError(e) && e.code)).toBe('bad_response');
  });

  it('a network failure is `network`, an abort is `aborted`', async () => {
    const { api } = client(() => {
      throw new TypeError('Failed to fetch');
    });
    expect(await api.status().catch((e: unknown) => isWidgetError(e) && e.code)).toBe('network');
    const aborting = createApiClient({
      bff: 'https://pay.example',
      token: 'cs_secret_token_123',
      fetch: async () => {
        throw new DOMException('aborted', 'AbortError');
      },
    });
    expect(await aborting.status().catch((e: unknown) => isWidgetError(e) && e.code)).toBe('aborted');
  });

  it('reads status events from the stream until the server ends it', async () => {
    const body = `event: status\ndata: ${JSON.stringify(STATUS)}\nid: 2\n\n: keep-alive\n\nevent: status\ndata: ${JSON.stringify({ ...STATUS, status: 'succeeded', version: 3 })}\n\n`;
    const { api, seen } = client(() => new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    const got: Timed<StatusResponse>[] = [];
    await api.stream((s) => got.push(s), new AbortController().signal);
    expect(got.map((s) => s.body.status)).toEqual(['paying', 'succeeded']);
    expect(seen[0]?.url).toBe('https://pay.example/cashier/v1/status/stream');
  });

  it('a stream answered as JSON (a proxy in the way) is an error, so the watcher falls back to polling', async () => {
    const { api } = client(() => Response.json(STATUS));
    expect(await api.stream(() => undefined, new AbortController().signal).catch((e: unknown) => isWidgetError(e) && e.code)).toBe('bad_response');
  });
});
