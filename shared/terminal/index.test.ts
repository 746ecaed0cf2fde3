import { describe, expect, it } from 'vitest';
import corpus from '../../test/fixtures/user-agents.json' with { type: 'json' };
import { TERMINAL_KINDS } from '../channels/index.ts';
import { detectTerminal, type TerminalEnv } from './index.ts';

interface Case {
  id: string;
  ua: string;
  expected: string;
  what: string;
  source: string;
  clientHints?: Record<string, string>;
  env?: TerminalEnv;
}

const cases = corpus as Case[];
const find = (id: string): Case => {
  const found = cases.find((c) => c.id === id);
  if (!found) throw new Error(`no corpus entry ${id}`);
  return found;
};

describe('the user-agent corpus (test/fixtures/user-agents.json)', () => {
  it('holds at least 40 real user agents, each with a source, covering every kind but app', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect(c.source.length, c.id).toBeGreaterThan(10);
    const kinds = new Set(cases.map((c) => c.expected));
    for (const kind of TERMINAL_KINDS.filter((k) => k !== 'app')) expect(kinds).toContain(kind);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const input = { userAgent: c.ua, ...(c.clientHints ? { clientHints: c.clientHints } : {}), ...(c.env ? { env: c.env } : {}) };
    const terminal = detectTerminal(input);
    expect(terminal.kind, `${c.what}\n${c.ua}\nevidence: ${terminal.evidence.join('; ')}`).toBe(c.expected);
    expect(terminal.evidence.length).toBeGreaterThan(0);
  });
});

describe('the rules of DESIGN §4', () => {
  it('treats desktop WeChat on Windows and macOS as WeChat, and says why', () => {
    const windows = detectTerminal({ userAgent: find('wechat-windows-7-0-20-xweb').ua });
    expect(windows).toMatchObject({ kind: 'wechat', os: 'windows', device: 'desktop', host: 'wechat' });
    expect(windows.evidence).toContain('ua:desktop WeChat');
    expect(detectTerminal({ userAgent: find('wechat-mac-3-8-7').ua })).toMatchObject({ kind: 'wechat', os: 'macos' });
  });

  it('never mistakes WeCom (MicroMessenger + wxwork) for WeChat', () => {
    const phone = detectTerminal({ userAgent: find('wap-wecom-android-3-1-10').ua, env: { hasWeixinBridge: true } });
    expect(phone).toMatchObject({ kind: 'wap', host: 'wecom' });
    expect(detectTerminal({ userAgent: find('pc-wecom-windows-4-1-39').ua })).toMatchObject({ kind: 'pc', host: 'wecom' });
  });

  it('never mistakes DingTalk for the Alipay client', () => {
    const dingtalk = detectTerminal({ userAgent: find('wap-dingtalk-android-5-0-6').ua, env: { hasAlipayBridge: true } });
    expect(dingtalk).toMatchObject({ kind: 'wap', host: 'dingtalk' });
  });

  it('takes __wxjs_environment=miniprogram over a user agent that says nothing', () => {
    const iphone = find('wechat-ios-8-0-22').ua;
    expect(detectTerminal({ userAgent: iphone }).kind).toBe('wechat');
    const inside = detectTerminal({ userAgent: iphone, env: { wxjsEnvironment: 'miniprogram' } });
    expect(inside).toMatchObject({ kind: 'miniprogram', host: 'wechat' });
    expect(inside.evidence[0]).toBe('env:__wxjs_environment=miniprogram');
    // Even with a plain Safari user agent, the run-time marker decides.
    expect(detectTerminal({ userAgent: find('wap-iphone-safari-14').ua, env: { wxjsEnvironment: 'miniprogram' } }).kind).toBe(
      'miniprogram',
    );
  });

  it('keeps an Alipay mini-program web-view in the Alipay client, not a WeChat mini-program', () => {
    // The Alipay client's UA with the mini-program marker appended, as Alipay mini-program web-views send it.
    const ua = `${find('alipay-android-10-3-0').ua} MiniProgram`;
    expect(detectTerminal({ userAgent: ua }).kind).toBe('alipay');
    // Constructed: a web-view that carries only Alipay's app marker AliApp(AP/…), without AlipayClient.
    const marked = `${find('wap-iphone-safari-14').ua} AliApp(AP/10.5.36) MiniProgram`;
    expect(detectTerminal({ userAgent: marked }).kind).toBe('alipay');
  });

  it('sees iPadOS behind a Mac user agent by its touch points, and a real Mac as a PC', () => {
    const mac = find('wap-ipados-14-desktop-ua-touch').ua;
    expect(detectTerminal({ userAgent: mac })).toMatchObject({ kind: 'pc', device: 'desktop', os: 'macos' });
    expect(detectTerminal({ userAgent: mac, env: { maxTouchPoints: 5 } })).toMatchObject({ kind: 'wap', os: 'ios' });
    expect(detectTerminal({ userAgent: mac, env: { maxTouchPoints: 0 } }).kind).toBe('pc');
  });

  it('sees an Android phone in desktop mode by its client hints', () => {
    const c = find('wap-android-desktop-mode-linux-ua-with-hints');
    expect(detectTerminal({ userAgent: c.ua }).kind).toBe('pc');
    const hinted = detectTerminal({ userAgent: c.ua, clientHints: c.clientHints ?? {} });
    expect(hinted).toMatchObject({ kind: 'wap', os: 'android', device: 'mobile' });
    expect(hinted.evidence).toContain('hint:sec-ch-ua-platform=Android');
    expect(detectTerminal({ userAgent: c.ua, clientHints: { 'sec-ch-ua-mobile': '?1' } }).kind).toBe('wap');
  });

  it('recognises the merchant app by its configured token or its bridge, before anything else', () => {
    const webView = `${find('wechat-android-8-0-15-xweb').ua} ShopApp/3.2.1`;
    expect(detectTerminal({ userAgent: webView, env: { appToken: 'ShopApp/' } })).toMatchObject({ kind: 'app', host: 'merchant-app' });
    expect(detectTerminal({ userAgent: webView, env: { appToken: 'OtherApp/' } }).kind).toBe('wechat');
    expect(detectTerminal({ userAgent: find('wap-iphone-safari-14').ua, env: { hasAppBridge: true } }).kind).toBe('app');
  });

  it('uses the bridges as evidence where the user agent is silent', () => {
    const safari = find('wap-iphone-safari-14').ua;
    expect(detectTerminal({ userAgent: safari, env: { hasWeixinBridge: true } })).toMatchObject({ kind: 'wechat' });
    expect(detectTerminal({ userAgent: safari, env: { hasAlipayBridge: true } })).toMatchObject({ kind: 'alipay' });
  });

  it('names the in-app browser it recognises', () => {
    expect(detectTerminal({ userAgent: find('wap-qq-app-android-6-5-8').ua }).host).toBe('qq');
    expect(detectTerminal({ userAgent: find('wap-weibo-ios-8-9-3').ua }).host).toBe('weibo');
    expect(detectTerminal({ userAgent: find('wap-baidu-app-android-11-11').ua }).host).toBe('baidu');
    expect(detectTerminal({ userAgent: find('wap-douyin-android-23-4').ua }).host).toBe('douyin');
  });

  it('falls back to a PC for an empty or garbage user agent', () => {
    expect(detectTerminal({ userAgent: '' }).kind).toBe('pc');
    expect(detectTerminal({ userAgent: 'curl/8.5.0' }).kind).toBe('pc');
  });
});
