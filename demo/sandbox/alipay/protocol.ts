// The sandbox's Alipay wire vocabulary: result codes and messages, and the sync-answer envelope
// `{"<method>_response":{…},"sign":"…"}` signed over its exact JSON text (channel-protocols.md §2.2, §2.5).

import { signResponse } from '../../../bff/channels/alipay/crypto.ts';

export type ResultCode = '10000' | '20000' | '40001' | '40002' | '40004' | '40006';

/** `msg` per `code`, as the gateway writes them (§2.5). */
export const RESULT_MESSAGES: Readonly<Record<ResultCode, string>> = {
  '10000': 'Success',
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
  '40006': 'Insufficient Permissions',
};

/** A refusal: gateway-level ones are 40001/40002 with `isv.*` sub-codes, business ones 40004 with `ACQ.*`. */
export interface Failure {
  readonly failure: true;
  readonly code: Exclude<ResultCode, '10000'>;
  readonly subCode: string;
  readonly subMsg: string;
}

export function failure(code: Failure['code'], subCode: string, subMsg: string): Failure {
  return { failure: true, code, subCode, subMsg };
}

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as { failure?: unknown }).failure === true;
}

/** Business refusals with the sub_msg Alipay's ACQ table gives them. */
export const business = {
  invalidParameter: (detail: string) => failure('40004', 'ACQ.INVALID_PARAMETER', `参数无效: ${detail}`),
  totalFeeExceed: () => failure('40004', 'ACQ.TOTAL_FEE_EXCEED', '订单总金额超过限额'),
  contextInconsistent: () => failure('40004', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改'),
  tradeNotExist: () => failure('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在'),
  tradeHasSuccess: () => failure('40004', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付'),
  tradeHasClose: () => failure('40004', 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭'),
  tradeStatusError: () => failure('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法'),
  expired: () => failure('40004', 'ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR', '当前时间已超过允许支付的时间'),
  accessForbidden: (detail: string) => failure('40004', 'ACQ.ACCESS_FORBIDDEN', `无权限使用接口: ${detail}`),
  systemError: () => failure('40004', 'ACQ.SYSTEM_ERROR', '系统异常'),
  // alipay.trade.refund's table (sub_msg as Alipay writes them; the advice after each is Alipay's too).
  /** "查询交易，确认交易是否已经付款": a trade nobody paid. */
  refundTradeStatusError: () => failure('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态非法'),
  /** "检查当前交易的状态是否为交易成功状态以及签约的退款属性是否允许退款": e.g. the contract's refund window has passed. */
  tradeNotAllowRefund: () => failure('40004', 'ACQ.TRADE_NOT_ALLOW_REFUND', '当前交易不允许退款'),
  /** Without out_request_no only the whole amount can be refunded (developer.aliyun.com/article/707486). */
  refundAmountNotEqualTotal: () => failure('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '撤销或退款金额与订单金额不一致'),
  /** "检查退款请求的金额是否正确": more than what is left to refund. */
  refundFeeError: () => failure('40004', 'ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效'),
  /** "检查该退款号是否已退过款或更换退款号重新发起请求": the out_request_no already carries other terms. */
  discordantRepeatRequest: () => failure('40004', 'ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求'),
  sellerBalanceNotEnough: () => failure('40004', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足'),
} as const;

export function failureBody(refusal: Failure): Record<string, string> {
  return { code: refusal.code, msg: RESULT_MESSAGES[refusal.code], sub_code: refusal.subCode, sub_msg: refusal.subMsg };
}

export function successBody(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { code: '10000', msg: RESULT_MESSAGES['10000'], ...fields };
}

/**
 * JSON as Alipay writes it: "/" escaped as "\/" (its qr_code values read "https:\/\/qr.alipay.com\/…"). Verifiers
 * that re-serialise instead of cutting the raw text fail on this, as they would against the real gateway.
 */
export function alipayJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/');
}

/** `{"<key>":<json>,"sign":"…"}`, or without `sign` when the gateway cannot sign (an unknown app_id). */
export function envelope(responseKey: string, payload: unknown, privateKey: string | null): string {
  const json = alipayJson(payload);
  return privateKey === null ? `{"${responseKey}":${json}}` : signResponse(responseKey, json, privateKey);
}

/** `alipay.trade.query` → `alipay_trade_query_response`. */
export function responseKeyOf(method: string | undefined): string {
  return method && /^[a-z0-9.]+$/.test(method) ? `${method.replaceAll('.', '_')}_response` : 'error_response';
}
