// The Alipay adapter: our neutral pay / query / close in Alipay OpenAPI 2.0 terms (channel-protocols.md §2), and
// Alipay's answers mapped back with the three result layers kept apart. It must work unchanged against the real
// gateway: real methods, fields, signatures and result codes; the sandbox is only a stand-in for it.

import { RULEBOOK, UNKNOWN } from '../../../shared/channels/index.ts';
import { RuleError } from '../../../shared/errors/index.ts';
import { formatYuan, parseYuan } from '../../../shared/money/index.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type { AttemptRef, ChannelAdapter, CloseOutcome, PayOutcome, PayRequest, QueryOutcome, TradeState } from '../types.ts';
import { formatBeijingTime, parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { alipayGateway, type AlipayGateway, type GatewayAnswer } from './gateway.ts';

/** The rulebook's products (shared/channels) and the Alipay method and product_code behind each (§2.4). */
const PRODUCTS = {
  page: { method: 'alipay.trade.page.pay', productCode: 'FAST_INSTANT_TRADE_PAY' },
  wap: { method: 'alipay.trade.wap.pay', productCode: 'QUICK_WAP_WAY' },
  app: { method: 'alipay.trade.app.pay', productCode: 'QUICK_MSECURITY_PAY' },
  precreate: { method: 'alipay.trade.precreate', productCode: undefined },
  inapp: { method: 'alipay.trade.create', productCode: 'JSAPI_PAY' },
} as const;
type ProductId = keyof typeof PRODUCTS;

/**
 * Products whose order reaches Alipay only when the customer opens what we signed (the page/WAP URL, the APP order
 * string). Until then Alipay has never heard of it, and the signed request stays usable until its time_expire.
 */
const OPENED_BY_CUSTOMER: ReadonlySet<string> = new Set<ProductId>(['page', 'wap', 'app']);

/**
 * Credit channels refused when the merchant refuses credit, from Alipay's channel list that `disable_pay_channels`
 * takes (AlipayTradeCreateModel.java in alipay/alipay-sdk-java-all links it: docs.open.alipay.com/common/wifww7).
 * `credit_group` is "信用卡卡通、信用卡快捷、花呗、花呗分期"; the members are listed too so a product that does not
 * know the group still refuses each of them. Huabei is credit as well, as eligibility already treats it.
 */
const CREDIT_CHANNELS = 'credit_group,creditCard,creditCardExpress,creditCardCartoon,pcredit,pcreditpayInstallment';

/** Answers that leave the outcome open: the order may or may not exist (§2.5, RULEBOOK.alipay.query.unknownCodes). */
const UNKNOWN_CODES: ReadonlySet<string> = new Set([
  ...(RULEBOOK.alipay.query.unknownCodes === UNKNOWN ? [] : RULEBOOK.alipay.query.unknownCodes),
  // "系统异常错误下该笔交易可能成功也可能失败，请调用查询订单API" (Alipay's ACQ error table): unknown, not failed.
  'ACQ.SYSTEM_ERROR',
]);

/** How long an Alipay face-to-face QR code can be scanned (§2.4: "QR valid 2 h"). */
const QR_VALIDITY_MS = (() => {
  const validity = RULEBOOK.alipay.expiry.actionValiditySeconds;
  return (validity === UNKNOWN ? 7200 : (validity.precreate ?? 7200)) * 1000;
})();

/**
 * Slack on "the time_expire we sent has passed": the expiry is judged on Alipay's clock, which may run behind ours.
 */
const CLOCK_SKEW_MS = 2 * 60_000;

interface Answer {
  readonly code: string;
  readonly subCode: string | undefined;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

function answerOf(response: Readonly<Record<string, unknown>>): Answer {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const subCode = text(response.sub_code);
  return {
    code: text(response.code) ?? '',
    subCode,
    message: text(response.sub_msg) ?? text(response.msg) ?? 'no message',
    fields: response,
  };
}

/** A verified answer without a code says nothing either. */
const isUnknown = (answer: Answer): boolean =>
  answer.code === '' || UNKNOWN_CODES.has(answer.code) || (answer.subCode !== undefined && UNKNOWN_CODES.has(answer.subCode));

/** trade_status through RULEBOOK.alipay.query.tradeStates; a state it does not list is pending, never guessed. */
function mapTradeState(status: string): TradeState {
  const states = RULEBOOK.alipay.query.tradeStates;
  if (states === UNKNOWN) return 'pending';
  for (const state of ['succeeded', 'pending', 'closed', 'failed'] as const) {
    if (states[state].includes(status)) return state;
  }
  return states.otherwise;
}

export function alipayAdapter(credentials: AlipayCredentials, http: HttpOptions): ChannelAdapter {
  const gateway: AlipayGateway = alipayGateway(credentials, http);
  const now = http.now ?? (() => new Date());

  async function pay(request: PayRequest): Promise<PayOutcome> {
    const product = productOf(request.product);
    const { method } = PRODUCTS[product];
    const biz = bizContent(request, product);
    const extras = { notifyUrl: request.notifyUrl, returnUrl: request.returnUrl };
    switch (product) {
      case 'page':
      case 'wap':
        // No server call: the customer's browser takes the signed request to the gateway, which shows the cashier.
        return { kind: 'action', action: { kind: 'redirect', url: gateway.signedUrl(method, biz, extras) } };
      case 'app':
        // The order string goes to the App SDK in the merchant's app, which submits it to Alipay (§2.4).
        return { kind: 'action', action: { kind: 'app', channel: 'alipay', parameters: gateway.orderString(method, biz, { notifyUrl: request.notifyUrl }) } };
      case 'precreate': {
        const answer = await gateway.call(method, biz, { read: false, extras: { notifyUrl: request.notifyUrl } });
        return payOutcome(answer, request, (fields) => {
          const qrCode = fields.qr_code;
          if (typeof qrCode !== 'string' || qrCode === '') return undefined;
          const expiresAt = new Date(Math.min(request.expiresAt.getTime(), now().getTime() + QR_VALIDITY_MS));
          return { kind: 'action', action: { kind: 'qr', codeUrl: qrCode, expiresAt: expiresAt.toISOString() } };
        });
      }
      case 'inapp': {
        const answer = await gateway.call(method, biz, { read: false, extras: { notifyUrl: request.notifyUrl } });
        return payOutcome(answer, request, (fields) => {
          const tradeNo = fields.trade_no;
          if (typeof tradeNo !== 'string' || tradeNo === '') return undefined;
          // AlipayJSBridge.call('tradePay', { tradeNO }) in the Alipay client: "tradeNO", capital NO (my.tradePay docs).
          return { kind: 'action', action: { kind: 'jsapi', bridge: 'AlipayJSBridge', parameters: { tradeNO: tradeNo } }, channelTradeNo: tradeNo };
        });
      }
    }
  }

  function payOutcome(answer: GatewayAnswer, request: PayRequest, accept: (fields: Readonly<Record<string, unknown>>) => PayOutcome | undefined): PayOutcome {
    if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
    const result = answerOf(answer.response);
    if (result.code === '10000') {
      // An answer about another order is no answer about ours.
      if (result.fields.out_trade_no !== request.channelOrderNo) return { kind: 'unknown', reason: 'the answer names another out_trade_no' };
      return accept(result.fields) ?? { kind: 'unknown', reason: 'a success answer without what the customer needs next' };
    }
    if (isUnknown(result)) return { kind: 'unknown', reason: `${result.subCode ?? result.code}: ${result.message}` };
    // "Already paid" refuses the new order only because the money already came in: a query settles it as paid.
    if (result.subCode === 'ACQ.TRADE_HAS_SUCCESS') return { kind: 'unknown', reason: 'Alipay says this order is already paid' };
    return { kind: 'failed', code: result.subCode ?? result.code, message: result.message };
  }

  async function query(attempt: AttemptRef): Promise<QueryOutcome> {
    const answer = await gateway.call('alipay.trade.query', tradeIds(attempt), { read: true });
    if (answer.kind !== 'answer') return { layer: 'communication', ok: false, reason: answer.reason };
    const result = answerOf(answer.response);
    if (result.code !== '10000') {
      if (result.subCode === 'ACQ.TRADE_NOT_EXIST') {
        // Not an error: Alipay has no such trade. For page/WAP/APP and an unscanned QR that is also what an order
        // nobody opened yet looks like, so callers must not read it as a failure.
        return { layer: 'trade', ok: true, trade: { state: 'not-found', channelState: 'TRADE_NOT_EXIST' } };
      }
      return { layer: 'business', ok: false, code: result.subCode ?? result.code, message: result.message, unknown: isUnknown(result) };
    }
    const fields = result.fields;
    const status = typeof fields.trade_status === 'string' ? fields.trade_status : '';
    if (fields.out_trade_no !== attempt.channelOrderNo || status === '') {
      return { layer: 'business', ok: false, code: 'UNEXPECTED_ANSWER', message: 'a success answer without this order’s trade status', unknown: true };
    }
    let amount: number | undefined;
    try {
      amount = fields.total_amount === undefined ? undefined : parseYuan(fields.total_amount, 'total_amount');
    } catch {
      return { layer: 'business', ok: false, code: 'UNEXPECTED_ANSWER', message: 'total_amount is not an exact yuan amount', unknown: true };
    }
    return {
      layer: 'trade',
      ok: true,
      trade: {
        state: mapTradeState(status),
        channelState: status,
        channelTradeNo: typeof fields.trade_no === 'string' ? fields.trade_no : undefined,
        amount,
        currency: 'CNY',
        // send_pay_date is "本次交易打款给卖家的时间" in Beijing time; absent until paid.
        paidAt: parseBeijingTime(fields.send_pay_date),
      },
    };
  }

  async function close(attempt: AttemptRef): Promise<CloseOutcome> {
    const answer = await gateway.call('alipay.trade.close', tradeIds(attempt), { read: false });
    if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
    const result = answerOf(answer.response);
    if (result.code === '10000') return { kind: 'closed' };
    if (result.subCode === 'ACQ.TRADE_NOT_EXIST') return closeOfAbsentTrade(attempt);
    if (result.subCode === 'ACQ.TRADE_STATUS_ERROR' || result.subCode === 'ACQ.TRADE_HAS_SUCCESS') {
      // Closing a paid trade is refused with "交易状态不合法"; a trade already closed may answer the same. Only the
      // query says which, and only it may decide that the customer paid.
      const confirmed = await query(attempt);
      if (confirmed.layer === 'trade' && confirmed.trade.state === 'succeeded') return { kind: 'paid' };
      if (confirmed.layer === 'trade' && confirmed.trade.state === 'closed') return { kind: 'closed' };
      return { kind: 'unknown', reason: `close refused (${result.subCode}) and the query did not settle it` };
    }
    return { kind: 'unknown', reason: `${result.subCode ?? result.code}: ${result.message}` };
  }

  /**
   * Alipay has no trade for this out_trade_no. Closing is then safe when nothing can still create it:
   * - precreate / inapp were created by our own server call, so "not exist" means that call never took effect (a
   *   write is never retried) or, for a QR nobody scanned yet, that Alipay now refuses the code: a 3P report
   *   (V2EX, summarised on news.fishai.com.cn/news/4471614) saw a QR closed before its scan answer the later scan
   *   with "本笔交易已关闭".
   * - page / WAP / APP: the customer has not opened the signed URL or order string yet, but still could; Alipay would
   *   then create the trade. That stops only at the time_expire we sent (+ clock slack); until then the close stays
   *   unknown and the caller tries again later. Without the expiry at hand, the longest time_expire Alipay
   *   accepts (15 days, §2.6) bounds it.
   */
  function closeOfAbsentTrade(attempt: AttemptRef): CloseOutcome {
    if (!OPENED_BY_CUSTOMER.has(attempt.product)) return { kind: 'closed' };
    const maxSeconds = RULEBOOK.alipay.expiry.maxSeconds;
    const lastUsable = attempt.expiresAt ?? new Date(attempt.createdAt.getTime() + (maxSeconds === UNKNOWN ? 15 * 86_400 : maxSeconds) * 1000);
    if (now().getTime() >= lastUsable.getTime() + CLOCK_SKEW_MS) return { kind: 'closed' };
    return { kind: 'unknown', reason: `not opened yet; the signed ${attempt.product} request can still create the order until ${lastUsable.toISOString()}` };
  }

  return { id: 'alipay', pay, query, close };
}

function productOf(product: string): ProductId {
  if (!Object.hasOwn(PRODUCTS, product)) throw new RuleError('unsupported_product', `alipay has no product ${JSON.stringify(product)}`, 'product');
  return product as ProductId;
}

/** trade_no wins when both are given (alipay.trade.query/close: "如果同时存在优先取trade_no"); we know out_trade_no always. */
function tradeIds(attempt: AttemptRef): Record<string, string> {
  return { out_trade_no: attempt.channelOrderNo, ...(attempt.channelTradeNo ? { trade_no: attempt.channelTradeNo } : {}) };
}

/** The business parameters (biz_content) of a pay request, checked against Alipay's rules before anything is signed. */
function bizContent(request: PayRequest, product: ProductId): Record<string, unknown> {
  if (request.currency !== 'CNY') throw new RuleError('unsupported_currency', `alipay takes CNY only, not ${request.currency}`, 'currency');
  const { productCode } = PRODUCTS[product];
  const biz: Record<string, unknown> = {
    out_trade_no: request.channelOrderNo,
    // Yuan with exactly two decimals, from integer fen without floating point (§2.6, shared/money).
    total_amount: formatYuan(request.amount),
    subject: request.description,
    ...(productCode ? { product_code: productCode } : {}),
    // Absolute expiry, Beijing time (§2.6); wins over timeout_express, whose 15-day default we never rely on.
    time_expire: formatBeijingTime(request.expiresAt),
  };
  // Echoed "原样" in the notification; Alipay asks merchants to URL-encode it first (§2.6), so it comes back encoded.
  if (request.attach) biz.passback_params = encodeURIComponent(request.attach);
  if (request.installment) {
    const { provider, periods, feeBearer } = request.installment;
    if (provider !== 'huabei' || ![3, 6, 12].includes(periods)) {
      throw new RuleError('invalid_installment', `alipay offers Huabei in 3, 6 or 12 periods, not ${provider} ${periods}`, 'installment');
    }
    if (!request.creditCardsAllowed) {
      // Eligibility never offers Huabei to a merchant who refuses credit; a request that does is a bug upstream.
      throw new RuleError('credit_refused', 'Huabei installments are credit, and this order refuses credit', 'installment');
    }
    // hb_fq_seller_percent: 0 = the buyer pays the fee, 100 = the merchant does; no other value is accepted (§2.7).
    biz.extend_params = { hb_fq_num: String(periods), hb_fq_seller_percent: feeBearer === 'merchant' ? '100' : '0' };
  }
  if (!request.creditCardsAllowed) biz.disable_pay_channels = CREDIT_CHANNELS;
  if (product === 'inapp') Object.assign(biz, buyerOf(request));
  return biz;
}

/**
 * alipay.trade.create names its buyer: buyer_id (2088…, 16 digits) or buyer_open_id, "二选一"
 * (AlipayTradeCreateModel.java; my.tradePay docs: buyer_id "必填" for mini programs), which the merchant learns
 * through Alipay's web authorization (alipay.system.oauth.token). Our flow takes it as `payer.openid` when the BFF
 * has it; without one the request goes without a buyer, which the sandbox accepts and real Alipay may refuse
 * (a `failed` outcome, never a wrong payment). op_app_id is for mini-program pay only; a web page in the Alipay
 * client (AlipayJSBridge tradePay) does not send it.
 */
function buyerOf(request: PayRequest): Record<string, string> {
  const id = request.payer?.openid;
  if (!id) return {};
  return /^2088\d{12}$/.test(id) ? { buyer_id: id } : { buyer_open_id: id };
}
