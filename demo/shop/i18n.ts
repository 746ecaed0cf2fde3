// The shop's words in English and Chinese, and the amounts formatted with Intl from integer fen. The locale comes
// from the `lang` cookie (set by the switch in the header), else from Accept-Language.

import { formatMoney } from '../../shared/money/index.ts';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function pickLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  return /^\s*zh\b/i.test(acceptLanguage ?? '') ? 'zh-CN' : 'en';
}

export function money(fen: number, locale: Locale): string {
  return formatMoney(fen, 'CNY', locale);
}

const EN = {
  shopName: 'Celadon Tea House',
  navTeas: 'Teas',
  navCart: 'Cart',
  navOrders: 'Orders',
  navReconciliation: 'Reconciliation',
  language: 'Language',
  footer: 'A demo merchant. Payments go through the cashier and its channel sandbox: no money moves.',
  sandboxLink: 'Channel sandbox',
  teasTitle: 'Teas from the hills',
  teasIntro: 'Spring picks from Hangzhou, Anxi, Wuyi, Fuding and Yunnan, sent the day you order.',
  addToCart: 'Add to cart',
  added: 'Added to your cart:',
  viewCart: 'View cart',
  cartTitle: 'Your cart',
  cartEmpty: 'Your cart is empty.',
  browseTeas: 'Browse the teas',
  tea: 'Tea',
  unitPrice: 'Price',
  quantity: 'Quantity',
  quantityOf: 'Quantity of {name}',
  lineTotal: 'Amount',
  remove: 'Remove',
  removeItem: 'Remove {name}',
  updateCart: 'Update cart',
  total: 'Total',
  items: '{count} items',
  checkout: 'Check out',
  checkoutTitle: 'Pay for order {no}',
  orderSummary: 'Order summary',
  payWith: 'Payment',
  cashierUnavailable: 'The cashier is not answering right now. Your order is kept: try again in a moment.',
  tryAgain: 'Try again',
  notPayable: 'This order can no longer be paid ({status}).',
  backToShop: 'Back to the teas',
  ordersTitle: 'Orders',
  ordersEmpty: 'No orders yet.',
  orderNo: 'Order',
  created: 'Created',
  status: 'Status',
  refunded: 'Refunded',
  webhooks: 'Webhooks',
  orderTitle: 'Order {no}',
  thanks: 'Thank you! Your payment has been received.',
  notPaid: 'Not paid yet.',
  waiting: 'Waiting for the cashier to confirm the payment…',
  payNow: 'Pay now',
  paidWith: 'Paid with {channel} on {at}',
  channelOrderNo: 'Channel order no.',
  cashierOrder: 'Cashier order',
  fees: 'Channel fee',
  feeCharged: 'charged',
  feeReturned: 'returned',
  feeKept: 'kept',
  refundsTitle: 'Refunds',
  refundNo: 'Refund no.',
  amount: 'Amount',
  reason: 'Reason',
  feeReturnedColumn: 'Fee returned',
  noRefunds: 'No refunds.',
  refundTitle: 'Refund part of this order',
  refundAmount: 'Amount to refund (yuan)',
  refundReason: 'Reason',
  refundable: 'Up to {amount} can be refunded.',
  refundSubmit: 'Refund',
  retryRefund: 'Send again',
  refundRequested: 'Refund {no} requested: its result comes from the channel.',
  refundAmountInvalid: 'Enter an amount such as 12.80, no more than what is left to refund.',
  refundRefused: 'The cashier refused the refund: {message}',
  refundUnreachable: 'The cashier did not answer. The refund is kept as requested: sending it again is safe (same refund number).',
  webhooksTitle: 'Webhooks received (verified)',
  webhooksNone: 'None yet.',
  event: 'Event',
  version: 'Version',
  signedAt: 'Signed',
  receivedAt: 'Received',
  verified: 'signature verified',
  notFound: 'There is no such order.',
  status_open: 'Awaiting payment',
  status_paying: 'Paying',
  status_succeeded: 'Paid',
  status_closed: 'Closed',
  status_failed: 'Failed',
  refund_requested: 'Requested',
  refund_pending: 'Pending',
  refund_processing: 'Processing',
  refund_unknown: 'Being checked',
  refund_succeeded: 'Refunded',
  refund_failed: 'Failed',
} as const;

