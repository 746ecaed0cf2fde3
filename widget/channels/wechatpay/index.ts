import type { ChannelView } from '../types.ts';

export const wechatpay: ChannelView = {
  id: 'wechatpay',
  name: { 'zh-CN': '微信支付', en: 'WeChat Pay' },
  mark: { color: '#07c160', glyph: 'W' },
};
