import { describe, expect, it } from 'vitest';
import { previewApp } from './index.ts';

const WECHAT_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.22(0x18001627) NetType/WIFI Language/zh_CN';

async function preview(headers: Record<string, string>, body: unknown) {
  const response = await previewApp().request('/api/preview', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('POST /api/preview', () => {
  it('detects WeChat from the user agent and offers JSAPI first', async () => {
    const { status, json } = await preview({ 'user-agent': WECHAT_IOS }, {});
    expect(status).toBe(200);
    expect(json.terminal).toMatchObject({ kind: 'wechat', os: 'ios' });
    expect((json.options as { id: string }[]).map((o) => o.id)).toEqual(['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff']);
  });

  it('uses the evidence the page reports (mini-program web-view)', async () => {
    const { json } = await preview({ 'user-agent': WECHAT_IOS }, { wxjsEnvironment: 'miniprogram' });
    expect(json.terminal).toMatchObject({ kind: 'miniprogram' });
  });

  it('uses client hints from the request headers', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const { json } = await preview({ 'user-agent': ua, 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-mobile': '?0' }, {});
    expect(json.terminal).toMatchObject({ kind: 'wap', os: 'android' });
  });

  it('answers bad input with a structured error', async () => {
    expect(await preview({}, '{not json')).toEqual({
      status: 400,
      json: { error: { code: 'invalid_json', message: 'the body must be a JSON object' } },
    });
    const wrong = await preview({}, { maxTouchPoints: 'five' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 'invalid_evidence', field: 'maxTouchPoints' });
  });
});
