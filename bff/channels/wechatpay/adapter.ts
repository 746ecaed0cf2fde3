// The WeChat Pay API v3 adapter: prepay per product, query by out_trade_no, close, refund and refund query, the daily
// trade bill (bill.ts), signed as WeChat requires and with every answer's signature checked before a byte of it is
// believed, and the notifications WeChat POSTs read only once verified and decrypted (channel-protocols.md §1.1–1.9).
// It talks to whatever `credentials.gateway` names: https://api.mch.weixin.qq.com in production, the sandbox in tests.

import ky, { isTimeoutError, type AfterResponseHook, type KyInstance } from 'ky';
import { RULEBOOK } from '../../../shared/channels/index.ts';
import { fromChannelAmount, isCurrency, toChannelAmount } from '../../../shared/money/index.ts';
import type { PayAction } from '../../../shared/schemas/index.ts';
import type { OperatingSystem } from '../../../shared/terminal/index.ts';
import type { WechatpayCredentials } from '../../keys/index.ts';
import { unixSeconds } from '../crypto-util.ts';
import type { HttpOptions } from '../index.ts';
import type {
  Ack,
  AttemptRef,
  ChannelAdapter,
  CloseOutcome,
  NotificationInput,
  NotificationResult,
  PayOutcome,
  PayRequest,
  RefundOutcome,
  RefundQueryOutcome,
  RefundRef,
  RefundRequest,
  RefundResult,
  TradeResult,
  TradeState,
} from '../types.ts';
import { fetchTradeBill } from './bill.ts';
import { aeadDecrypt, appPayParameters, authorization, jsapiPayParameters, verifyResponse, type VerifyResponseResult } from './crypto.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';

const RULES = RULEBOOK.wechatpay;

/** Codes after which WeChat may or may not have acted: the attempt stays unknown until a query says (DESIGN §6). */
const UNKNOWN_CODES: readonly string[] = [...(RULES.query.unknownCodes === 'unknown' ? ['SYSTEM_ERROR'] : RULES.query.unknownCodes)];

/** The mini-program page of ours that calls wx.requestPayment with the parameters below. */
export const MINIPROGRAM_PAY_PATH = '/pages/cashier/pay';

