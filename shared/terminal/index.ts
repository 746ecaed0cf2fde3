// Where is the customer? Detects the terminal kind (DESIGN.md §4) from the user agent (parsed by ua-parser-js),
// User-Agent Client Hints and evidence found in the page, and says which evidence decided it. The BFF runs it
// authoritatively on the request; the widget supplies the in-page evidence the server cannot see.

import { UAParser } from 'ua-parser-js';
import type { TerminalKind } from '../channels/index.ts';

export type { TerminalKind } from '../channels/index.ts';

export interface TerminalEnv {
  /** `window.__wxjs_environment`: 'miniprogram' inside a WeChat mini-program web-view. */
  readonly wxjsEnvironment?: string | undefined;
  /** `window.WeixinJSBridge` exists. */
  readonly hasWeixinBridge?: boolean | undefined;
  /** `window.AlipayJSBridge` exists. */
  readonly hasAlipayBridge?: boolean | undefined;
  /** `navigator.maxTouchPoints`: iPadOS presents a Mac user agent but has touch points. */
  readonly maxTouchPoints?: number | undefined;
  /** The token the merchant's own app adds to its web-view user agent (merchant setting). */
  readonly appToken?: string | undefined;
  /** The merchant app injected its bridge object into the page. */
  readonly hasAppBridge?: boolean | undefined;
}

export interface TerminalInput {
  readonly userAgent: string;
  /** Client-hint headers by lower-case name, values as sent (`sec-ch-ua-platform: "Android"`). */
  readonly clientHints?: Readonly<Record<string, string>>;
  readonly env?: TerminalEnv;
}

export type OperatingSystem = 'ios' | 'android' | 'harmonyos' | 'windows' | 'macos' | 'linux' | 'other';

/** The app whose web view the page runs in, where one is recognised. */
export type HostApp =
  | 'wechat'
  | 'wecom'
  | 'alipay'
  | 'dingtalk'
  | 'qq'
  | 'weibo'
  | 'baidu'
  | 'douyin'
  | 'merchant-app';

export interface Terminal {
  readonly kind: TerminalKind;
  /** What decided the kind, in the order it was considered: `ua:…`, `hint:…`, `env:…`. */
  readonly evidence: string[];
  readonly os: OperatingSystem;
  /** Phone or tablet (cannot scan a QR shown on its own screen) versus a desktop. */
  readonly device: 'mobile' | 'desktop';
  readonly host: HostApp | null;
}

