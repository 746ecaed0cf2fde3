// The channel rulebook: one entry per channel, as typed data. Sources are named per fact:
//   ARTICLE   — shared/reference/merchant-channel-article.zh.txt (the business rules' authority)
//   PROTOCOLS — shared/reference/channel-protocols.md (wire facts; [3P] marks third-party material there)
//   DESIGN    — shared/DESIGN.md §4/§5 (the tables distilled from the article)
// A fact none of them gives is 'unknown'. Where a source and the article disagree, the comment says which won.

import type { ChannelId, ChannelRules, Period } from './types.ts';


const ARTICLE = 'channel article';
const PROTOCOLS = 'channel-protocols.md';
const U = 'unknown' as const;

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const days = (amount: number): Period => ({ amount, unit: 'day' });
const months = (amount: number): Period => ({ amount, unit: 'month' });
const years = (amount: number): Period => ({ amount, unit: 'year' });

/** Cross-border direct settlement of WeChat Pay and Alipay waits for 5,000 USD (ARTICLE, 资金结算方式). */
const CROSS_BORDER_THRESHOLD = {
  mode: U,
  threshold: { amount: 500_000, currency: 'USD', applies: 'cross-border, direct mode' },
  source: `${ARTICLE} 二.5(1)`,
} as const;

// --- pieces shared by channels about which the sources say little -----------------------------------

function unknownOrderNumber(field: string, source: string = U): ChannelRules['orderNumber'] {
  return { field, minLength: U, maxLength: U, charset: U, source };
}

function unknownDescription(): ChannelRules['description'] {
  return { field: U, maxLength: U, lengthUnit: U, breakingCharacters: U, shownToCustomer: U, source: U };
}

function unknownExpiry(): ChannelRules['expiry'] {
  return {
    style: U,
    parameter: U,
    format: U,
    minSeconds: U,
    maxSeconds: U,
    defaultSeconds: U,
    clockStarts: U,
    actionValiditySeconds: U,
    source: U,
  };
}

function refundOnly(
  window: ChannelRules['refund']['window'],
  fee: ChannelRules['refund']['fee'],
  from = `${ARTICLE} 一.4 (refund table)`,
): ChannelRules['refund'] {
  return {
    window,
    maxRefundsPerOrder: U,
    minIntervalSeconds: U,
    partial: U,
    synchronousResultFinal: U,
    notifies: U,
    activation: U,
    idPriority: U,
    fee,
    source: from,
  };
}

function unknownNotification(): ChannelRules['notification'] {
  return {
    notifyUrl: U,
    acknowledgement: U,
    deadlineSeconds: U,
    retryLadderSeconds: U,
    verification: U,
    states: U,
    attachEchoed: U,
    silentProducts: U,
    source: U,
  };
}

function unknownQuery(): ChannelRules['query'] {
  return { layers: U, tradeStates: U, unknownCodes: U, separateRefundQuery: U, rateLimit: U, source: U };
}

function bill(
  clearingCutoff: string,
  availableAt: ChannelRules['bill']['availableAt'],
  extra: Partial<Pick<ChannelRules['bill'], 'delivery' | 'format' | 'note'>> = {},
): ChannelRules['bill'] {
  return {
    clearingCutoff,
    availableAt,
    delivery: extra.delivery ?? U,
    format: extra.format ?? U,
    ...(extra.note === undefined ? {} : { note: extra.note }),
    source: `${ARTICLE} 一.5(4) (clearing and bill table)`,
  };
}

function unknownBill(): ChannelRules['bill'] {
  return { clearingCutoff: U, availableAt: U, delivery: U, format: U, source: U };
}

const unknownCooperation: ChannelRules['cooperation'] = { modes: U, notes: [], source: U };
const unknownPayout: ChannelRules['payout'] = {
  available: U,
  payees: U,
  destinations: U,
  requirements: U,
  fundingAccount: U,
  limits: U,
  source: U,
};
const unknownSplit: ChannelRules['split'] = { maxReceivers: U, fixedAtCreation: U, activation: U, source: U };
const unknownSettlement: ChannelRules['settlement'] = { mode: U, threshold: U, source: U };
const unknownCreditCards: ChannelRules['creditCards'] = { refusal: U, source: U };

