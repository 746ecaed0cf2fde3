import type { ChannelView } from '../types.ts';

export const alipay: ChannelView = {
  id: 'alipay',
  name: { 'zh-CN': '支付宝', en: 'Alipay' },
  installmentName: { 'zh-CN': '花呗分期', en: 'Huabei instalments' },
  mark: { color: '#1677ff', glyph: 'A' },
};
