// The Alipay adapter: our neutral pay / query / close / refund in Alipay OpenAPI 2.0 terms (channel-protocols.md §2),
// Alipay's answers mapped back with the three result layers kept apart, and its notifications read (notification.ts). It must work unchanged against the real
// gateway: real methods, fields, signatures and result codes; the sandbox is only a stand-in for it.

import { RULEBOOK, UNKNOWN } from '../../../shared/channels/index.ts';
import { RuleError } from '../../../shared/errors/index.ts';
import { assertMinorUnits, formatYuan, parseYuan } from '../../../shared/money/index.ts';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import type {
  AttemptRef,
  ChannelAdapter,
  CloseOutcome,
  PayOutcome,
  PayRequest,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  RefundRef,
  RefundRequest,
  RefundResult,
} from '../types.ts';
import { formatBeijingTime, parseBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { answerOf, isUnknown, mapTradeState, parseAlipayTime, textOf } from './answers.ts';
import { fetchAlipayBill } from './bill.ts';
import { alipayGateway, type AlipayGateway, type GatewayAnswer } from './gateway.ts';
import { parseAlipayNotification } from './notification.ts';

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

/** How long an Alipay face-to-face QR code can be scanned (§2.4: "QR valid 2 h"). */
const QR_VALIDITY_MS = (() => {
  const validity = RULEBOOK.alipay.expiry.actionValiditySeconds;
  return (validity === UNKNOWN ? 7200 : (validity.precreate ?? 7200)) * 1000;
})();

/**
 * Slack on "the time_expire we sent has passed": the expiry is judged on Alipay's clock, which may run behind ours.
 */
const CLOCK_SKEW_MS = 2 * 60_000;

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

  /**
   * alipay.trade.refund (§2.8). out_request_no is our refund number, the same on every retry: Alipay refunds at most
   * once per number and answers a repeat with fund_change=N. Only code 10000 with fund_change=Y proves the money
   * moved; 10000 with N (or without fund_change) proves nothing either way, so the refund query decides.
   */
  async function refund(request: RefundRequest): Promise<RefundOutcome> {
    if (request.currency !== 'CNY') throw new RuleError('unsupported_currency', `alipay refunds CNY only, not ${request.currency}`, 'currency');
    assertMinorUnits(request.amount, 'amount');
    if (request.amount === 0) throw new RuleError('invalid_amount', 'a refund needs an amount of at least 1 fen', 'amount');
    const biz: Record<string, unknown> = {
      ...refundTradeIds(request),
      refund_amount: formatYuan(request.amount),
      out_request_no: request.refundNo,
      // refund_reason is String(256) and only shown to the buyer: a longer one is cut rather than failing the refund.
      ...(request.reason ? { refund_reason: [...request.reason].slice(0, 256).join('') } : {}),
    };
    // No notify_url: Alipay notifies refunds on the payment's notify_url (§2.3), so request.notifyUrl has no use here.
    // A write is never retried blindly (DESIGN §7): a lost answer is unknown, and the next try sends the same number.
    const answer = await gateway.call('alipay.trade.refund', biz, { read: false });
    if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
    const result = answerOf(answer.response);
    if (result.code === '10000') {
      const fields = result.fields;
      if (!isAbout(fields, request)) return { kind: 'unknown', reason: 'the refund answer names another trade' };
      if (fields.fund_change === 'Y') {
        return {
          kind: 'accepted',
          refund: {
            state: 'succeeded',
            channelState: 'fund_change=Y',
            // The answer's refund_fee is the trade's refunded total ("指该笔交易累计已经退款成功的金额"), not this
            // refund's: what moved now is what we asked for.
            amount: request.amount,
            succeededAt: parseAlipayTime(fields.gmt_refund_pay),
          },
        };
      }
      const confirmed = await queryRefund({
        channelOrderNo: request.channelOrderNo,
        channelTradeNo: request.channelTradeNo,
        refundNo: request.refundNo,
        paymentCreatedAt: request.paymentCreatedAt,
        requestedAt: now(),
      });
      if (confirmed.layer !== 'trade') return { kind: 'unknown', reason: `fund_change=${textOf(fields.fund_change) ?? '(none)'} and the refund query did not answer` };
      const { state } = confirmed.refund;
      if (state === 'succeeded' || state === 'processing') return { kind: 'accepted', refund: confirmed.refund };
      if (state === 'failed') return { kind: 'failed', code: confirmed.refund.channelState, message: 'Alipay reports the refund failed' };
      return { kind: 'unknown', reason: `fund_change=${textOf(fields.fund_change) ?? '(none)'} and the refund query finds no refund ${request.refundNo} yet` };
    }
    if (isUnknown(result)) return { kind: 'unknown', reason: `${result.subCode ?? result.code}: ${result.message}` };
    // "不一致的请求，检查该退款号是否已退过款": this number already carries a refund with other terms. That one may well
    // have moved money, so this is not a failure of the refund number: the query says what happened under it.
    if (result.subCode === 'ACQ.DISCORDANT_REPEAT_REQUEST') return { kind: 'unknown', reason: `${result.subCode}: ${result.message}` };
    // 40004 ACQ.* (REASON_TRADE_REFUND_FEE_ERR, SELLER_BALANCE_NOT_ENOUGH, TRADE_NOT_ALLOW_REFUND, …) and gateway
    // refusals (40001/40002): nothing was refunded, for good.
    return { kind: 'failed', code: result.subCode ?? result.code, message: result.message };
  }

  /**
   * alipay.trade.fastpay.refund.query by out_request_no and the trade (§2.8). refund_status REFUND_SUCCESS is a done
   * refund; without refund_status Alipay has no refund under this number ("未返回该字段表示退款请求未收到或者退款失败"):
   * for the synchronous refunds we make, a refused refund leaves nothing behind either, so both read `not-found` and
   * the caller may safely ask again with the same number. REFUND_PROCESSING / REFUND_FAIL come only from Alipay's
   * asynchronous refund products.
   */
  async function queryRefund(ref: RefundRef): Promise<RefundQueryOutcome> {
    const biz = {
      ...refundTradeIds(ref),
      out_request_no: ref.refundNo,
      // gmt_refund_pay is "默认不返回该信息，需要在入参的query_options中指定" (refund query docs).
      query_options: ['gmt_refund_pay'],
    };
    const answer = await gateway.call('alipay.trade.fastpay.refund.query', biz, { read: true });
    if (answer.kind !== 'answer') return { layer: 'communication', ok: false, reason: answer.reason };
    const result = answerOf(answer.response);
    if (result.code !== '10000') {
      if (result.subCode === 'ACQ.TRADE_NOT_EXIST') {
        return { layer: 'trade', ok: true, refund: { state: 'not-found', channelState: 'TRADE_NOT_EXIST' } };
      }
      return { layer: 'business', ok: false, code: result.subCode ?? result.code, message: result.message, unknown: isUnknown(result) };
    }
    const fields = result.fields;
    const unexpected = (message: string): RefundQueryOutcome => ({ layer: 'business', ok: false, code: 'UNEXPECTED_ANSWER', message, unknown: true });
    // An answer naming another refund or trade is no answer about ours (Alipay may leave the names out when it
    // found nothing, so only names that are there are checked).
    if ((fields.out_request_no !== undefined && fields.out_request_no !== ref.refundNo) || !isAbout(fields, ref)) {
      return unexpected('the answer names another refund or trade');
    }
    const status = textOf(fields.refund_status);
    if (status === undefined) return { layer: 'trade', ok: true, refund: { state: 'not-found', channelState: '' } };
    const state = Object.hasOwn(REFUND_STATES, status) ? REFUND_STATES[status] : undefined;
    if (state === undefined) return unexpected(`refund_status ${status} is not one Alipay documents`);
    let amount: number | undefined;
    try {
      amount = fields.refund_amount === undefined ? undefined : parseYuan(fields.refund_amount, 'refund_amount');
    } catch {
      return unexpected('refund_amount is not an exact yuan amount');
    }
    const refundResult: RefundResult = {
      state,
      channelState: status,
      // Alipay gives a refund no number of its own: trade_no with our out_request_no is how it names one.
      amount,
      succeededAt: state === 'succeeded' ? parseAlipayTime(fields.gmt_refund_pay) : undefined,
    };
    return { layer: 'trade', ok: true, refund: refundResult };
  }

  return {
    id: 'alipay',
    pay,
    query,
    close,
    parseNotification: (input) => parseAlipayNotification(credentials, input),
    refund,
    queryRefund,
    bill: (day) => fetchAlipayBill(gateway, http, now, day),
  };
}

/** refund_status values of alipay.trade.fastpay.refund.query (§2.8). */
const REFUND_STATES: Readonly<Record<string, RefundResult['state']>> = {
  REFUND_SUCCESS: 'succeeded',
  REFUND_PROCESSING: 'processing',
  REFUND_FAIL: 'failed',
};

/** RULEBOOK.alipay.refund.idPriority: trade_no when known, else out_trade_no (Alipay reads trade_no first anyway). */
function refundTradeIds(ref: { readonly channelOrderNo: string; readonly channelTradeNo?: string | undefined }): Record<string, string> {
  return ref.channelTradeNo ? { trade_no: ref.channelTradeNo } : { out_trade_no: ref.channelOrderNo };
}

/** Whether the trade numbers an answer gives (if any) are this payment's. */
function isAbout(fields: Readonly<Record<string, unknown>>, ref: { readonly channelOrderNo: string; readonly channelTradeNo?: string | undefined }): boolean {
  if (fields.out_trade_no !== undefined && fields.out_trade_no !== ref.channelOrderNo) return false;
  return !(ref.channelTradeNo && fields.trade_no !== undefined && fields.trade_no !== ref.channelTradeNo);
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
