// The sandbox's gateway.do: reads a request the way Alipay's OpenAPI 2.0 gateway does (URL query and form body
// merged, common parameters checked, RSA2 over every received parameter except sign) and answers server calls
// with signed JSON, browser pay requests with the cashier (channel-protocols.md §2.1, §2.2, §2.5, §2.8). Queries
// act out the order's scripted query failures (demo/sandbox/faults.ts).

import { generateKeyPairSync } from 'node:crypto';
import type { Context } from 'hono';
import { formatBeijingTime, parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { formatYuan } from '../../../shared/money/index.ts';
import { signContent, verifyParams } from '../../../bff/channels/alipay/crypto.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { cashierPage, errorPage, statusPage } from './cashier.ts';
import { business, envelope, failure, failureBody, isFailure, responseKeyOf, successBody, type Failure } from './protocol.ts';
import { fenOf, outTradeNoOf, parseBizContent, payTermsOf } from './terms.ts';
import { SANDBOX_BUYER, type AlipayTrades, type SandboxRefund } from './trades.ts';
import { holdRequest } from '../faults.ts';
import { BILL_METHOD, type AlipayBills } from './bills.ts';

/** Methods answered with the cashier in the customer's browser rather than with JSON (§2.4). */
const BROWSER_METHODS = ['alipay.trade.page.pay', 'alipay.trade.wap.pay'] as const;
type BrowserMethod = (typeof BROWSER_METHODS)[number];
const API_METHODS = new Set([
  'alipay.trade.precreate',
  'alipay.trade.create',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  BILL_METHOD,
]);

/** The calls the queryFailure fault acts on: the reads about an order, never the writes. */
const QUERY_METHODS: ReadonlySet<string> = new Set(['alipay.trade.query', 'alipay.trade.fastpay.refund.query']);

/**
 * How long a query the `timeout` fault holds before giving up with a 504, as a load balancer in front of a gateway
 * would. A caller that stops waiting first (every adapter does, within its timeout) ends the hold at once, so the
 * sandbox never keeps a test process waiting on its own.
 */
export const HELD_QUERY_MS = 30_000;

const isBrowserMethod = (method: string): method is BrowserMethod => (BROWSER_METHODS as readonly string[]).includes(method);

/** "服务暂不可用（业务系统不可用）": Alipay's 20000 answer, whose outcome nobody knows (§2.5). */
const unavailable = () => failure('20000', 'isp.unknow-error', '服务暂不可用（业务系统不可用）');

/**
 * How far a server call's timestamp may be from the gateway's clock. Alipay publishes no figure for OpenAPI 2.0; its
 * global gateway says "By default, the request expires in 30 minutes" (global.alipay.com precreate_transaction), and
 * a request stamped in UTC instead of Beijing time (8 h off) is refused (jeequan/jeepay PR #43).
 */
export const TIMESTAMP_WINDOW_MS = 30 * 60_000;

/** Alipay-side failures a test can ask for, once, on the next call of a method (DESIGN §7 scripted faults). */
export type GatewayFault =
  /** 20000 isp.unknow-error: nothing happened, and the caller cannot know that. */
  | 'unknow-error'
  /** 40004 ACQ.SYSTEM_ERROR: "该笔交易可能成功也可能失败". */
  | 'system-error'
  /** The request takes effect, but the answer is 20000: success after a timeout, as the caller sees it. */
  | 'applied-then-unknown'
  /** A 502 from a proxy in front of the gateway. */
  | 'http-502'
  /** The answer is signed with a key that is not Alipay's. */
  | 'forged-signature'
  /** 40004 ACQ.SELLER_BALANCE_NOT_ENOUGH: the merchant's balance cannot cover a refund (the sandbox keeps none). */
  | 'seller-balance-not-enough';

export class GatewayFaults {
  readonly #queue = new Map<string, GatewayFault[]>();
  #foreignKey: string | undefined;
  next(method: string, fault: GatewayFault): void {
    this.#queue.set(method, [...(this.#queue.get(method) ?? []), fault]);
  }
  take(method: string): GatewayFault | undefined {
    return this.#queue.get(method)?.shift();
  }
  /** A key that is not Alipay's, for the forged-signature fault (made once: RSA key generation is slow). */
  foreignKey(): string {
    return (this.#foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
}

export interface GatewayDeps {
  readonly context: SandboxContext;
  readonly trades: AlipayTrades;
  readonly faults: GatewayFaults;
  /** A refund moved money: its notification goes out (notify.ts). */
  readonly refunded: (order: SandboxOrder, refund: SandboxRefund) => void;
  /** The daily bills behind alipay.data.dataservice.bill.downloadurl.query (bills.ts). */
  readonly bills: AlipayBills;
}

/** Query and form body merged, as the SDKs split them (§2.1). A name given twice with two values is refused. */
async function receivedParams(c: Context): Promise<Record<string, string> | Failure> {
  const pairs: Array<[string, string]> = [...new URL(c.req.url).searchParams];
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('multipart/form-data')) {
      for (const [key, value] of await c.req.formData()) if (typeof value === 'string') pairs.push([key, value]);
    } else {
      pairs.push(...new URLSearchParams(await c.req.text()));
    }
  }
  const merged = new Map<string, string>();
  for (const [key, value] of pairs) {
    const seen = merged.get(key);
    // Which of two values would count is exactly what a forger hopes to choose (FluentCart's Alipay gateway notes
    // that a repeated `method` is refused as "suspected-attack").
    if (seen !== undefined && seen !== value) return failure('40002', 'isv.suspected-attack', `参数 ${key} 重复且取值不同`);
    merged.set(key, value);
  }
  return Object.fromEntries(merged);
}

/**
 * The common parameters (§2.1) and the signature. `window` is null for requests the customer's browser carries to
 * the gateway: a signed page/WAP URL may be opened some time after it was made (see index.ts).
 */
function checkCommon(params: Readonly<Record<string, string>>, deps: GatewayDeps, window: number | null): Failure | null {
  const alipay = deps.context.secrets.alipay;
  const missing = (name: string, what: string) => failure('40001', `isv.missing-${name}`, `缺少${what}参数`);
  if (!params.app_id) return missing('app-id', 'AppID');
  if (params.app_id !== alipay.appId) return failure('40002', 'isv.invalid-app-id', '无效的AppID参数');
  if (!params.method) return missing('method', '方法名');
  if (!isBrowserMethod(params.method) && !API_METHODS.has(params.method)) return failure('40002', 'isv.invalid-method', '不存在的方法名');
  if (!params.sign) return missing('signature', '签名');
  if (!params.sign_type) return missing('signature-type', '签名类型');
  if (params.sign_type !== 'RSA2') return failure('40002', 'isv.invalid-signature-type', '无效的签名类型参数 (沙箱只支持 RSA2)');
  if (params.format !== undefined && params.format.toUpperCase() !== 'JSON') return failure('40002', 'isv.invalid-format', '无效的数据格式参数 (仅支持 JSON)');
  // The sandbox reads UTF-8 only; the real gateway also takes GBK and GB2312 (§2.1 "Encode bytes with charset").
  if (!params.charset) return missing('charset', '字符集');
  if (params.charset.toLowerCase() !== 'utf-8') return failure('40002', 'isv.invalid-charset', '字符集错误 (沙箱只支持 utf-8)');
  if (!params.timestamp) return missing('timestamp', '时间戳');
  const at = parseBeijingTime(params.timestamp);
  if (!at || (window !== null && Math.abs(at.getTime() - deps.context.clock.now().getTime()) > window)) {
    return failure('40002', 'isv.invalid-timestamp', '非法的时间戳参数');
  }
  if (!params.version) return missing('version', '版本号');
  if (params.version !== '1.0') return failure('40002', 'isv.invalid-version', '无效的版本号参数 (固定为 1.0)');
  // Every received parameter except sign, alipay_sdk included (§2.1); empty values dropped.
  if (!verifyParams(params, alipay.appPublicKey)) {
    // Alipay echoes the string it verified, with & written &amp; (as quoted in alipay-sdk's own comments).
    const content = signContent(params, { exclude: ['sign'], dropEmpty: true }).replaceAll('&', '&amp;');
    return failure('40002', 'isv.invalid-signature', `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`);
  }
  return null;
}

export async function handleGateway(c: Context, deps: GatewayDeps): Promise<Response> {
  const alipayKey = deps.context.secrets.alipay.alipayPrivateKey;
  const received = await receivedParams(c);
  const params = isFailure(received) ? {} : received;
  const method = params.method ?? '';
  const browser = isBrowserMethod(method);
  const json = (payload: unknown, signer: 'alipay' | 'none' | 'forged' = 'alipay'): Response => {
    const key = signer === 'alipay' ? alipayKey : signer === 'forged' ? deps.faults.foreignKey() : null;
    return c.body(envelope(responseKeyOf(method), payload, key), 200, { 'content-type': 'application/json;charset=utf-8' });
  };
  const refuse = (refusal: Failure): Response => {
    if (browser) return c.html(errorPage(refusal));
    // Without a known app_id the gateway has no key pair to sign with: those answers come unsigned (a 3P report of
    // isv.invalid-app-id without `sign` that broke alipay-sdk's validateSign).
    const unsigned = refusal.subCode === 'isv.invalid-app-id' || refusal.subCode === 'isv.missing-app-id';
    return json(failureBody(refusal), unsigned ? 'none' : 'alipay');
  };

  if (isFailure(received)) return refuse(received);
  const common = checkCommon(params, deps, browser ? null : TIMESTAMP_WINDOW_MS);
  if (common) return refuse(common);
  const biz = parseBizContent(params.biz_content);
  if (isFailure(biz)) return refuse(biz);
  const { trades } = deps;
  const now = deps.context.clock.now();

  if (isBrowserMethod(method)) {
    const terms = payTermsOf(biz, method, now, { lateExpiry: lateExpiryFor(biz, deps) });
    if (isFailure(terms)) return refuse(terms);
    // The trade comes to exist at Alipay now, when the customer opens the cashier (not when the URL was signed).
    const order = trades.open(method, terms, { notifyUrl: params.notify_url, returnUrl: params.return_url, visible: true });
    if (isFailure(order)) return refuse(order);
    return c.html(order.status === 'pending' ? cashierPage(order) : statusPage(order));
  }

  const fault = deps.faults.take(method);
  if (fault === 'http-502') return c.text('Bad Gateway', 502);
  if (fault === 'unknow-error') return json(failureBody(unavailable()));
  if (fault === 'system-error') return json(failureBody(business.systemError()));
  if (fault === 'seller-balance-not-enough') return json(failureBody(business.sellerBalanceNotEnough()));
  if (QUERY_METHODS.has(method)) {
    const key = orderKeyOf(biz, trades);
    const scripted = key === undefined ? undefined : deps.context.faults.takeQueryFailure('alipay', key);
    // '5xx': what a proxy in front of the gateway answers when the gateway is down; the answer is not Alipay's JSON.
    if (scripted === '5xx') return c.text('Bad Gateway', 502);
    if (scripted === 'timeout') {
      await holdRequest(HELD_QUERY_MS, c.req.raw.signal);
      return c.text('Gateway Timeout', 504);
    }
  }
  const answer = apiAnswer(method, biz, params, deps);
  if (fault === 'applied-then-unknown') return json(failureBody(unavailable()));
  const signer = fault === 'forged-signature' ? 'forged' : 'alipay';
  return json(isFailure(answer) ? failureBody(answer) : successBody(answer), signer);
}

function apiAnswer(method: string, biz: Readonly<Record<string, unknown>>, params: Readonly<Record<string, string>>, deps: GatewayDeps): Record<string, unknown> | Failure {
  const { trades, context } = deps;
  if (method === BILL_METHOD) return deps.bills.answer(biz);
  if (method === 'alipay.trade.precreate' || method === 'alipay.trade.create') {
    const terms = payTermsOf(biz, method, trades.now());
    if (isFailure(terms)) return terms;
    // A precreate trade exists only once a buyer scans its code (see AlipayTrades.isVisible); trade.create makes it now.
    const order = trades.open(method, terms, { notifyUrl: params.notify_url, visible: method === 'alipay.trade.create' });
    if (isFailure(order)) return order;
    if (method === 'alipay.trade.create') return { out_trade_no: order.key, trade_no: order.tradeNo };
    // The one deliberate deviation: real Alipay answers https://qr.alipay.com/<code>, which only its app can open.
    // Ours is the sandbox's own scan page, so a test (or a phone on the same network) can "scan" it over HTTP.
    return { out_trade_no: order.key, qr_code: `${context.publicUrl}/pay/alipay/qr/${order.details.qr_code ?? ''}` };
  }

  // alipay.trade.query / close / refund / fastpay.refund.query: the trade by trade_no or out_trade_no.
  const order = tradeOf(biz, trades);
  if (isFailure(order)) return order;
  if (method === 'alipay.trade.close') {
    if (!order) return business.tradeNotExist();
    const refused = trades.close(order);
    return refused ?? { trade_no: order.tradeNo, out_trade_no: order.key };
  }
  if (!order || !trades.isVisible(order)) return business.tradeNotExist();
  if (method === 'alipay.trade.refund') return refundAnswer(order, biz, deps);
  if (method === 'alipay.trade.fastpay.refund.query') return refundQueryAnswer(order, biz, trades);
  return queryFields(order, trades);
}

/** trade_no or out_trade_no, trade_no first when both are given ("如果同时存在优先取trade_no"). */
function tradeOf(biz: Readonly<Record<string, unknown>>, trades: AlipayTrades): SandboxOrder | undefined | Failure {
  const tradeNo = typeof biz.trade_no === 'string' && biz.trade_no !== '' ? biz.trade_no : undefined;
  if (tradeNo !== undefined) return trades.byTradeNo(tradeNo);
  if (biz.out_trade_no === undefined || biz.out_trade_no === '') return business.invalidParameter('trade_no or out_trade_no is required');
  const outTradeNo = outTradeNoOf(biz.out_trade_no);
  return isFailure(outTradeNo) ? outTradeNo : trades.get(outTradeNo);
}

/** The order a query is about, for its fault script: the trade's out_trade_no, or the one asked for. */
function orderKeyOf(biz: Readonly<Record<string, unknown>>, trades: AlipayTrades): string | undefined {
  const order = tradeOf(biz, trades);
  if (order && !isFailure(order)) return order.key;
  return typeof biz.out_trade_no === 'string' ? biz.out_trade_no : undefined;
}

/**
 * Whether the order's fault script lets the customer pay after time_expire (successAfterExpiry). A trade about to be
 * made takes the default script (`for`); one made before the default was set keeps its own (or none).
 */
export function lateExpiryFor(biz: Readonly<Record<string, unknown>>, deps: { readonly context: SandboxContext }): boolean {
  const key = biz.out_trade_no;
  if (typeof key !== 'string') return false;
  const { faults, orders } = deps.context;
  const script = orders.get('alipay', key) ? faults.list()[`alipay:${key}`] : faults.for('alipay', key);
  return script?.successAfterExpiry === true;
}


const text = (value: unknown, field: string, max: number): string | undefined | Failure => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return business.invalidParameter(`${field} must be a string`);
  return [...value].length > max ? business.invalidParameter(`${field} is longer than ${max}`) : value;
};