/** Fields of a channel the article names only for its refund rule (or its bill timing). */
function sparse(
  rules: Pick<ChannelRules, 'id' | 'name' | 'kind' | 'refund'> & Partial<ChannelRules>,
): ChannelRules {
  return {
    currencies: U,
    amountUnit: U,
    amountRange: U,
    products: U,
    orderNumber: unknownOrderNumber(U),
    description: unknownDescription(),
    payeeName: U,
    expiry: unknownExpiry(),
    notification: unknownNotification(),
    query: unknownQuery(),
    bill: unknownBill(),
    installments: [],
    cooperation: unknownCooperation,
    payout: unknownPayout,
    split: unknownSplit,
    settlement: unknownSettlement,
    creditCards: unknownCreditCards,
    ipAllowList: U,
    ...rules,
  };
}

// --- the channels -----------------------------------------------------------------------------------

const wechatpay: ChannelRules = {
  id: 'wechatpay',
  name: { zh: '微信支付', en: 'WeChat Pay' },
  kind: 'wallet',
  currencies: ['CNY'],
  amountUnit: 'fen',
  // amount.total is an integer of fen, at least 1 (PROTOCOLS §1.7); no maximum is published.
  amountRange: { min: 1, max: U },
  products: [
    {
      id: 'native',
      name: { zh: '扫码支付', en: 'Native (QR)' },
      wireName: 'POST /v3/pay/transactions/native',
      terminals: ['pc'],
      action: 'qr',
      activation: 'granted with JSAPI (official-account) pay',
      source: `${ARTICLE} 一.1; ${PROTOCOLS} §1.6`,
    },
    {
      id: 'h5',
      name: { zh: 'H5 支付', en: 'H5 (mobile browser)' },
      wireName: 'POST /v3/pay/transactions/h5',
      terminals: ['wap'],
      action: 'redirect',
      activation: 'merchant portal; needs APP, mini-program or JSAPI pay activated first',
      source: `${ARTICLE} 一.1; ${PROTOCOLS} §1.6`,
    },
    {
      id: 'jsapi',
      name: { zh: '公众号支付', en: 'JSAPI (in WeChat)' },
      wireName: 'POST /v3/pay/transactions/jsapi',
      terminals: ['wechat'],
      action: 'jsapi',
      activation: 'Official Accounts Platform (公众平台)',
      source: `${ARTICLE} 一.1; ${PROTOCOLS} §1.6`,
    },
    {
      id: 'miniprogram',
      name: { zh: '小程序支付', en: 'Mini-program' },
      wireName: 'POST /v3/pay/transactions/jsapi (mini-program appid)',
      terminals: ['miniprogram'],
      action: 'miniprogram',
      activation: U,
      source: `${ARTICLE} 一.1; ${PROTOCOLS} §1.6`,
    },
    {
      id: 'app',
      name: { zh: 'APP 支付', en: 'In-app (SDK)' },
      wireName: 'POST /v3/pay/transactions/app',
      terminals: ['app'],
      action: 'app',
      activation: 'Open Platform (开放平台)',
      source: `${ARTICLE} 一.1; ${PROTOCOLS} §1.6`,
    },
  ],
  orderNumber: {
    field: 'out_trade_no',
    minLength: 6,
    maxLength: 32,
    charset: '0-9A-Za-z_\\-|*',
    source: `${PROTOCOLS} §1.7`,
  },
  description: {
    field: 'description',
    maxLength: 127,
    lengthUnit: 'characters',
    breakingCharacters: U,
    shownToCustomer: true,
    source: `${PROTOCOLS} §1.7 (shown in the user's bill)`,
  },
  payeeName: 'portal',
  expiry: {
    style: 'absolute',
    parameter: 'time_expire',
    format: 'RFC 3339, yyyy-MM-DDTHH:mm:ss+08:00',
    minSeconds: MINUTE,
    maxSeconds: 90 * DAY,
    defaultSeconds: 7 * DAY,
    clockStarts: 'order-created',
    // h5_url lives 5 minutes; a prepay_id 2 hours whatever time_expire says.
    actionValiditySeconds: { h5: 5 * MINUTE, jsapi: 2 * HOUR, miniprogram: 2 * HOUR, app: 2 * HOUR },
    source: `${PROTOCOLS} §1.6, §1.7`,
  },
  refund: {
    window: days(365),
    maxRefundsPerOrder: 50,
    minIntervalSeconds: MINUTE,
    partial: true,
    synchronousResultFinal: false,
    notifies: true,
    activation: 'may need activation in service-provider mode',
    idPriority: 'transaction_id when known, else out_trade_no',
    fee: { kind: 'wechat-fund-flow', defaultFundFlow: 'new', source: `${ARTICLE} 一.4; DESIGN §5` },
    source: `${ARTICLE} 一.4, 二.1 对接-退款; ${PROTOCOLS} §1.8`,
  },
  notification: {
    notifyUrl: 'per-request',
    acknowledgement: 'HTTP 200 or 204; the body is ignored',
    deadlineSeconds: 5,
    // 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h: 24 h 4 min in all.
    retryLadderSeconds: [
      15, 15, 30, 3 * MINUTE, 10 * MINUTE, 20 * MINUTE, 30 * MINUTE, 30 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 3 * HOUR,
      3 * HOUR, 6 * HOUR, 6 * HOUR,
    ],
    verification: 'signature',
    states: ['TRANSACTION.SUCCESS', 'REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED'],
    attachEchoed: true,
    silentProducts: U,
    source: `${PROTOCOLS} §1.4, §1.5, §1.7`,
  },
  query: {
    layers: {
      communication: 'HTTP transport and status',
      business: 'HTTP 2xx, or an error body { code, message }',
      trade: 'trade_state',
    },
    tradeStates: {
      succeeded: ['SUCCESS', 'REFUND'],
      pending: ['NOTPAY', 'USERPAYING', 'ACCEPT'],
      closed: ['CLOSED', 'REVOKED'],
      failed: ['PAYERROR'],
      otherwise: 'pending',
    },
    unknownCodes: ['SYSTEM_ERROR'],
    separateRefundQuery: true,
    rateLimit: 'refunds 150 qps (6 qps for erroneous requests); query limits not published',
    source: `${PROTOCOLS} §1.6–1.8`,
  },
  bill: {
    clearingCutoff: '00:00',
    availableAt: { dayOffset: 1, time: '10:00' },
    delivery: 'api',
    format: 'CSV, every field prefixed with a backtick, amounts in yuan, summary header and row',
    note: 'new fund flow: refunds are in the ALL bill; old fund flow keeps balance-account refunds out of it',
    source: `${ARTICLE} 一.5(4); ${PROTOCOLS} §1.9`,
  },
  installments: [],
  cooperation: {
    modes: ['direct', 'direct-settled', 'service-provider', 'bank-service-provider'],
    notes: [
      'enterprise payment (payout to a consumer) is not available to service providers',
      'refunds may need separate activation in service-provider mode',
    ],
    source: `${ARTICLE} 一.2(2), 一.3, 二.1 对接-退款①`,
  },
  payout: {
    available: true,
    payees: ['consumer'],
    destinations: ['wallet'],
    requirements: 'merchant account open ≥ 90 days with 30 days of continuous transactions; not in service-provider mode',
    fundingAccount: 'the basic (or balance) account; the operating account if one is opened; fails on insufficient balance',
    limits: U,
    source: `${ARTICLE} 一.1, 一.2(2)`,
  },
  split: {
    maxReceivers: 5,
    fixedAtCreation: true,
    activation: 'not openly available; apply through a business contact',
    source: `${ARTICLE} 一.1`,
  },
  settlement: CROSS_BORDER_THRESHOLD,
  creditCards: {
    // v3 documents no field; limit_pay=["no_credit"] is accepted undocumented and "not guaranteed for every
    // merchant" (developers.weixin.qq.com/community/pay/doc/00000eae8707f80bd5b1e6b036b000). Ask WeChat to
    // switch credit cards off for the merchant id instead.
    refusal: 'contract',
    source: 'developers.weixin.qq.com/community/pay/doc/000e24a77c4da82ddaadd43d657000',
  },
  ipAllowList: U,
};