/** h5_info.type takes iOS, Android or Wap (§1.6); any other system, HarmonyOS included, is a mobile web page. */
export function h5Type(os: OperatingSystem | undefined): 'iOS' | 'Android' | 'Wap' {
  if (os === 'ios') return 'iOS';
  if (os === 'android') return 'Android';
  return 'Wap';
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

/** One exchange with WeChat, reduced to what the three result layers need. */
type Exchange =
  /** No answer at all: timeout, refused connection, reset. */
  | { readonly kind: 'transport'; readonly reason: string }
  /** An answer whose signature does not check: it may not come from WeChat, so it says nothing. */
  | { readonly kind: 'unverified'; readonly reason: string }
  | { readonly kind: 'answer'; readonly status: number; readonly json: unknown; readonly requestId: string };

interface WechatError {
  readonly code: string;
  readonly message: string;
  /** Whether WeChat may still have acted (5xx, SYSTEM_ERROR, rate limiting): then nothing is final. */
  readonly unknown: boolean;
}

/** For our logs and WeChat's support, who ask for the Request-ID; never shown to the customer. */
function traced(error: WechatError, requestId: string): string {
  return `${error.code}: ${error.message}${requestId ? ` (Request-ID ${requestId})` : ''}`;
}

function errorOf(status: number, json: unknown): WechatError {
  const code = isRecord(json) && typeof json.code === 'string' ? json.code : `HTTP_${status}`;
  const message = isRecord(json) && typeof json.message === 'string' ? json.message : `HTTP ${status}`;
  // 429 FREQUENCY_LIMITED can come from a re-entrant call while the customer is paying (WeChat's own explanation
  // in its community), so it does not prove the call was not taken. Anything not 4xx is not a refusal either.
  const unknown = status >= 500 || status === 429 || status < 400 || UNKNOWN_CODES.includes(code);
  return { code, message, unknown };
}

interface Client {
  exchange(method: 'GET' | 'POST', path: string, body?: string): Promise<Exchange>;
}

function client(credentials: WechatpayCredentials, http: HttpOptions): Client {
  const now = () => http.now?.() ?? new Date();
  const base = credentials.gateway.replace(/\/+$/, '');
  const api: KyInstance = ky.create({
    timeout: http.timeoutMs,
    // Statuses are WeChat's answers, mapped below; only transport failures throw.
    throwHttpErrors: false,
    retry: { limit: 0 },
    // WeChat's API pages list `Accept: application/json` as required; the User-Agent names us in its logs.
    headers: { Accept: 'application/json', 'User-Agent': 'unified-cashier (wechatpay-apiv3)' },
    ...(http.fetch ? { fetch: http.fetch } : {}),
  });
  const readRetries = Math.max(0, http.readRetries);
  // With throwHttpErrors off ky would not retry a 5xx; a read asks again on one while it has retries left.
  const retryServerErrors: AfterResponseHook = (_request, _options, response, state) =>
    response.status >= 500 && state.retryCount < readRetries ? ky.retry() : undefined;

  return {
    async exchange(method, path, body) {
      const url = `${base}${path}`;
      const sent = new URL(url);
      // Signed exactly as sent: path plus query, no scheme or host (§1.1); a fresh nonce and timestamp per try.
      const sign = () =>
        authorization({
          mchid: credentials.mchid,
          serialNo: credentials.merchantSerialNo,
          privateKey: credentials.merchantPrivateKey,
          method,
          url: `${sent.pathname}${sent.search}`,
          body: body ?? '',
          timestamp: unixSeconds(now().getTime()),
        });
      let response: Response;
      let text: string;
      try {
        response = await api(url, {
          method,
          headers: { Authorization: sign(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          ...(body === undefined ? {} : { body }),
          // Only reads repeat; a prepay or close that timed out may have been taken, so it is never re-sent blindly.
          ...(method === 'GET'
            ? {
                retry: { limit: readRetries, methods: ['get'], retryOnTimeout: true },
                hooks: {
                  beforeRetry: [({ request }) => void request.headers.set('Authorization', sign())],
                  afterResponse: [retryServerErrors],
                },
              }
            : {}),
        });
        text = await response.text();
      } catch (error) {
        return { kind: 'transport', reason: isTimeoutError(error) ? `no answer within ${http.timeoutMs} ms` : `network error: ${(error as Error).message}` };
      }
      const verdict = verifyResponse(
        {
          timestamp: response.headers.get('Wechatpay-Timestamp') ?? undefined,
          nonce: response.headers.get('Wechatpay-Nonce') ?? undefined,
          signature: response.headers.get('Wechatpay-Signature') ?? undefined,
          serial: response.headers.get('Wechatpay-Serial') ?? undefined,
          body: text,
        },
        credentials.platformPublicKeys,
        Number(unixSeconds(now().getTime())),
      );
      if (!verdict.ok) return { kind: 'unverified', reason: `HTTP ${response.status} answer not verifiable (${verdict.reason})` };
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { kind: 'answer', status: response.status, json, requestId: response.headers.get('Request-ID') ?? '' };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pay

type Plan =
  | { readonly ok: true; readonly endpoint: 'native' | 'h5' | 'jsapi' | 'app'; readonly appid: string; readonly extra: Record<string, unknown> }
  | { readonly ok: false; readonly outcome: PayOutcome };

const refuse = (code: string, message: string): Plan => ({ ok: false, outcome: { kind: 'failed', code, message } });

/** Which endpoint and appid a product uses, and its product-specific fields (§1.6); what we lack fails here. */
function plan(credentials: WechatpayCredentials, request: PayRequest): Plan {
  const openid = request.payer?.openid;
  switch (request.product) {
    case 'native':
      return { ok: true, endpoint: 'native', appid: credentials.appid, extra: {} };
    case 'h5': {
      const ip = request.payer?.ip;
      if (!ip) return refuse('payer_ip_required', 'H5 pay needs the payer’s IP address (scene_info.payer_client_ip)');
      return {
        ok: true,
        endpoint: 'h5',
        appid: credentials.appid,
        extra: { scene_info: { payer_client_ip: ip, h5_info: { type: h5Type(request.payer?.os) } } },
      };
    }
    case 'jsapi':
      if (!openid) return refuse('openid_required', 'JSAPI pay needs the payer’s openid under the official account');
      return { ok: true, endpoint: 'jsapi', appid: credentials.appid, extra: { payer: { openid } } };
    case 'miniprogram':
      if (!credentials.miniProgramAppid) return refuse('appid_not_configured', 'no mini-program appid is configured for WeChat Pay');
      if (!openid) return refuse('openid_required', 'mini-program pay needs the payer’s openid under the mini-program');
      // Mini-program pay is the JSAPI endpoint with the mini-program's appid (§1.6).
      return { ok: true, endpoint: 'jsapi', appid: credentials.miniProgramAppid, extra: { payer: { openid } } };
    case 'app':
      if (!credentials.appAppid) return refuse('appid_not_configured', 'no mobile app appid is configured for WeChat Pay');
      return { ok: true, endpoint: 'app', appid: credentials.appAppid, extra: {} };
    default:
      return refuse('unsupported_product', `WeChat Pay has no product ${JSON.stringify(request.product)}`);
  }
}

function actionOf(
  credentials: WechatpayCredentials,
  request: PayRequest,
  appid: string,
  json: unknown,
  now: Date,
): PayAction | undefined {
  if (!isRecord(json)) return undefined;
  const timeStamp = unixSeconds(now.getTime());
  const prepayId = typeof json.prepay_id === 'string' && json.prepay_id !== '' ? json.prepay_id : undefined;
  switch (request.product) {
    case 'native':
      return typeof json.code_url === 'string' && json.code_url !== ''
        ? { kind: 'qr', codeUrl: json.code_url, expiresAt: request.expiresAt.toISOString() }
        : undefined;
    case 'h5': {
      if (typeof json.h5_url !== 'string' || !URL.canParse(json.h5_url)) return undefined;
      // WeChat sends the customer back to redirect_url after paying or cancelling (§1.6).
      const url = request.returnUrl ? `${json.h5_url}&redirect_url=${encodeURIComponent(request.returnUrl)}` : json.h5_url;
      return { kind: 'redirect', url };
    }
    case 'jsapi':
      if (!prepayId) return undefined;
      return {
        kind: 'jsapi',
        bridge: 'WeixinJSBridge',
        parameters: { ...jsapiPayParameters({ appId: appid, prepayId, privateKey: credentials.merchantPrivateKey, timeStamp }) },
      };
    case 'miniprogram': {
      if (!prepayId) return undefined;
      // wx.requestPayment takes no appId, but the mini-program's appid is line 1 of what paySign signs (§1.6).
      const { appId: _signed, ...parameters } = jsapiPayParameters({ appId: appid, prepayId, privateKey: credentials.merchantPrivateKey, timeStamp });
      return { kind: 'miniprogram', path: MINIPROGRAM_PAY_PATH, parameters };
    }
    case 'app':
      if (!prepayId) return undefined;
      return {
        kind: 'app',
        channel: 'wechatpay',
        parameters: { ...appPayParameters({ appId: appid, mchid: credentials.mchid, prepayId, privateKey: credentials.merchantPrivateKey, timeStamp }) },
      };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Query

const TRADE_STATES = RULES.query.tradeStates;

/** The rulebook's table (§1.7); a state it does not list is pending, never guessed final. */
function tradeStateOf(channelState: string): TradeState {
  if (TRADE_STATES === 'unknown') return 'pending';
  for (const state of ['succeeded', 'pending', 'closed', 'failed'] as const) {
    if (TRADE_STATES[state].includes(channelState)) return state;
  }
  return TRADE_STATES.otherwise;
}

function tradeOf(credentials: WechatpayCredentials, attempt: AttemptRef, json: unknown): TradeResult | string {
  if (!isRecord(json) || typeof json.trade_state !== 'string' || json.trade_state === '') return 'answer without trade_state';
  // An answer about another order or merchant is not an answer about this one.
  if (json.out_trade_no !== attempt.channelOrderNo) return 'answer about another out_trade_no';
  if (json.mchid !== undefined && json.mchid !== credentials.mchid) return 'answer about another mchid';
  return transactionOf(json);
}

/** A transaction object (query answer or TRANSACTION.* resource, §1.4) as a TradeResult, or what is wrong with it. */
function transactionOf(json: Record<string, unknown>): TradeResult | string {
  if (typeof json.trade_state !== 'string' || json.trade_state === '') return 'transaction without trade_state';
  const state = tradeStateOf(json.trade_state);
  const amount = isRecord(json.amount) ? json.amount : {};
  let total: number | undefined;
  if (amount.total !== undefined) {
    try {
      total = fromChannelAmount(amount.total, 'fen', 'CNY', 'amount.total');
    } catch {
      return 'answer with an invalid amount.total';
    }
  }
  // A success is only worth something with its amount, which the caller cross-checks (DESIGN §8).
  if (state === 'succeeded' && total === undefined) return 'success answer without amount.total';
  const currency = isCurrency(amount.currency) ? amount.currency : undefined;
  const paidAt = parseTime(json.success_time);
  const channelTradeNo = typeof json.transaction_id === 'string' && json.transaction_id !== '' ? json.transaction_id : undefined;
  return { state, channelState: json.trade_state, channelTradeNo, amount: total, currency, paidAt };
}

// ---------------------------------------------------------------------------------------------------------
// Refunds (§1.8)

/**
 * `status` of refund answers and queries, `refund_status` of REFUND.* resources. ABNORMAL means the money left the
 * merchant but could not be credited to the buyer (a closed card or account) and waits for the merchant to redirect
 * it (apply-abnormal-refund, §1.8), after which WeChat reports SUCCESS. It is therefore not a failure: a failed
 * refund gives its amount back to the order, which would let the same money be refunded twice. It stays
 * `processing` (channelState ABNORMAL), queried until WeChat settles it. CLOSED is final. A status we do not know
 * stays processing: nothing final is guessed.
 */
const REFUND_STATES: ReadonlyMap<string, RefundResult['state']> = new Map([
  ['SUCCESS', 'succeeded'],
  ['PROCESSING', 'processing'],
  ['ABNORMAL', 'processing'],
  ['CLOSED', 'failed'],
]);

/** A refund object (answer, query, or notification resource with `refund_status`) as a RefundResult, or what is wrong. */
function refundOf(json: Record<string, unknown>, statusField: 'status' | 'refund_status'): RefundResult | string {
  const status = json[statusField];
  if (typeof status !== 'string' || status === '') return `refund without ${statusField}`;
  const amount = isRecord(json.amount) ? json.amount : {};
  let refunded: number;
  try {
    refunded = fromChannelAmount(amount.refund, 'fen', 'CNY', 'amount.refund');
  } catch {
    // The amount is what the caller cross-checks against its own refund; an answer without it settles nothing.
    return 'refund without a valid amount.refund';
  }
  const state = REFUND_STATES.get(status) ?? 'processing';
  // funds_account: the merchant's account the refund was paid from (answers and queries only); user_received_account:
  // where the buyer gets it back (e.g. 支付用户零钱), in answers, queries and notifications alike (§1.8).
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    state,
    channelState: status,
    channelRefundNo: typeof json.refund_id === 'string' && json.refund_id !== '' ? json.refund_id : undefined,
    amount: refunded,
    succeededAt: state === 'succeeded' ? parseTime(json.success_time) : undefined,
    fundsAccount: text(json.funds_account),
    receivedAccount: text(json.user_received_account),
  };
}

/** reason is string(80) at WeChat (§1.8): cut to 80 characters rather than have the refund refused for its note. */
function refundReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const cut = [...reason.trim()].slice(0, 80).join('');
  return cut === '' ? undefined : cut;
}

// ---------------------------------------------------------------------------------------------------------
// Notifications (§1.2, §1.4, §1.5)

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Received: 200 with `{"code":"SUCCESS","message":"成功"}`. §1.5 takes 200 or 204 as received and ignores the body;
 * this is the form both the older pages (which show this body) and the newer ones (body optional) accept. Not 204: an
 * Ack is handed to `new Response(body, { status })` (Hono's c.body), which throws for a 204 with a body, even ''.
 */
const RECEIVED: Ack = { status: 200, body: JSON.stringify({ code: 'SUCCESS', message: '成功' }), contentType: JSON_TYPE };

type Rejection = Extract<NotificationResult, { ok: false }>['reason'];

function failed(status: number, message: string): Ack {
  return { status, body: JSON.stringify({ code: 'FAIL', message }), contentType: JSON_TYPE };
}

/**
 * Refusals WeChat retries on its ladder (§1.5: any 4xx/5xx). 401 for what fails authentication (a probe must fail
 * like any bad signature, §1.2), 400 for what we cannot read or is not ours, 500 for a resource we cannot decrypt:
 * the signature was WeChat's, so the APIv3 key configured here is wrong and a retry after the fix will pass. The
 * messages are fixed: nothing about keys or contents goes back on the wire.
 */
const REFUSED: Readonly<Record<Rejection, Ack>> = {
  malformed: failed(400, '通知格式错误'),
  'bad-signature': failed(401, '验签失败'),
  'signtest-probe': failed(401, '验签失败'),
  'unknown-key': failed(401, '验签失败：未知的 Wechatpay-Serial'),
  stale: failed(401, '验签失败：时间戳超出允许范围'),
  'decrypt-failed': failed(500, '解密失败'),
  'wrong-merchant': failed(400, '商户号不匹配'),
};

const VERIFY_REASONS: Readonly<Record<Exclude<VerifyResponseResult, { ok: true }>['reason'], Rejection>> = {
  malformed: 'malformed',
  'signtest-probe': 'signtest-probe',
  'unknown-serial': 'unknown-key',
  'stale-timestamp': 'stale',
  'bad-signature': 'bad-signature',
};

const PAYMENT_EVENTS: readonly string[] = ['TRANSACTION.SUCCESS'];
/** Event type → the refund_status it announces (§1.4). A Map: an event type is text from outside. */
const REFUND_EVENTS: ReadonlyMap<string, string> = new Map([
  ['REFUND.SUCCESS', 'SUCCESS'],
  ['REFUND.ABNORMAL', 'ABNORMAL'],
  ['REFUND.CLOSED', 'CLOSED'],
]);

function parseNotification(credentials: WechatpayCredentials, input: NotificationInput): NotificationResult {
  let eventId: string | undefined;
  const reject = (reason: Rejection, detail: string): NotificationResult => ({ ok: false, reason, detail, eventId, ack: REFUSED[reason] });

  // The id is read before anything is trusted, for the log line only; nothing acts on a rejected one.
  let envelope: unknown;
  try {
    envelope = JSON.parse(input.body);
  } catch {
    envelope = undefined;
  }
  if (isRecord(envelope) && typeof envelope.id === 'string' && envelope.id !== '') eventId = envelope.id;

  // 1. Signature over the raw bytes, by the key Wechatpay-Serial names, within ±5 min of now (§1.2–1.3).
  const verdict = verifyResponse(
    {
      timestamp: input.headers['wechatpay-timestamp'],
      nonce: input.headers['wechatpay-nonce'],
      signature: input.headers['wechatpay-signature'],
      serial: input.headers['wechatpay-serial'],
      body: input.body,
    },
    credentials.platformPublicKeys,
    Math.floor(input.now.getTime() / 1000),
  );
  if (!verdict.ok) {
    const serial = input.headers['wechatpay-serial'] ?? '';
    return reject(VERIFY_REASONS[verdict.reason], verdict.reason === 'unknown-serial' ? `no WeChat Pay key for serial ${serial}` : `signature check: ${verdict.reason}`);
  }

  // 2. The envelope (§1.4). Authentic from here on, but still read field by field.
  if (!isRecord(envelope) || eventId === undefined) return reject('malformed', 'body is not a notification with an id');
  const eventType = envelope.event_type;
  const resource = envelope.resource;
  if (typeof eventType !== 'string' || !isRecord(resource)) return reject('malformed', 'notification without event_type or resource');
  const { algorithm, ciphertext, nonce } = resource;
  const associatedData = resource.associated_data ?? '';
  if (algorithm !== 'AEAD_AES_256_GCM' || typeof ciphertext !== 'string' || typeof nonce !== 'string' || typeof associatedData !== 'string') {
    return reject('malformed', `resource not AEAD_AES_256_GCM with ciphertext and nonce (${String(algorithm)})`);
  }

  // 3. Decrypted with the APIv3 key; the tag is checked, so a changed ciphertext or AAD fails here (§1.4).
  let plaintext: string;
  try {
    plaintext = aeadDecrypt({ key: credentials.apiV3Key, nonce, associatedData, ciphertext });
  } catch {
    return reject('decrypt-failed', 'resource did not decrypt with the configured APIv3 key');
  }
  let data: unknown;
  try {
    data = JSON.parse(plaintext);
  } catch {
    data = undefined;
  }
  if (!isRecord(data)) return reject('malformed', 'decrypted resource is not a JSON object');

  // 4. Ours: a notification for another merchant (a shared notify URL, a misrouted key) changes nothing here.
  if (data.mchid !== undefined && data.mchid !== credentials.mchid) return reject('wrong-merchant', `resource is for mchid ${String(data.mchid)}`);
  const appids = [credentials.appid, credentials.miniProgramAppid, credentials.appAppid];
  if (data.appid !== undefined && !appids.includes(String(data.appid))) return reject('wrong-merchant', `resource is for appid ${String(data.appid)}`);

  const ok = (subject: Extract<NotificationResult, { ok: true }>['subject']): NotificationResult => ({ ok: true, eventId: eventId ?? '', subject, ack: RECEIVED });

  if (PAYMENT_EVENTS.includes(eventType)) {
    if (data.mchid === undefined) return reject('wrong-merchant', 'transaction without mchid');
    if (typeof data.out_trade_no !== 'string' || data.out_trade_no === '') return reject('malformed', 'transaction without out_trade_no');
    const trade = transactionOf(data);
    if (typeof trade === 'string') return reject('malformed', trade);
    return ok({ kind: 'payment', channelOrderNo: data.out_trade_no, trade });
  }

  const eventStatus = REFUND_EVENTS.get(eventType);
  if (eventStatus !== undefined) {
    if (data.mchid === undefined) return reject('wrong-merchant', 'refund without mchid');
    if (typeof data.out_trade_no !== 'string' || data.out_trade_no === '') return reject('malformed', 'refund without out_trade_no');
    if (typeof data.out_refund_no !== 'string' || data.out_refund_no === '') return reject('malformed', 'refund without out_refund_no');
    // The resource's refund_status is the fact; an event type that contradicts it is not something to act on.
    const withStatus = data.refund_status === undefined ? { ...data, refund_status: eventStatus } : data;
    if (withStatus.refund_status !== eventStatus) return reject('malformed', `${eventType} with refund_status ${String(data.refund_status)}`);
    // user_received_account (where the money went, e.g. 支付用户零钱) is all the notification says about accounts.
    const refund = refundOf(withStatus, 'refund_status');
    if (typeof refund === 'string') return reject('malformed', refund);
    return ok({ kind: 'refund', channelOrderNo: data.out_trade_no, refundNo: data.out_refund_no, refund });
  }

  // Authentic and ours, but nothing the cashier acts on (e.g. a profit-sharing event on the same URL): acknowledged.
  return ok({ kind: 'ignored', reason: `event type ${eventType}` });
}

// ---------------------------------------------------------------------------------------------------------

export function wechatpayAdapter(credentials: WechatpayCredentials, http: HttpOptions): ChannelAdapter {
  const wechat = client(credentials, http);
  const now = () => http.now?.() ?? new Date();
  const mchidQuery = `mchid=${encodeURIComponent(credentials.mchid)}`;
  const orderPath = (no: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(no)}`;
  const refundPath = (no: string) => `/v3/refund/domestic/refunds/${encodeURIComponent(no)}`;

  return {
    id: 'wechatpay',

    async pay(request) {
      if (request.currency !== 'CNY') return { kind: 'failed', code: 'unsupported_currency', message: 'WeChat Pay takes CNY only' };
      const chosen = plan(credentials, request);
      if (!chosen.ok) return chosen.outcome;
      const body = JSON.stringify({
        appid: chosen.appid,
        mchid: credentials.mchid,
        description: request.description,
        out_trade_no: request.channelOrderNo,
        time_expire: formatBeijingRfc3339(request.expiresAt),
        ...(request.attach === undefined ? {} : { attach: request.attach }),
        notify_url: request.notifyUrl,
        amount: { total: toChannelAmount(request.amount, 'fen', 'CNY'), currency: 'CNY' },
        ...chosen.extra,
      });
      const answer = await wechat.exchange('POST', `/v3/pay/transactions/${chosen.endpoint}`, body);
      if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
      if (answer.status === 200) {
        const action = actionOf(credentials, request, chosen.appid, answer.json, now());
        return action ? { kind: 'action', action } : { kind: 'unknown', reason: 'HTTP 200 answer without the expected field' };
      }
      const error = errorOf(answer.status, answer.json);
      return error.unknown ? { kind: 'unknown', reason: traced(error, answer.requestId) } : { kind: 'failed', code: error.code, message: error.message };
    },

    // Always by out_trade_no: WeChat finds unpaid orders by it only, and it is ours from the start (§1.6).
    async query(attempt) {
      const answer = await wechat.exchange('GET', `${orderPath(attempt.channelOrderNo)}?${mchidQuery}`);
      if (answer.kind !== 'answer') return { layer: 'communication', ok: false, reason: answer.reason };
      if (answer.status === 200) {
        const trade = tradeOf(credentials, attempt, answer.json);
        return typeof trade === 'string' ? { layer: 'communication', ok: false, reason: trade } : { layer: 'trade', ok: true, trade };
      }
      const error = errorOf(answer.status, answer.json);
      if (answer.status === 404 && error.code === 'ORDER_NOT_EXIST') {
        return { layer: 'trade', ok: true, trade: { state: 'not-found', channelState: 'ORDER_NOT_EXIST' } };
      }
      return { layer: 'business', ok: false, code: error.code, message: error.message, unknown: error.unknown };
    },

    async close(attempt): Promise<CloseOutcome> {
      const body = JSON.stringify({ mchid: credentials.mchid });
      const answer = await wechat.exchange('POST', `${orderPath(attempt.channelOrderNo)}/close`, body);
      if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
      if (answer.status === 204 || answer.status === 200) return { kind: 'closed' };
      const error = errorOf(answer.status, answer.json);
      // ORDER_PAID per the reference (§1.6); ORDERPAID is the same answer as API v2 spelled it.
      if (error.code === 'ORDER_PAID' || error.code === 'ORDERPAID') return { kind: 'paid' };
      if (error.code === 'ORDER_CLOSED') return { kind: 'closed' };
      // ORDER_NOT_EXIST included: no confirmation that nothing can be paid, so a query decides.
      return { kind: 'unknown', reason: traced(error, answer.requestId) };
    },

    parseNotification(input) {
      try {
        return parseNotification(credentials, input);
      } catch (error) {
        // The contract says never throws; a bug in reading must still answer WeChat so that it retries.
        return { ok: false, reason: 'malformed', detail: `unreadable notification (${(error as Error).name})`, ack: REFUSED.malformed };
      }
    },

    async refund(request: RefundRequest): Promise<RefundOutcome> {
      if (request.currency !== 'CNY') return { kind: 'failed', code: 'unsupported_currency', message: 'WeChat Pay refunds CNY only' };
      const reason = refundReason(request.reason);
      // RULEBOOK.wechatpay.refund.idPriority: transaction_id when known, else out_trade_no. WeChat's own id cannot be
      // mistaken for another merchant order, and it is the one WeChat documents first; out_trade_no is always ours.
      const body = JSON.stringify({
        ...(request.channelTradeNo ? { transaction_id: request.channelTradeNo } : { out_trade_no: request.channelOrderNo }),
        out_refund_no: request.refundNo,
        ...(reason === undefined ? {} : { reason }),
        notify_url: request.notifyUrl,
        amount: { refund: toChannelAmount(request.amount, 'fen', 'CNY'), total: toChannelAmount(request.total, 'fen', 'CNY'), currency: 'CNY' },
      });
      // A write: sent once. The caller re-sends the same out_refund_no, which WeChat refunds at most once (§1.8).
      const answer = await wechat.exchange('POST', '/v3/refund/domestic/refunds', body);
      if (answer.kind !== 'answer') return { kind: 'unknown', reason: answer.reason };
      if (answer.status === 200) {
        if (!isRecord(answer.json) || answer.json.out_refund_no !== request.refundNo) return { kind: 'unknown', reason: 'HTTP 200 answer about another out_refund_no' };
        const refund = refundOf(answer.json, 'status');
        return typeof refund === 'string' ? { kind: 'unknown', reason: `HTTP 200 ${refund}` } : { kind: 'accepted', refund };
      }
      // NOT_ENOUGH, INVALID_REQUEST (too much, too late, too many), RESOURCE_NOT_EXISTS (unpaid), NO_AUTH… are WeChat's
      // "the refund was not applied" (§1.8); SYSTEM_ERROR, 5xx and 429 FREQUENCY_LIMITED (which includes the minute
      // between refunds of one order) leave it unknown: a query says, and the same out_refund_no may go again.
      const error = errorOf(answer.status, answer.json);
      return error.unknown ? { kind: 'unknown', reason: traced(error, answer.requestId) } : { kind: 'failed', code: error.code, message: error.message };
    },

    async queryRefund(ref: RefundRef): Promise<RefundQueryOutcome> {
      // A read: retried on timeouts and 5xx like the order query.
      const answer = await wechat.exchange('GET', refundPath(ref.refundNo));
      if (answer.kind !== 'answer') return { layer: 'communication', ok: false, reason: answer.reason };
      if (answer.status === 200) {
        const json = answer.json;
        if (!isRecord(json) || json.out_refund_no !== ref.refundNo) return { layer: 'communication', ok: false, reason: 'answer about another out_refund_no' };
        if (json.out_trade_no !== undefined && json.out_trade_no !== ref.channelOrderNo) return { layer: 'communication', ok: false, reason: 'answer about another out_trade_no' };
        const refund = refundOf(json, 'status');
        return typeof refund === 'string' ? { layer: 'communication', ok: false, reason: refund } : { layer: 'trade', ok: true, refund };
      }
      const error = errorOf(answer.status, answer.json);
      if (answer.status === 404 && error.code === 'RESOURCE_NOT_EXISTS') {
        return { layer: 'trade', ok: true, refund: { state: 'not-found', channelState: 'RESOURCE_NOT_EXISTS' } };
      }
      return { layer: 'business', ok: false, code: error.code, message: error.message, unknown: error.unknown };
    },

    // The day's trade bill, parsed as it downloads (bill.ts, §1.9).
    bill: (day) => fetchTradeBill({ credentials, http, exchange: (method, path) => wechat.exchange(method, path) }, day),
  };
}