// Host-app markers, checked on the raw user agent. WeCom carries MicroMessenger too, so it is tested first.
const WECOM = /\bwxwork\//i;
const WECHAT = /\bMicroMessenger\//i;
const DESKTOP_WECHAT = /\b(?:WindowsWechat|MacWechat)\b/i;
const WECHAT_MINIPROGRAM = /\bminiProgram\b/i;
// AliApp(AP/…) is the Alipay client's own app marker, seen without AlipayClient in some mini-program web-views.
const ALIPAY = /\bAlipayClient(?:HK)?\/|AliApp\(AP\//i;
const DINGTALK = /\bDingTalk\/|AliApp\(DingTalk/i;
const HOSTS: readonly [HostApp, RegExp][] = [
  ['qq', /\sQQ\/\d/],
  ['weibo', /__weibo__|\bWeibo\b/i],
  ['baidu', /\bbaiduboxapp\//i],
  ['douyin', /\b(?:aweme|NewsArticle|BytedanceWebview)\b/i],
];

// HarmonyOS names the form factor in the platform part ("Phone;", "Tablet;", "PC;"); MIUI Browser exists only on
// Xiaomi phones and tablets, even when it sends a Linux desktop user agent.
const MOBILE_UA = /\b(?:iPhone|iPad|iPod|Android|Mobile|Windows Phone|MiuiBrowser)\b|\((?:Phone|Tablet);/i;

export function detectTerminal(input: TerminalInput): Terminal {
  const ua = input.userAgent;
  const env = input.env ?? {};
  const hints = input.clientHints ?? {};
  const evidence: string[] = [];
  const { os, device, because } = deviceOf(ua, hints, env);
  const result = (kind: TerminalKind, host: HostApp | null): Terminal => ({
    kind,
    evidence: [...evidence, ...because],
    os,
    device,
    host,
  });

  // The merchant's own app first: its web view may well be built on a WeChat or Alipay engine.
  if (env.appToken && ua.includes(env.appToken)) {
    evidence.push(`ua:${env.appToken} (the merchant app's token)`);
    return result('app', 'merchant-app');
  }
  if (env.hasAppBridge) {
    evidence.push('env:merchant app bridge');
    return result('app', 'merchant-app');
  }

  // A mini-program web-view says so at run time; on iOS the user agent often does not.
  if (env.wxjsEnvironment === 'miniprogram') {
    evidence.push('env:__wxjs_environment=miniprogram');
    return result('miniprogram', 'wechat');
  }

  if (WECOM.test(ua)) {
    evidence.push('ua:wxwork (WeCom, which is not WeChat)');
    return result(device === 'mobile' ? 'wap' : 'pc', 'wecom');
  }

  if (ALIPAY.test(ua)) {
    // An Alipay mini-program web-view is still the Alipay client, not a WeChat mini-program.
    evidence.push('ua:AlipayClient');
    return result('alipay', 'alipay');
  }

  const dingtalk = DINGTALK.test(ua);
  if (dingtalk) evidence.push('ua:DingTalk (not the Alipay client)');

  if (WECHAT.test(ua) || DESKTOP_WECHAT.test(ua)) {
    if (WECHAT_MINIPROGRAM.test(ua)) {
      evidence.push('ua:MicroMessenger with miniProgram');
      return result('miniprogram', 'wechat');
    }
    evidence.push(DESKTOP_WECHAT.test(ua) ? 'ua:desktop WeChat' : 'ua:MicroMessenger');
    return result('wechat', 'wechat');
  }
  if (env.hasWeixinBridge && !dingtalk) {
    evidence.push('env:WeixinJSBridge');
    return result('wechat', 'wechat');
  }
  if (env.hasAlipayBridge && !dingtalk) {
    evidence.push('env:AlipayJSBridge');
    return result('alipay', 'alipay');
  }

  const host = dingtalk ? 'dingtalk' : (HOSTS.find(([, pattern]) => pattern.test(ua))?.[0] ?? null);
  if (host && !dingtalk) evidence.push(`ua:${host} in-app browser`);
  return result(device === 'mobile' ? 'wap' : 'pc', host);
}

function deviceOf(
  ua: string,
  hints: Readonly<Record<string, string>>,
  env: TerminalEnv,
): { os: OperatingSystem; device: 'mobile' | 'desktop'; because: string[] } {
  const parsed = new UAParser(ua).getResult();
  const os = osOf(parsed.os.name);
  const platform = unquote(hints['sec-ch-ua-platform']);
  const hintedOs = platform === undefined ? undefined : osOf(platform);
  const touch = env.maxTouchPoints ?? 0;

  // Client hints describe the device even when "request desktop site" rewrote the user agent.
  if (hints['sec-ch-ua-mobile'] === '?1') return { os: hintedOs ?? os, device: 'mobile', because: ['hint:sec-ch-ua-mobile=?1'] };
  if (hintedOs === 'android' || hintedOs === 'ios' || hintedOs === 'harmonyos') {
    return { os: hintedOs, device: 'mobile', because: [`hint:sec-ch-ua-platform=${platform}`] };
  }
  if (parsed.device.type === 'mobile' || parsed.device.type === 'tablet' || parsed.device.type === 'wearable') {
    return { os, device: 'mobile', because: [`ua:${parsed.device.type} device`] };
  }
  // iPadOS 13+ presents itself as a Mac; only touch points give it away (a Mac has none).
  if (os === 'macos' && touch > 1) {
    return { os: 'ios', device: 'mobile', because: [`env:maxTouchPoints=${touch} with a Mac user agent (iPadOS)`] };
  }
  if (MOBILE_UA.test(ua)) return { os, device: 'mobile', because: ['ua:mobile platform token'] };
  return { os: hintedOs ?? os, device: 'desktop', because: ['ua:desktop'] };
}

function osOf(name: string | undefined): OperatingSystem {
  switch (name?.toLowerCase()) {
    case 'ios':
      return 'ios';
    case 'android':
      return 'android';
    case 'harmonyos':
    case 'openharmony':
      return 'harmonyos';
    case 'windows':
      return 'windows';
    case 'mac os':
    case 'macos':
      return 'macos';
    case 'linux':
    case 'ubuntu':
    case 'debian':
    case 'fedora':
    case 'chromium os':
    case 'chrome os':
      return 'linux';
    default:
      return 'other';
  }
}

function unquote(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.trim().replace(/^"(.*)"$/, '$1');
}