const alipay: ChannelRules = {
  id: 'alipay',
  name: { zh: '支付宝', en: 'Alipay' },
  kind: 'wallet',
  currencies: ['CNY'],
  amountUnit: 'yuan',
  // total_amount in [0.01, 100000000] yuan (PROTOCOLS §2.6).
  amountRange: { min: 1, max: 10_000_000_000 },
  products: [
    {
      id: 'page',
      name: { zh: '电脑网站支付', en: 'PC website' },
      wireName: 'alipay.trade.page.pay (FAST_INSTANT_TRADE_PAY)',
      terminals: ['pc'],
      action: 'redirect',
      activation: U,
      source: `${PROTOCOLS} §2.4`,
    },
    {
      id: 'precreate',
      name: { zh: '当面付扫码', en: 'QR (precreate)' },
      wireName: 'alipay.trade.precreate',
      terminals: ['pc'],
      action: 'qr',
      activation: U,
      source: `${PROTOCOLS} §2.4`,
    },
    {
      id: 'wap',
      name: { zh: '手机网站支付', en: 'Mobile website' },
      wireName: 'alipay.trade.wap.pay (QUICK_WAP_WAY)',
      terminals: ['wap'],
      action: 'redirect',
      activation: U,
      source: `${PROTOCOLS} §2.4`,
    },
    {
      id: 'app',
      name: { zh: 'APP 支付', en: 'In-app (SDK)' },
      wireName: 'alipay.trade.app.pay (QUICK_MSECURITY_PAY)',
      terminals: ['app'],
      action: 'app',
      activation: U,
      source: `${PROTOCOLS} §2.4`,
    },
    {
      id: 'inapp',
      name: { zh: '支付宝内支付', en: 'In the Alipay client' },
      wireName: 'alipay.trade.create (JSAPI_PAY)',
      terminals: ['alipay'],
      action: 'jsapi',
      activation: U,
      source: `${PROTOCOLS} §2.4`,
    },
  ],
  orderNumber: { field: 'out_trade_no', minLength: 1, maxLength: 64, charset: '0-9A-Za-z_', source: `${PROTOCOLS} §2.6` },
  description: {
    field: 'subject',
    maxLength: 256,
    lengthUnit: 'characters',
    breakingCharacters: ['/', '=', '&'],
    shownToCustomer: U,
    source: `${PROTOCOLS} §2.6`,
  },
  payeeName: 'portal',
  expiry: {
    style: 'absolute-or-relative',
    parameter: 'time_expire (absolute) or timeout_express (relative); time_expire wins',
    format: 'yyyy-MM-dd HH:mm:ss Beijing time, or Nm|Nh|Nd|1c without decimals',
    minSeconds: MINUTE,
    maxSeconds: 15 * DAY,
    defaultSeconds: 15 * DAY,
    clockStarts: 'order-created',
    actionValiditySeconds: { precreate: 2 * HOUR },
    source: `${PROTOCOLS} §2.4, §2.6`,
  },
  refund: {
    window: months(3),
    maxRefundsPerOrder: U,
    minIntervalSeconds: 3, // [3P] in PROTOCOLS §2.8
    partial: true,
    // Domestic Alipay: success is code 10000 with fund_change=Y, otherwise query. (Alipay global, which has no
    // refund query, is the case the article gives of a final synchronous answer.)
    synchronousResultFinal: false,
    notifies: true,
    activation: U,
    idPriority: 'trade_no when known, else out_trade_no; out_request_no is the refund idempotency key',
    fee: { kind: 'none', source: `${ARTICLE} 一.4` },
    source: `${ARTICLE} 一.4, 二.1 对接-退款⑨; ${PROTOCOLS} §2.8`,
  },
  notification: {
    notifyUrl: 'per-request',
    acknowledgement: 'the body "success", nothing else',
    deadlineSeconds: U,
    // 8 notifications within 25 h: 4m, 10m, 10m, 1h, 2h, 6h, 15h.
    retryLadderSeconds: [4 * MINUTE, 10 * MINUTE, 10 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 15 * HOUR],
    verification: 'signature',
    states: ['TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
    attachEchoed: true,
    silentProducts: U,
    source: `${PROTOCOLS} §2.3`,
  },
  query: {
    layers: {
      communication: 'HTTP transport and status',
      business: 'code: 10000 success, 20000 unknown, 40004 business failure (sub_code)',
      trade: 'trade_status',
    },
    tradeStates: {
      succeeded: ['TRADE_SUCCESS', 'TRADE_FINISHED'],
      pending: ['WAIT_BUYER_PAY'],
      closed: ['TRADE_CLOSED'],
      failed: [],
      otherwise: 'pending',
    },
    unknownCodes: ['20000', 'isp.unknow-error', 'aop.unknow-error'],
    separateRefundQuery: true,
    rateLimit: 'refund query no sooner than 10 s after the refund; otherwise not published',
    source: `${PROTOCOLS} §2.5, §2.6, §2.8`,
  },
  bill: {
    ...bill('00:00', { dayOffset: 1, time: '09:00' }),
    delivery: 'api',
    format: 'ZIP of GBK CSVs framed by # header and footer lines',
    source: `${ARTICLE} 一.5(4); ${PROTOCOLS} §2.9`,
  },
  installments: [
    {
      provider: 'huabei',
      name: { zh: '花呗分期', en: 'Huabei installments' },
      periods: [3, 6, 12],
      feeBearers: ['buyer', 'merchant'],
      products: ['page', 'precreate', 'wap', 'app', 'inapp'],
      parameters: 'extend_params.hb_fq_num (3|6|12), extend_params.hb_fq_seller_percent (0 buyer pays | 100 merchant pays)',
      newOrderNumberOnPlanChange: true,
      activation: 'needs Alipay payment first; applied for offline through a business contact, a long cycle',
      source: `${ARTICLE} 一.1, 一.2(1); ${PROTOCOLS} §2.7`,
    },
  ],
  cooperation: {
    modes: ['direct', 'direct-settled', 'service-provider', 'bank-service-provider'],
    notes: [],
    source: `${ARTICLE} 一.3`,
  },
  payout: {
    available: true,
    payees: ['consumer', 'business'],
    destinations: ['wallet'],
    requirements: U,
    fundingAccount: U,
    limits: U,
    source: `${ARTICLE} 一.1`,
  },
  split: {
    maxReceivers: 10,
    fixedAtCreation: true,
    activation: 'apply through a business contact (seen in cross-border use)',
    source: `${ARTICLE} 一.1`,
  },
  settlement: CROSS_BORDER_THRESHOLD,
  creditCards: {
    refusal: 'request-field',
    field: 'disable_pay_channels',
    source: 'alipay/alipay-sdk-java-all PayInfoDTO.java (disable_pay_channels, values from Alipay\'s channel list)',
  },
  ipAllowList: U,
};

const unionpay: ChannelRules = {
  id: 'unionpay',
  name: { zh: '银联', en: 'UnionPay' },
  kind: 'card-network',
  currencies: ['CNY'],
  amountUnit: 'fen',
  amountRange: { min: 1, max: U },
  products: [
    {
      id: 'gateway',
      name: { zh: '网关支付', en: 'Online gateway' },
      wireName: 'frontTransReq.do, txnType 01, channelType 07',
      terminals: ['pc'],
      action: 'form',
      activation: U,
      source: `${PROTOCOLS} §3.1`,
    },
    {
      id: 'wap',
      name: { zh: '手机网页支付', en: 'Mobile gateway' },
      wireName: 'frontTransReq.do, txnType 01, channelType 08',
      terminals: ['wap'],
      action: 'form',
      activation: U,
      source: `${PROTOCOLS} §3.1`,
    },
    {
      id: 'app',
      name: { zh: '手机控件支付', en: 'In-app (tn)' },
      wireName: 'appTransReq.do → tn',
      terminals: ['app'],
      action: 'app',
      activation: U,
      source: `${PROTOCOLS} §3.1`,
    },
  ],
  orderNumber: {
    field: 'orderId',
    minLength: 8,
    maxLength: 32,
    charset: '0-9A-Za-z',
    // The article's 8–40 was found in no stored source; the official demos say 8–32 without "-" or "_".
    note: 'official demos: 8–32 letters and digits, no "-" or "_"',
    source: `${PROTOCOLS} §3.3`,
  },
  description: unknownDescription(),
  payeeName: U,
  expiry: {
    style: 'absolute',
    parameter: 'payTimeout',
    format: 'yyyyMMddHHmmss Beijing time',
    minSeconds: U,
    maxSeconds: U,
    defaultSeconds: U,
    clockStarts: 'order-created',
    actionValiditySeconds: U,
    source: `${PROTOCOLS} §3.3`,
  },
  refund: {
    window: months(11),
    maxRefundsPerOrder: U,
    minIntervalSeconds: U,
    partial: true,
    synchronousResultFinal: false,
    notifies: true,
    activation: U,
    idPriority: 'origQryId (the channel\'s queryId of the payment) is the only reference taken',
    fee: { kind: 'rate', minimumFee: 8, source: `${ARTICLE} 一.4` },
    source: `${ARTICLE} 一.4; ${PROTOCOLS} §3.3`,
  },
  notification: {
    notifyUrl: 'per-request',
    acknowledgement: 'HTTP 200; the body is ignored',
    deadlineSeconds: 10,
    retryLadderSeconds: [MINUTE, 2 * MINUTE, 4 * MINUTE, 5 * MINUTE], // [3P] up to five sends
    verification: 'signature',
    states: ['success (front and back transactions)', 'failure (back transactions)'],
    attachEchoed: true, // reqReserved comes back in query, notification and bill
    silentProducts: U,
    source: `${PROTOCOLS} §3.1, §3.3`,
  },
  query: {
    layers: {
      communication: 'HTTP transport and status',
      business: 'respCode of the query answer (00: the query itself succeeded)',
      trade: 'origRespCode',
    },
    tradeStates: { succeeded: ['00', 'A6'], pending: ['03', '04', '05'], closed: [], failed: [], otherwise: 'failed' },
    unknownCodes: ['03', '04', '05'],
    separateRefundQuery: false, // the refund is queried like any transaction, by its own orderId + txnTime
    rateLimit: U,
    source: `${PROTOCOLS} §3.3`,
  },
  bill: {
    ...bill('23:00', { dayOffset: 1, time: '09:00' }),
    note: 'settleDate (MMDD) on each transaction says which clearing day it belongs to',
  },
  installments: [],
  cooperation: unknownCooperation,
  payout: unknownPayout,
  split: unknownSplit,
  settlement: unknownSettlement,
  creditCards: unknownCreditCards,
  ipAllowList: U,
};

const qqwallet = sparse({
  id: 'qqwallet',
  name: { zh: 'QQ 钱包', en: 'QQ Wallet' },
  kind: 'wallet',
  currencies: ['CNY'],
  amountUnit: 'fen',
  products: [
    {
      id: 'native',
      name: { zh: '扫码支付', en: 'Native (QR)' },
      wireName: 'qpay_unified_order.cgi, trade_type NATIVE',
      terminals: ['pc'],
      action: 'qr',
      activation: U,
      source: `DESIGN §4; ${PROTOCOLS} §4`,
    },
    {
      id: 'app',
      name: { zh: 'APP 支付', en: 'In-app (SDK)' },
      wireName: 'qpay_unified_order.cgi, trade_type APP',
      terminals: ['app'],
      action: 'app',
      activation: U,
      source: `${PROTOCOLS} §4`,
    },
  ],
  orderNumber: { field: 'out_trade_no', minLength: U, maxLength: 32, charset: U, source: `${PROTOCOLS} §8 [3P]` },
  refund: {
    ...refundOnly(years(1), {
      kind: 'per-transaction-or-net',
      recommended: 'per-transaction',
      source: `${ARTICLE} 一.4`,
    }),
    // Early QQ Wallet rejected refunds of orders older than 30 days that did not carry the transaction id.
    idPriority: 'transaction_id',
    source: `${ARTICLE} 一.4, 二.1 对接-退款⑤`,
  },
  notification: {
    ...unknownNotification(),
    acknowledgement: 'XML with return_code=SUCCESS',
    retryLadderSeconds: [MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 32 * MINUTE],
    verification: 'signature',
    source: `${PROTOCOLS} §4 [3P]`,
  },
  bill: bill('00:00', { dayOffset: 1, time: '10:00' }),
});

const cmb = sparse({
  id: 'cmb',
  name: { zh: '招行一网通', en: 'CMB One-Netcom' },
  kind: 'bank',
  currencies: ['CNY'],
  amountUnit: 'yuan',
  products: [
    {
      id: 'pc',
      name: { zh: '一网通支付', en: 'One-Netcom (PC)' },
      wireName: 'MB_EUserPay (jsonRequestData form)',
      terminals: ['pc'],
      action: 'form',
      activation: U,
      source: `DESIGN §4; ${PROTOCOLS} §4`,
    },
    {
      id: 'h5',
      name: { zh: '一网通 H5', en: 'One-Netcom (mobile)' },
      wireName: 'MB_EUserPay (jsonRequestData form)',
      terminals: ['wap'],
      action: 'form',
      activation: U,
      source: `DESIGN §4; ${PROTOCOLS} §4`,
    },
  ],
  orderNumber: {
    field: 'orderNo',
    minLength: U,
    maxLength: U,
    charset: '0-9',
    note: 'early CMB allowed digits only; published examples use 10 digits',
    source: `${ARTICLE} 二.1 对接-支付③; ${PROTOCOLS} §4 [3P]`,
  },
  expiry: {
    ...unknownExpiry(),
    style: 'relative',
    parameter: 'expireTimeSpan',
    format: 'minutes',
    source: `${PROTOCOLS} §4 [3P]`,
  },
  refund: refundOnly(days(180), {
    kind: 'proportional',
    pieceBelowOneUnitReturnsNothing: true,
    source: `${ARTICLE} 一.4`,
  }),
  notification: {
    ...unknownNotification(),
    notifyUrl: 'per-request',
    verification: 'signature',
    source: `${PROTOCOLS} §4 [3P] (payNoticeUrl; CMB public key fetched daily with FBPK)`,
  },
});

const jdpay = sparse({
  id: 'jdpay',
  name: { zh: '京东支付', en: 'JD Pay' },
  kind: 'wallet',
  currencies: ['CNY'],
  amountUnit: 'fen',
  products: [
    {
      id: 'pc',
      name: { zh: '京东支付 PC', en: 'JD Pay (PC)' },
      wireName: 'payapi.jd.com form POST',
      terminals: ['pc'],
      action: 'form',
      activation: U,
      source: `DESIGN §4; ${PROTOCOLS} §4 [3P]`,
    },
    {
      id: 'h5',
      name: { zh: '京东支付 H5', en: 'JD Pay (mobile)' },
      wireName: 'payapi.jd.com form POST',
      terminals: ['wap'],
      action: 'form',
      activation: U,
      source: `DESIGN §4; ${PROTOCOLS} §4 [3P]`,
    },
  ],
  orderNumber: {
    ...unknownOrderNumber('tradeNum', `${PROTOCOLS} §4 [3P]`),
    note: 'unique per request',
  },
  description: { ...unknownDescription(), field: 'tradeName', source: `${PROTOCOLS} §4 [3P]` },
  refund: refundOnly(months(6), { kind: 'none', source: `${ARTICLE} 一.4` }),
  installments: [
    {
      provider: 'baitiao',
      name: { zh: '京东白条', en: 'JD Baitiao' },
      periods: U,
      feeBearers: U,
      products: ['pc', 'h5'],
      parameters: U,
      newOrderNumberOnPlanChange: U,
      activation: 'needs JD Pay first; applied for offline through a business contact, a long cycle',
      source: `${ARTICLE} 一.1, 一.2(1)`,
    },
  ],
  notification: { ...unknownNotification(), verification: 'signature', source: `${PROTOCOLS} §4 [3P]` },
});

const baidu = sparse({
  id: 'baidu',
  name: { zh: '百度钱包', en: 'Baidu Wallet' },
  kind: 'wallet',
  refund: refundOnly(months(3), {
    kind: 'rate',
    pieceBelowOneUnitReturnsNothing: true,
    source: `${ARTICLE} 一.4`,
  }),
});

const yeepay = sparse({
  id: 'yeepay',
  name: { zh: '易宝支付', en: 'YeePay' },
  kind: 'wallet',
  refund: refundOnly(months(3), { kind: 'none', source: `${ARTICLE} 一.4` }),
});

const netbankB2b = sparse({
  id: 'netbank-b2b',
  name: { zh: '企业网银', en: 'Enterprise online banking (B2B)' },
  kind: 'bank',
  currencies: ['CNY'],
  products: [
    {
      id: 'b2b',
      name: { zh: 'B2B 网银支付', en: 'B2B online banking' },
      wireName: 'bank gateway form',
      terminals: ['pc'],
      action: 'form',
      activation: U,
      source: `${ARTICLE} 一.1; DESIGN §4`,
    },
  ],
  refund: refundOnly(days(330), { kind: 'none', source: `${ARTICLE} 一.4` }),
});

const paypal = sparse({
  id: 'paypal',
  name: { zh: 'PayPal', en: 'PayPal' },
  kind: 'international',
  // PayPal REST currency codes (developer.paypal.com/api/rest/reference/currency-codes), limited to those this
  // system knows; CNY is only for PayPal accounts held in China, so it is left out.
  currencies: ['USD', 'EUR', 'GBP', 'HKD', 'JPY', 'AUD', 'CAD', 'SGD', 'CHF', 'NZD', 'THB'],
  amountUnit: 'decimal',
  products: [
    {
      id: 'checkout',
      name: { zh: 'PayPal 结账', en: 'PayPal Checkout' },
      wireName: 'Orders v2, approve link',
      // DESIGN §4 lists PayPal under PC only; its approval page is a web page that works in mobile browsers too,
      // so phones are offered it as well.
      terminals: ['pc', 'wap'],
      action: 'redirect',
      activation: U,
      source: 'DESIGN §4; developer.paypal.com Orders v2',
    },
  ],
  refund: {
    ...refundOnly(days(180), { kind: 'percentage-part', source: `${ARTICLE} 一.4` }),
    // PayPal's own docs say the seller's fees are not returned (PROTOCOLS §4); the article says the percentage part
    // is. The article is our authority for business rules (DESIGN), so `percentage-part` stands.
    source: `${ARTICLE} 一.4; ${PROTOCOLS} §4 (conflict noted)`,
  },
});

const abc = sparse({
  id: 'abc',
  name: { zh: '农业银行', en: 'Agricultural Bank of China' },
  kind: 'bank',
  refund: refundOnly(U, { kind: 'unknown', source: U }, U),
  bill: bill('00:00', { dayOffset: 1, time: '00:00' }, { note: 'cleared at 00:00; the bill can be fetched any time on D+1' }),
});

const ccb = sparse({
  id: 'ccb',
  name: { zh: '建设银行（龙支付）', en: 'China Construction Bank (Long Pay)' },
  kind: 'bank',
  payeeName: 'request-field',
  refund: refundOnly(U, { kind: 'unknown', source: U }, U),
  bill: bill('00:00', { dayOffset: 1, time: '10:00' }, { note: 'processed between 07:00 and 10:00' }),
});

const bestpay = sparse({
  id: 'bestpay',
  name: { zh: '翼支付', en: 'BestPay' },
  kind: 'wallet',
  refund: refundOnly(U, { kind: 'unknown', source: U }, U),
  bill: bill(
    '00:00',
    { dayOffset: 1, time: '01:00' },
    { delivery: 'ftp-push', note: 'pushed to FTP at 01:00; if that fails again at 05:00; then settled by hand' },
  ),
});

export const RULEBOOK: Readonly<Record<ChannelId, ChannelRules>> = {
  wechatpay,
  alipay,
  unionpay,
  qqwallet,
  cmb,
  jdpay,
  baidu,
  yeepay,
  'netbank-b2b': netbankB2b,
  paypal,
  abc,
  ccb,
  bestpay,
};