/**
 * alipay.trade.refund (§2.8, AlipayTradeRefundModel): refund_amount in yuan, out_request_no (String(64), "如需部分
 * 退款，则此参数必传"), refund_reason (String(256)). The rules are AlipayTrades.refund's. The answer's refund_fee is the
 * trade's refunded total ("退款总金额。指该笔交易累计已经退款成功的金额"), fund_change says whether this call moved money.
 */
function refundAnswer(order: SandboxOrder, biz: Readonly<Record<string, unknown>>, deps: GatewayDeps): Record<string, unknown> | Failure {
  const amount = fenOf(biz.refund_amount);
  if (amount === null || amount < 1) return business.invalidParameter('refund_amount must be yuan with at most two decimals, at least 0.01');
  const outRequestNo = text(biz.out_request_no, 'out_request_no', 64);
  if (isFailure(outRequestNo)) return outRequestNo;
  const reason = text(biz.refund_reason, 'refund_reason', 256);
  if (isFailure(reason)) return reason;
  const { trades } = deps;
  const done = trades.refund(order, { outRequestNo, amount, reason });
  if (isFailure(done)) return done;
  if (done.fundChange) deps.refunded(order, done.refund);
  return {
    trade_no: order.tradeNo,
    out_trade_no: order.key,
    buyer_logon_id: SANDBOX_BUYER.logonId,
    ...(order.details.buyer_id ? { buyer_user_id: order.details.buyer_id } : {}),
    ...(order.details.buyer_open_id ? { buyer_open_id: order.details.buyer_open_id } : {}),
    fund_change: done.fundChange ? 'Y' : 'N',
    refund_fee: formatYuan(trades.refundedOf(order)),
    gmt_refund_pay: formatBeijingTime(new Date(done.refund.at)),
  };
}

