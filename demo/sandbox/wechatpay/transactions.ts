// WeChat's order book rules in the sandbox: validating a prepay body as WeChat does (channel-protocols.md §1.6–1.7),
// the trade states an order goes through (NOTPAY → SUCCESS → REFUND | CLOSED | PAYERROR, expiry closing it), and
// the transaction object that query answers and notifications carry.

import { createHash, randomBytes } from 'node:crypto';
import { RULEBOOK } from '../../../shared/channels/index.ts';
import type { OrderBook, SandboxOrder } from '../order-book.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';
import { newPrepayId, newTransactionId, parseRfc3339, type WechatpayEnv } from './protocol.ts';
import { OUT_TRADE_NO, failed, isObject, jsonObject, optionalString, paramError, requiredString, type Failure } from './fields.ts';
import { hasSucceededRefund } from './refund-book.ts';

export const CHANNEL = 'wechatpay';

/** The four prepay endpoints and the trade_type each gives; H5 is MWEB in WeChat's vocabulary. */
export const ENDPOINTS = { native: 'NATIVE', h5: 'MWEB', jsapi: 'JSAPI', app: 'APP' } as const;
export type Endpoint = keyof typeof ENDPOINTS;

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'PAYERROR';

const TRADE_STATE: Record<SandboxOrder['status'], TradeState> = {
  pending: 'NOTPAY',
  paid: 'SUCCESS',
  closed: 'CLOSED',
  failed: 'PAYERROR',
};

const TRADE_STATE_DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
  PAYERROR: '支付失败，请重新下单支付',
};

const H5_TYPES = ['iOS', 'Android', 'Wap'] as const;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The appids bound to the demo merchant, in demo/credentials.ts order: the official account, the mini-program,
 * the mobile app. APP pay needs the Open Platform app's id; JSAPI an official account's or a mini-program's
 * (that one is how mini-program pay is told apart); Native and H5 take any bound appid.
 */
