// What a pay request's biz_content asks for, checked as Alipay checks it: out_trade_no, total_amount, subject,
// product_code, expiry, passback_params, Huabei extend_params, disable_pay_channels, buyer (channel-protocols.md
// §2.4, §2.6, §2.7). Business-field problems are 40004 ACQ.* refusals, as the real gateway answers them.

import { formatYuan } from '../../../shared/money/index.ts';
import { addDays, fromBeijing, parseBeijingTime, toBeijing } from '../../../shared/channels/beijing-time.ts';
import { business, type Failure } from './protocol.ts';

/** The pay methods the sandbox serves and the product codes each accepts (the first is the default, if any). */
export const PAY_METHODS = {
  'alipay.trade.page.pay': { productCodes: ['FAST_INSTANT_TRADE_PAY'], required: true, defaultExpirySeconds: 15 * 86_400 },
  'alipay.trade.wap.pay': { productCodes: ['QUICK_WAP_WAY'], required: true, defaultExpirySeconds: 15 * 86_400 },
  'alipay.trade.app.pay': { productCodes: ['QUICK_MSECURITY_PAY'], required: false, defaultExpirySeconds: 15 * 86_400 },
  // Face-to-face trades default to 3 h ("当面付场景默认值为3h", AlipayTradeCreateModel.java).
  'alipay.trade.precreate': { productCodes: ['FACE_TO_FACE_PAYMENT', 'OFFLINE_PAYMENT'], required: false, defaultExpirySeconds: 3 * 3600 },
  'alipay.trade.create': { productCodes: ['FACE_TO_FACE_PAYMENT', 'JSAPI_PAY', 'OFFLINE_PAYMENT'], required: false, defaultExpirySeconds: 3 * 3600 },
} as const;
export type PayMethod = keyof typeof PAY_METHODS;

/** Alipay's channel list, the values disable_pay_channels takes (docs.open.alipay.com/common/wifww7). */
const PAY_CHANNELS = new Set([
  'balance', 'moneyFund', 'coupon', 'pcredit', 'pcreditpayInstallment', 'creditCard', 'creditCardExpress',
  'creditCardCartoon', 'credit_group', 'debitCardExpress', 'mcard', 'pcard', 'promotion', 'voucher', 'point',
  'mdiscount', 'bankPay',
]);
const HUABEI_CHANNELS = ['credit_group', 'pcredit', 'pcreditpayInstallment'];

export interface PayTerms {
  readonly outTradeNo: string;
  /** Fen. */
  readonly amount: number;
  readonly subject: string;
  readonly body: string | undefined;
  readonly productCode: string | undefined;
  readonly expiresAt: Date;
  readonly passbackParams: string | undefined;
  readonly hbFqNum: string | undefined;
  readonly hbFqSellerPercent: string | undefined;
  readonly disablePayChannels: string | undefined;
  readonly buyerId: string | undefined;
  readonly buyerOpenId: string | undefined;
}

/** biz_content as a JSON object, or the refusal. */
export function parseBizContent(text: string | undefined): Record<string, unknown> | Failure {
  if (text === undefined || text === '') return business.invalidParameter('biz_content is missing');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return business.invalidParameter('biz_content is not JSON');
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : business.invalidParameter('biz_content is not a JSON object');
}

const optionalText = (value: unknown, field: string, max: number): string | undefined | Failure => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return business.invalidParameter(`${field} must be a string`);
  return [...value].length > max ? business.invalidParameter(`${field} is longer than ${max}`) : value;
};

export function outTradeNoOf(value: unknown): string | Failure {
  // ≤ 64 of letters, digits and "_" (AlipayTradePagePayModel.java, §2.6).
  return typeof value === 'string' && /^[0-9A-Za-z_]{1,64}$/.test(value) ? value : business.invalidParameter('out_trade_no must be 1–64 letters, digits or _');
}

/** Yuan with at most two decimals ("精确到小数点后两位") as fen, or null; a JSON number is read as written. */
export function fenOf(value: unknown): number | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/.test(text)) return null;
  const [whole = '0', fraction = ''] = text.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** total_amount: in [0.01, 100000000] yuan (§2.6). */
function amountOf(value: unknown): number | Failure {
  const fen = fenOf(value);
  if (fen === null) return business.invalidParameter('total_amount must be yuan with at most two decimals');
  // "订单金额不能小于等于0，且不能大于100000000元" (ACQ.TOTAL_FEE_EXCEED in Alipay's error table).
  return fen < 1 || fen > 10_000_000_000 ? business.totalFeeExceed() : fen;
}

function expiryOf(biz: Readonly<Record<string, unknown>>, method: PayMethod, now: Date, lateExpiry: boolean): Date | Failure {
  const max = now.getTime() + 15 * 86_400_000;
  if (biz.time_expire !== undefined) {
    // Absolute, Beijing time, wins over timeout_express (§2.6).
    const at = parseBeijingTime(biz.time_expire);
    if (!at) return business.invalidParameter('time_expire must be yyyy-MM-dd HH:mm:ss');
    if (at.getTime() > max) return business.invalidParameter('time_expire is more than 15 days away');
    return at.getTime() <= now.getTime() && !lateExpiry ? business.expired() : at;
  }
  if (biz.timeout_express !== undefined) {
    // Nm | Nh | Nd | 1c, whole numbers, 1m–15d (§2.6); 1c closes at the next Beijing midnight.
    const match = typeof biz.timeout_express === 'string' ? /^(?:([1-9][0-9]*)([mhd])|1c)$/.exec(biz.timeout_express) : null;
    if (!match) return business.invalidParameter('timeout_express must be like 90m, 2h, 15d or 1c');
    if (match[1] === undefined) {
      return fromBeijing(addDays(toBeijing(now), 1));
    }
    const unit = match[2] === 'm' ? 60_000 : match[2] === 'h' ? 3_600_000 : 86_400_000;
    const at = now.getTime() + Number(match[1]) * unit;
    return at > max ? business.invalidParameter('timeout_express is more than 15 days') : new Date(at);
  }
  return new Date(now.getTime() + PAY_METHODS[method].defaultExpirySeconds * 1000);
}