/**
 * alipay.trade.fastpay.refund.query (§2.8): out_request_no (required) on the trade. A refund it knows is
 * REFUND_SUCCESS with this refund's own refund_amount; gmt_refund_pay only when query_options asks for it ("默认不
 * 返回该信息"). A number it does not know is answered 10000 with nothing but code and msg: "未返回该字段表示退款请求
 * 未收到或者退款失败".
 */
function refundQueryAnswer(order: SandboxOrder, biz: Readonly<Record<string, unknown>>, trades: AlipayTrades): Record<string, unknown> | Failure {
  const outRequestNo = text(biz.out_request_no, 'out_request_no', 64);
  if (isFailure(outRequestNo)) return outRequestNo;
  if (outRequestNo === undefined) return business.invalidParameter('out_request_no is required');
  const options = biz.query_options ?? [];
  if (!Array.isArray(options) || !options.every((option) => typeof option === 'string')) return business.invalidParameter('query_options must be a list of strings');
  const refund = trades.refundsOf(order).find((candidate) => candidate.outRequestNo === outRequestNo);
  if (!refund) return {};
  return {
    trade_no: order.tradeNo,
    out_trade_no: order.key,
    out_request_no: refund.outRequestNo,
    total_amount: formatYuan(order.amount),
    refund_amount: formatYuan(refund.amount),
    refund_status: 'REFUND_SUCCESS',
    ...(refund.reason === undefined ? {} : { refund_reason: refund.reason }),
    ...(options.includes('gmt_refund_pay') ? { gmt_refund_pay: formatBeijingTime(new Date(refund.at)) } : {}),
  };
}