function appidsFor(env: WechatpayEnv, endpoint: Endpoint): readonly string[] {
  const [official, mini, app] = env.secrets.appids;
  const pick = (...ids: Array<string | undefined>) => ids.filter((id): id is string => id !== undefined);
  if (endpoint === 'app') return pick(app);
  if (endpoint === 'jsapi') return pick(official, mini);
  return env.secrets.appids;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

export type { Failure } from './fields.ts';

export interface PrepayRequest {
  readonly appid: string;
  readonly mchid: string;
  readonly description: string;
  readonly out_trade_no: string;
  readonly notify_url: string;
  readonly total: number;
  readonly attach?: string;
  readonly time_expire?: Date;
  readonly openid?: string;
  readonly payer_client_ip?: string;
  readonly h5_type?: (typeof H5_TYPES)[number];
  /** What must be identical when an out_trade_no is used again. */
  readonly fingerprint: string;
}


/** The prepay body checked field by field as WeChat documents them (§1.6, §1.7); the first problem is reported. */
export function validatePrepay(env: WechatpayEnv, endpoint: Endpoint, raw: string): { ok: true; request: PrepayRequest } | Failure {
  const body = jsonObject(raw);
  if (failed(body)) return body;

  const appid = requiredString(body, 'appid', 32);
  if (failed(appid)) return appid;
  const mchid = requiredString(body, 'mchid', 32);
  if (failed(mchid)) return mchid;
  const description = requiredString(body, 'description', 127);
  if (failed(description)) return description;
  const outTradeNo = requiredString(body, 'out_trade_no', 32);
  if (failed(outTradeNo)) return outTradeNo;
  if (!OUT_TRADE_NO.test(outTradeNo)) return paramError('out_trade_no', '应为 6-32 位数字、大小写字母或 _-|*');
  const notifyUrl = requiredString(body, 'notify_url', 255);
  if (failed(notifyUrl)) return notifyUrl;
  const notify = URL.canParse(notifyUrl) ? new URL(notifyUrl) : null;
  // WeChat wants a public HTTPS URL without a query (§1.7); the sandbox lets http through so local merchants work.
  if (notify === null || !['http:', 'https:'].includes(notify.protocol) || notify.search !== '') {
    return paramError('notify_url', '应为不带参数的 http(s) 地址');
  }
  const attach = optionalString(body, 'attach', 128);
  if (failed(attach)) return attach;

  const amount = body.amount;
  if (!isObject(amount)) return paramError('amount', '为必填参数');
  const total = amount.total;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) return paramError('amount.total', '应为不小于 1 的整数（分）');
  if (amount.currency !== undefined && amount.currency !== 'CNY') return paramError('amount.currency', '仅支持 CNY');

  let timeExpire: Date | undefined;
  if (body.time_expire !== undefined) {
    if (typeof body.time_expire !== 'string') return paramError('time_expire', '类型应为 string');
    const parsed = parseRfc3339(body.time_expire);
    if (parsed === null) return paramError('time_expire', '应为 RFC 3339 格式 yyyy-MM-DDTHH:mm:ss+TIMEZONE');
    timeExpire = parsed;
  }

  let openid: string | undefined;
  if (endpoint === 'jsapi') {
    const payer = body.payer;
    if (!isObject(payer)) return paramError('payer', '为必填参数');
    const value = requiredString(payer, 'openid', 128);
    if (failed(value)) return paramError('payer.openid', '为必填参数，且不超过 128 个字符');
    openid = value;
  }

  let payerClientIp: string | undefined;
  let h5Type: PrepayRequest['h5_type'];
  if (endpoint === 'h5') {
    const scene = body.scene_info;
    if (!isObject(scene)) return paramError('scene_info', '为必填参数');
    const ip = requiredString(scene, 'payer_client_ip', 45);
    if (failed(ip)) return paramError('scene_info.payer_client_ip', '为必填参数，且不超过 45 个字符');
    payerClientIp = ip;
    const h5 = scene.h5_info;
    if (!isObject(h5) || !(H5_TYPES as readonly unknown[]).includes(h5.type)) return paramError('scene_info.h5_info.type', '应为 iOS、Android 或 Wap');
    h5Type = h5.type as PrepayRequest['h5_type'];
  }

  if (mchid !== env.secrets.mchid) {
    return { ok: false, status: 400, error: { code: 'INVALID_REQUEST', message: '请求的商户号与签名的商户号不一致' } };
  }
  if (!env.secrets.appids.includes(appid)) {
    return { ok: false, status: 400, error: { code: 'APPID_MCHID_NOT_MATCH', message: 'AppID和mch_id不匹配' } };
  }
  if (!appidsFor(env, endpoint).includes(appid)) return paramError('appid', '与下单接口的应用类型不匹配');

  return {
    ok: true,
    request: {
      appid,
      mchid,
      description,
      out_trade_no: outTradeNo,
      notify_url: notifyUrl,
      total,
      ...(attach === undefined ? {} : { attach }),
      ...(timeExpire === undefined ? {} : { time_expire: timeExpire }),
      ...(openid === undefined ? {} : { openid }),
      ...(payerClientIp === undefined ? {} : { payer_client_ip: payerClientIp }),
      ...(h5Type === undefined ? {} : { h5_type: h5Type }),
      fingerprint: fingerprint(endpoint, body),
    },
  };
}

/**
 * Every parameter except time_expire (only the first order's counts, §1.7) and the payer's IP, which WeChat lets
 * change between tries of one out_trade_no; the endpoint counts too (a JSAPI order cannot come back as APP).
 */
function fingerprint(endpoint: Endpoint, body: Record<string, unknown>): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (!isObject(value)) return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => key !== 'time_expire' && key !== 'payer_client_ip')
        .map((key) => [key, canonical(value[key])]),
    );
  };
  return createHash('sha256').update(JSON.stringify([endpoint, canonical(body)])).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Orders

export function productOf(env: WechatpayEnv, endpoint: Endpoint, appid: string): string {
  // Mini-program pay is JSAPI with the mini-program's appid (§1.6).
  if (endpoint === 'jsapi' && appid === env.secrets.appids[1]) return 'miniprogram';
  return endpoint;
}

/**
 * The order's expiry: time_expire when given, moved up to a minute ahead and clamped at 90 days as WeChat does
 * (§1.7), else WeChat's default validity.
 */
function expiryOf(request: PrepayRequest, now: Date): Date {
  const rules = RULEBOOK.wechatpay.expiry;
  const min = typeof rules.minSeconds === 'number' ? rules.minSeconds * 1000 : MINUTE_MS;
  const max = typeof rules.maxSeconds === 'number' ? rules.maxSeconds * 1000 : 90 * DAY_MS;
  const fallback = typeof rules.defaultSeconds === 'number' ? rules.defaultSeconds * 1000 : 7 * DAY_MS;
  if (request.time_expire === undefined) return new Date(now.getTime() + fallback);
  const at = Math.min(Math.max(request.time_expire.getTime(), now.getTime() + min), now.getTime() + max);
  return new Date(at);
}

