// The hand-off sheet's words, in the chunk with it (the main bundle carries none of them). The menu items' labels
// are the ones WeChat and the Alipay client show in their "···" menus [UNVERIFIED: from screenshots in community
// posts, not from an official document; they have changed between versions].

import type { Locale } from '../i18n/index.ts';

export type MenuLabel = 'safari' | 'browser' | 'desktop';

const en = {
  title: (channel: string) => `Pay with ${channel} in your browser`,
  why: (channel: string, host: string) => `${channel} cannot be used inside ${host}. Continue this order in your phone’s browser, or on another device.`,
  hosts: { wechat: 'WeChat', alipay: 'the Alipay app', other: 'this app' },
  openTitle: 'Open in your browser',
  continueStep: 'Tap “Continue” below.',
  menuStep: 'Tap ··· at the top right.',
  openStep: (label: string) => `Choose “${label}”.`,
  menu: { safari: 'Open in Safari', browser: 'Open in Browser', desktop: 'Open in default browser' } satisfies Record<MenuLabel, string>,
  tile: { safari: 'Safari', browser: 'Browser', desktop: 'Browser' } satisfies Record<MenuLabel, string>,
  hintLabel: (label: string) => `Picture: the ··· button at the top right, then “${label}” in the menu`,
  continue: 'Continue',
  copyTitle: 'Or copy the link into your browser',
  linkLabel: 'Link to this order',
  copy: 'Copy link',
  copied: 'Link copied. Paste it into your browser’s address bar.',
  copyFailed: 'Could not copy: select the link above and copy it.',
  qrTitle: 'Or scan it with another phone',
  qrLabel: (channel: string) => `QR code to continue this order with ${channel} on another device`,
};

export type HandoffStrings = typeof en;

const zhCN: HandoffStrings = {
  title: (channel) => `前往浏览器使用${channel}`,
  why: (channel, host) => `${host}内无法使用${channel}。请在手机浏览器或其他设备上继续完成此订单。`,
  hosts: { wechat: '微信', alipay: '支付宝', other: '此应用' },
  openTitle: '在浏览器中打开',
  continueStep: '点击下方“继续”。',
  menuStep: '点击右上角的“···”。',
  openStep: (label) => `选择“${label}”。`,
  menu: { safari: '在Safari中打开', browser: '在浏览器打开', desktop: '在默认浏览器中打开' },
  tile: { safari: 'Safari', browser: '浏览器', desktop: '浏览器' },
  hintLabel: (label) => `示意图：点击右上角的“···”，在菜单中选择“${label}”`,
  continue: '继续',
  copyTitle: '或复制链接到浏览器中打开',
  linkLabel: '此订单的链接',
  copy: '复制链接',
  copied: '已复制链接，请粘贴到浏览器地址栏。',
  copyFailed: '无法复制，请选中上方链接后手动复制。',
  qrTitle: '或用另一台手机扫码',
  qrLabel: (channel) => `在另一台设备上用${channel}继续此订单的二维码`,
};

export const STRINGS: Record<Locale, HandoffStrings> = { en, 'zh-CN': zhCN };