/**
 * alipay.trade.query's answer (AlipayTradeQueryResponse fields): the buyer and the amounts paid appear once there is
 * a payment; send_pay_date is the payment time, Beijing time.
 */
function queryFields(order: SandboxOrder, trades: AlipayTrades): Record<string, unknown> {
  const status = trades.statusOf(order);
  // A trade closed by its refunds was still paid: the payment fields stay.
  const paid = order.paidAt !== undefined;
  const amount = formatYuan(order.amount);
  return {
    trade_no: order.tradeNo,
    out_trade_no: order.key,
    trade_status: status,
    total_amount: amount,
    buyer_pay_amount: paid ? amount : '0.00',
    receipt_amount: paid ? amount : '0.00',
    invoice_amount: paid ? amount : '0.00',
    point_amount: '0.00',
    ...(paid
      ? {
          buyer_logon_id: SANDBOX_BUYER.logonId,
          ...(order.details.buyer_id ? { buyer_user_id: order.details.buyer_id } : {}),
          ...(order.details.buyer_open_id ? { buyer_open_id: order.details.buyer_open_id } : {}),
          send_pay_date: formatBeijingTime(new Date(order.paidAt ?? order.createdAt)),
          fund_bill_list: [{ fund_channel: order.details.hb_fq_num ? 'PCREDIT' : 'ALIPAYACCOUNT', amount }],
        }
      : {}),
    subject: order.description,
  };
}
