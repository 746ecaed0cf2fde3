// Every channel's widget view, keyed by channel id: a channel missing here is a type error. Channels without a
// BFF adapter yet have only their name and mark; they get a folder when they get an adapter.

import type { ChannelId } from '../../shared/channels/types.ts';
import { alipay } from './alipay/index.ts';
import type { ChannelView } from './types.ts';
import { unionpay } from './unionpay/index.ts';
import { wechatpay } from './wechatpay/index.ts';

export type { ChannelView };

const plain = (id: ChannelId, zh: string, en: string, color: string, glyph: string): ChannelView => ({
  id,
  name: { 'zh-CN': zh, en },
  mark: { color, glyph },
});

export const CHANNEL_VIEWS: Record<ChannelId, ChannelView> = {
  wechatpay,
  alipay,
  unionpay,
  qqwallet: plain('qqwallet', 'QQ 钱包', 'QQ Wallet', '#12b7f5', 'Q'),
  cmb: plain('cmb', '招行一网通', 'CMB One-Netcom', '#c8102e', 'C'),
  jdpay: {
    ...plain('jdpay', '京东支付', 'JD Pay', '#e1251b', 'J'),
    installmentName: { 'zh-CN': '京东白条', en: 'JD Baitiao' },
  },
  baidu: plain('baidu', '百度钱包', 'Baidu Wallet', '#2932e1', 'B'),
  yeepay: plain('yeepay', '易宝支付', 'YeePay', '#e60012', 'Y'),
  'netbank-b2b': plain('netbank-b2b', '企业网银', 'B2B online banking', '#34495e', '¥'),
  paypal: plain('paypal', 'PayPal', 'PayPal', '#003087', 'P'),
  abc: plain('abc', '农业银行', 'Agricultural Bank of China', '#009882', 'A'),
  ccb: plain('ccb', '建设银行', 'China Construction Bank', '#0066b3', 'C'),
  bestpay: plain('bestpay', '翼支付', 'BestPay', '#ff6a00', 'B'),
};

export function channelView(id: ChannelId): ChannelView {
  return CHANNEL_VIEWS[id];
}