function openidFor(appid: string, seed: string): string {
  // A stable stand-in for the payer's openid under this appid (28 characters starting with `o`, like WeChat's).
  return `o${createHash('sha256').update(`${appid}:${seed}`).digest('base64url').slice(0, 27)}`;
}

export function newOrder(env: WechatpayEnv, endpoint: Endpoint, request: PrepayRequest, now: Date): SandboxOrder {
  const prepayId = newPrepayId(now);
  return {
    channel: CHANNEL,
    key: request.out_trade_no,
    merchant: request.mchid,
    product: productOf(env, endpoint, request.appid),
    amount: request.total,
    currency: 'CNY',
    description: request.description,
    // Assigned now, shown only once paid: WeChat answers /id/{transaction_id} for paid orders only (§1.6).
    tradeNo: newTransactionId(now),
    createdAt: now.toISOString(),
    expiresAt: expiryOf(request, now).toISOString(),
    notifyUrl: request.notify_url,
    status: 'pending',
    details: {
      appid: request.appid,
      tradeType: ENDPOINTS[endpoint],
      fingerprint: request.fingerprint,
      prepayId,
      // The code_url token of a Native order.
      pr: randomBytes(12).toString('base64url'),
      payerOpenid: request.openid ?? openidFor(request.appid, request.out_trade_no),
      ...(request.attach === undefined ? {} : { attach: request.attach }),
      ...(request.payer_client_ip === undefined ? {} : { payerClientIp: request.payer_client_ip }),
      ...(request.h5_type === undefined ? {} : { h5Type: request.h5_type }),
    },
  };
}

/**
 * WeChat closes an unpaid order when its time_expire passes (§1.7): reading it after that finds it CLOSED. The
 * `successAfterExpiry` fault plays a channel whose clock starts late: the order stays open past its expiry, so the
 * customer can still pay it (the merchant, having counted it expired, must take that success).
 */
export function current(orders: OrderBook, env: WechatpayEnv, order: SandboxOrder): SandboxOrder {
  if (order.status === 'pending' && order.expiresAt !== undefined && env.clock.now().getTime() >= Date.parse(order.expiresAt)) {
    if (env.faults.for(CHANNEL, order.key).successAfterExpiry) return order;
    return orders.update(order, { status: 'closed' });
  }
  return order;
}

export function findOrder(orders: OrderBook, env: WechatpayEnv, key: string): SandboxOrder | undefined {
  const order = orders.get(CHANNEL, key);
  return order === undefined ? undefined : current(orders, env, order);
}

/** Orders by a detail (prepay id, code_url token); the book is small and this keeps all state in it. */
export function findByDetail(orders: OrderBook, env: WechatpayEnv, detail: string, value: string): SandboxOrder | undefined {
  const order = orders.list().find((candidate) => candidate.channel === CHANNEL && candidate.details[detail] === value);
  return order === undefined ? undefined : current(orders, env, order);
}

export function tradeState(order: SandboxOrder): TradeState {
  const state = TRADE_STATE[order.status];
  return state === 'SUCCESS' && hasSucceededRefund(order) ? 'REFUND' : state;
}

/**
 * The transaction object of query answers and of the notification resource (§1.4): keys in alphabetical order as
 * WeChat writes them; transaction_id, payer, success_time and attach only once paid (and still after a refund).
 * `reportedAmount` is the `changeAmount` fault: the amount stated instead of the real one.
 */
export function transactionOf(order: SandboxOrder, reportedAmount: number = order.amount): Record<string, unknown> {
  const state = tradeState(order);
  const paid = state === 'SUCCESS' || state === 'REFUND';
  const details = order.details;
  return {
    amount: paid
      ? { currency: order.currency, payer_currency: order.currency, payer_total: reportedAmount, total: reportedAmount }
      : { currency: order.currency, payer_currency: order.currency, total: reportedAmount },
    appid: details.appid,
    ...(paid && details.attach !== undefined ? { attach: details.attach } : {}),
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    mchid: order.merchant,
    out_trade_no: order.key,
    ...(paid ? { payer: { openid: details.payerOpenid } } : {}),
    promotion_detail: [],
    ...(paid && order.paidAt !== undefined ? { success_time: formatBeijingRfc3339(new Date(order.paidAt)) } : {}),
    trade_state: state,
    trade_state_desc: TRADE_STATE_DESC[state],
    ...(paid || state === 'PAYERROR' ? { trade_type: details.tradeType } : {}),
    ...(paid ? { transaction_id: order.tradeNo } : {}),
  };
}