export type MessageKey = keyof typeof EN;

const ZH: Record<MessageKey, string> = {
  shopName: '青瓷茶舍',
  navTeas: '茶品',
  navCart: '购物车',
  navOrders: '订单',
  navReconciliation: '对账',
  language: '语言',
  footer: '演示商户。付款经由收银台及其渠道沙箱，不会产生真实扣款。',
  sandboxLink: '渠道沙箱',
  teasTitle: '山间好茶',
  teasIntro: '杭州、安溪、武夷、福鼎、云南的春茶，当天发货。',
  addToCart: '加入购物车',
  added: '已加入购物车：',
  viewCart: '查看购物车',
  cartTitle: '购物车',
  cartEmpty: '购物车是空的。',
  browseTeas: '去看看茶品',
  tea: '茶品',
  unitPrice: '单价',
  quantity: '数量',
  quantityOf: '{name}的数量',
  lineTotal: '小计',
  remove: '删除',
  removeItem: '删除{name}',
  updateCart: '更新购物车',
  total: '合计',
  items: '共 {count} 件',
  checkout: '去结算',
  checkoutTitle: '支付订单 {no}',
  orderSummary: '订单摘要',
  payWith: '支付方式',
  cashierUnavailable: '收银台暂时没有响应。订单已保留，请稍后再试。',
  tryAgain: '重试',
  notPayable: '此订单已无法支付（{status}）。',
  backToShop: '返回茶品',
  ordersTitle: '订单',
  ordersEmpty: '还没有订单。',
  orderNo: '订单号',
  created: '下单时间',
  status: '状态',
  refunded: '已退款',
  webhooks: 'Webhook',
  orderTitle: '订单 {no}',
  thanks: '谢谢！我们已收到您的付款。',
  notPaid: '尚未付款。',
  waiting: '正在等待收银台确认付款…',
  payNow: '去支付',
  paidWith: '{at} 通过{channel}支付',
  channelOrderNo: '渠道订单号',
  cashierOrder: '收银台订单',
  fees: '渠道手续费',
  feeCharged: '收取',
  feeReturned: '退还',
  feeKept: '留存',
  refundsTitle: '退款',
  refundNo: '退款单号',
  amount: '金额',
  reason: '原因',
  feeReturnedColumn: '退还手续费',
  noRefunds: '没有退款。',
  refundTitle: '部分退款',
  refundAmount: '退款金额（元）',
  refundReason: '退款原因',
  refundable: '最多可退 {amount}。',
  refundSubmit: '退款',
  retryRefund: '重新提交',
  refundRequested: '退款 {no} 已提交，结果以渠道为准。',
  refundAmountInvalid: '请输入如 12.80 的金额，且不超过可退金额。',
  refundRefused: '收银台拒绝了退款：{message}',
  refundUnreachable: '收银台没有响应。退款已记录为“已提交”，可以安全地重新提交（退款单号不变）。',
  webhooksTitle: '收到的 Webhook（已验签）',
  webhooksNone: '暂无。',
  event: '事件',
  version: '版本',
  signedAt: '签名时间',
  receivedAt: '接收时间',
  verified: '签名已验证',
  notFound: '没有这个订单。',
  status_open: '待支付',
  status_paying: '支付中',
  status_succeeded: '已支付',
  status_closed: '已关闭',
  status_failed: '支付失败',
  refund_requested: '已提交',
  refund_pending: '待处理',
  refund_processing: '处理中',
  refund_unknown: '核实中',
  refund_succeeded: '已退款',
  refund_failed: '退款失败',
};

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { en: EN, 'zh-CN': ZH };

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  return (key, values = {}) => MESSAGES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

const CHANNEL_NAMES: Record<string, Record<Locale, string>> = {
  wechatpay: { en: 'WeChat Pay', 'zh-CN': '微信支付' },
  alipay: { en: 'Alipay', 'zh-CN': '支付宝' },
  unionpay: { en: 'UnionPay', 'zh-CN': '银联' },
};

export function channelName(channel: string | undefined, locale: Locale): string {
  return (channel && CHANNEL_NAMES[channel]?.[locale]) ?? channel ?? '—';
}

export function dateTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(new Date(iso));
}

export function time(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(new Date(iso));
}