export interface PayTermsOptions {
  /**
   * The successAfterExpiry fault (demo/sandbox/faults.ts): a channel whose clock starts late still takes a request
   * whose time_expire has passed, so the customer can pay it.
   */
  readonly lateExpiry?: boolean;
}

export function payTermsOf(biz: Readonly<Record<string, unknown>>, method: PayMethod, now: Date, options: PayTermsOptions = {}): PayTerms | Failure {
  const outTradeNo = outTradeNoOf(biz.out_trade_no);
  if (typeof outTradeNo !== 'string') return outTradeNo;
  const amount = amountOf(biz.total_amount);
  if (typeof amount !== 'number') return amount;
  // Required, ≤ 256, "不可使用特殊字符，如 /，=，& 等" (AlipayTradeCreateModel.java, §2.6).
  const subject = biz.subject;
  if (typeof subject !== 'string' || subject.trim() === '') return business.invalidParameter('subject is required');
  if ([...subject].length > 256) return business.invalidParameter('subject is longer than 256');
  if (/[/=&]/.test(subject)) return business.invalidParameter('subject must not contain / = &');
  const body = optionalText(biz.body, 'body', 128);
  if (typeof body === 'object') return body;
  const passbackParams = optionalText(biz.passback_params, 'passback_params', 512);
  if (typeof passbackParams === 'object') return passbackParams;

  const rule = PAY_METHODS[method];
  const productCode = biz.product_code;
  if (productCode === undefined || productCode === '') {
    if (rule.required) return business.invalidParameter(`product_code is required (${rule.productCodes.join(' | ')})`);
  } else if (typeof productCode !== 'string' || !(rule.productCodes as readonly string[]).includes(productCode)) {
    // "未签约对应的产品合约；请校验传入的product_code参数是否正确" (ACQ.ACCESS_FORBIDDEN).
    return business.accessForbidden(`product_code ${String(productCode)} does not go with ${method}`);
  }

  const expiresAt = expiryOf(biz, method, now, options.lateExpiry === true);
  if (!(expiresAt instanceof Date)) return expiresAt;

  const huabei = huabeiOf(biz.extend_params);
  if ('failure' in huabei) return huabei;
  const disablePayChannels = optionalText(biz.disable_pay_channels, 'disable_pay_channels', 128);
  if (typeof disablePayChannels === 'object') return disablePayChannels;
  const disabled = disablePayChannels?.split(',') ?? [];
  const unknownChannel = disabled.find((channel) => !PAY_CHANNELS.has(channel));
  if (unknownChannel !== undefined) return business.invalidParameter(`disable_pay_channels has no channel ${unknownChannel}`);
  if (huabei.hbFqNum !== undefined && disabled.some((channel) => HUABEI_CHANNELS.includes(channel))) {
    return business.invalidParameter('Huabei installments asked for while Huabei is disabled');
  }

  const buyerId = optionalText(biz.buyer_id, 'buyer_id', 28);
  if (typeof buyerId === 'object') return buyerId;
  if (buyerId !== undefined && !/^2088[0-9]{12}$/.test(buyerId)) return business.invalidParameter('buyer_id must be 2088 and 12 digits');
  const buyerOpenId = optionalText(biz.buyer_open_id, 'buyer_open_id', 128);
  if (typeof buyerOpenId === 'object') return buyerOpenId;

  return {
    outTradeNo,
    amount,
    subject,
    body,
    productCode: typeof productCode === 'string' && productCode !== '' ? productCode : rule.productCodes[0],
    expiresAt,
    passbackParams,
    ...huabei,
    disablePayChannels,
    buyerId,
    buyerOpenId,
  };
}

/** hb_fq_num ∈ {3, 6, 12} with hb_fq_seller_percent ∈ {0 (buyer pays), 100 (merchant pays)}, both or neither (§2.7). */
function huabeiOf(extend: unknown): { hbFqNum: string | undefined; hbFqSellerPercent: string | undefined } | Failure {
  if (extend === undefined || extend === null) return { hbFqNum: undefined, hbFqSellerPercent: undefined };
  if (typeof extend !== 'object' || Array.isArray(extend)) return business.invalidParameter('extend_params must be an object');
  const fields = extend as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'number' ? String(value) : value);
  const num = text(fields.hb_fq_num);
  const percent = text(fields.hb_fq_seller_percent);
  if (num === undefined && percent === undefined) return { hbFqNum: undefined, hbFqSellerPercent: undefined };
  if (num !== '3' && num !== '6' && num !== '12') return business.invalidParameter('extend_params.hb_fq_num must be 3, 6 or 12');
  if (percent !== '0' && percent !== '100') return business.invalidParameter('extend_params.hb_fq_seller_percent must be 0 or 100');
  return { hbFqNum: num, hbFqSellerPercent: percent };
}

/**
 * What must match when an out_trade_no comes again: the amount, the subject and the Huabei plan. Alipay answers a
 * difference with ACQ.CONTEXT_INCONSISTENT ("本次请求的交易关键信息（如订单金额、订单标题等）与已存交易的信息不一致"),
 * and a changed installment plan needs a new out_trade_no (§2.7).
 */
export function fingerprintOf(terms: PayTerms): string {
  return JSON.stringify([formatYuan(terms.amount), terms.subject, terms.hbFqNum ?? '', terms.hbFqSellerPercent ?? '']);
}

