import type { ChannelView } from '../types.ts';

export const unionpay: ChannelView = {
  id: 'unionpay',
  name: { 'zh-CN': '银联', en: 'UnionPay' },
  mark: { color: '#d7000f', glyph: 'U' },
};
