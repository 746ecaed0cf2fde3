// The contract every channel adapter implements: neutral operations in, the channel's real wire protocol out,
// and answers mapped back with the three result layers kept apart (communication, business, trade). A timeout or
// an answer that does not say what happened is `unknown`, never a failure: only a later query may decide it.

import type { ChannelId } from '../../shared/channels/index.ts';
import type { Currency } from '../../shared/money/index.ts';
import type { InstallmentSettings, PayAction } from '../../shared/schemas/index.ts';
import type { OperatingSystem } from '../../shared/terminal/index.ts';
import type { BillSummary, ParsedBill } from '../bills/types.ts';

export interface PayRequest {
  readonly product: string;
  /** Our channel order number for this attempt (fits the channel's rule; see shared/channels). */
  readonly channelOrderNo: string;
  readonly amount: number;
  readonly currency: Currency;
  /** Already cleaned for this channel. */
  readonly description: string;
  readonly attach?: string | undefined;
  readonly expiresAt: Date;
  readonly notifyUrl: string;
  /** Where the channel's pages send the customer back (H5, WAP, page pay, gateway form). */
  readonly returnUrl?: string | undefined;
  readonly payer?: {
    readonly ip?: string | undefined;
    /** WeChat JSAPI and mini-program: the payer's openid under the merchant's app id. */
    readonly openid?: string | undefined;
    readonly os?: OperatingSystem | undefined;
  };
  readonly installment?: { readonly provider: InstallmentSettings['provider']; readonly periods: number; readonly feeBearer: InstallmentSettings['feeBearer'] };
  readonly creditCardsAllowed: boolean;
}

export type PayOutcome =
  /** The channel accepted the order: here is what the customer does next. */
  | { readonly kind: 'action'; readonly action: PayAction; readonly channelTradeNo?: string }
  /** The channel refused the order for good (business failure with a code). */
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  /** No answer, or one that does not say: the attempt stays `unknown` until a query settles it. */
  | { readonly kind: 'unknown'; readonly reason: string };

export type TradeState = 'succeeded' | 'pending' | 'closed' | 'failed' | 'not-found';

export interface TradeResult {
  readonly state: TradeState;
  /** The channel's own state value (trade_state, trade_status, origRespCode). */
  readonly channelState: string;
  readonly channelTradeNo?: string | undefined;
  readonly amount?: number | undefined;
  readonly currency?: Currency | undefined;
  readonly paidAt?: Date | undefined;
}

export type QueryOutcome =
  | { readonly layer: 'communication'; readonly ok: false; readonly reason: string }
  | { readonly layer: 'business'; readonly ok: false; readonly code: string; readonly message: string; readonly unknown: boolean }
  | { readonly layer: 'trade'; readonly ok: true; readonly trade: TradeResult };

export type CloseOutcome =
  | { readonly kind: 'closed' }
  /** Too late: the customer paid; the caller must settle the attempt as succeeded. */
  | { readonly kind: 'paid' }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface AttemptRef {
  readonly channelOrderNo: string;
  readonly channelTradeNo?: string | undefined;
  /** When the attempt was created (UnionPay queries need the original txnTime). */
  readonly createdAt: Date;
  readonly product: string;
  /**
   * When the attempt stops being payable at the channel (what pay sent as UnionPay's payTimeout). Optional: a
   * channel that cannot close an unpaid order uses it to confirm a close once the expiry has passed.
   */
  readonly expiresAt?: Date | undefined;
}

// --- notifications --------------------------------------------------------------------------------------

export interface NotificationInput {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received: signatures are checked over these bytes. */
  readonly body: string;
  readonly now: Date;
}

/** The HTTP answer the channel expects, in its exact form (WeChat: 200/204; Alipay: the body `success`; UnionPay: 200). */
export interface Ack {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

export interface PaymentNotice {
  readonly kind: 'payment';
  readonly channelOrderNo: string;
  readonly trade: TradeResult;
}

export interface RefundNotice {
  readonly kind: 'refund';
  readonly channelOrderNo: string;
  /** Our refund number at the channel (out_refund_no, out_request_no, the refund's orderId). */
  readonly refundNo: string;
  readonly refund: RefundResult;
}

export type NotificationResult =
  /**
   * Authentic (signature, key, timestamp window, decryption) and addressed to this merchant account. `subject` is
   * what it says happened; `ignored` for event types the cashier does not act on (still acknowledged).
   */
  | {
      readonly ok: true;
      readonly eventId: string;
      readonly subject: PaymentNotice | RefundNotice | { readonly kind: 'ignored'; readonly reason: string };
      readonly ack: Ack;
    }
  /** Not to be trusted: nothing may change because of it. `ack` is the channel's "failed" answer, so it retries. */
  | {
      readonly ok: false;
      readonly reason:
        | 'malformed'
        | 'bad-signature'
        | 'signtest-probe'
        | 'unknown-key'
        | 'stale'
        | 'decrypt-failed'
        | 'wrong-merchant';
      readonly detail: string;
      readonly eventId?: string | undefined;
      readonly ack: Ack;
    };

// --- refunds -----------------------------------------------------------------------------------------------

export interface RefundRequest {
  /** The payment's channel order number, and the channel's own trade number when known. */
  readonly channelOrderNo: string;
  readonly channelTradeNo?: string | undefined;
  /** When the payment was made at the channel (UnionPay needs the original's txnTime; refund windows start here). */
  readonly paymentCreatedAt: Date;
  /** Our refund number at the channel: the same number on every retry, so the channel refunds at most once. */
  readonly refundNo: string;
  readonly amount: number;
  /** The payment's whole amount (WeChat's amount.total). */
  readonly total: number;
  readonly currency: Currency;
  readonly reason?: string | undefined;
  readonly notifyUrl: string;
}

export interface RefundResult {
  readonly state: 'succeeded' | 'processing' | 'failed' | 'not-found';
  readonly channelState: string;
  readonly channelRefundNo?: string | undefined;
  /** This refund's own amount, when the channel says it. */
  readonly amount?: number | undefined;
  /** The payment's refunded total so far, where the channel reports that instead (Alipay's refund_fee). */
  readonly refundedTotal?: number | undefined;
  readonly succeededAt?: Date | undefined;
  /** Where the money came from, when the channel says (WeChat funds_account, Alipay fund_change …). */
  readonly fundsAccount?: string | undefined;
  /** Where the buyer receives it, when the channel says (WeChat user_received_account). */
  readonly receivedAccount?: string | undefined;
}

export type RefundOutcome =
  /** Taken by the channel; the result comes by notification or query (or is final here, when `refund.state` says). */
  | { readonly kind: 'accepted'; readonly refund: RefundResult }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface RefundRef {
  readonly channelOrderNo: string;
  readonly channelTradeNo?: string | undefined;
  readonly refundNo: string;
  readonly paymentCreatedAt: Date;
  /** When we asked for the refund (UnionPay queries the refund by its own orderId and txnTime). */
  readonly requestedAt: Date;
}

export type RefundQueryOutcome =
  | { readonly layer: 'communication'; readonly ok: false; readonly reason: string }
  | { readonly layer: 'business'; readonly ok: false; readonly code: string; readonly message: string; readonly unknown: boolean }
  | { readonly layer: 'trade'; readonly ok: true; readonly refund: RefundResult };

/**
 * The channel's bill of one clearing day. `ready`: the file, parsed as it streams (read `bill.lines` once, then
 * `bill.summary`). `not-ready`: asked before the channel publishes it (WeChat 10:00, Alipay/UnionPay 09:00 on D+1)
 * or the channel says it is still being generated; try again later. `no-bill`: the channel says there is no bill for
 * the day because nothing happened (WeChat NO_STATEMENT_EXIST, Alipay's no-data sub_code…), which reconciles as an
 * empty bill. Communication failures and signature problems are `unknown`; a refused request is `failed`.
 */
export type BillOutcome =
  | { readonly kind: 'ready'; readonly bill: ParsedBill<BillSummary> }
  | { readonly kind: 'not-ready'; readonly message: string }
  | { readonly kind: 'no-bill'; readonly message: string }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface ChannelAdapter {
  readonly id: ChannelId;
  pay(request: PayRequest): Promise<PayOutcome>;
  query(attempt: AttemptRef): Promise<QueryOutcome>;
  close(attempt: AttemptRef): Promise<CloseOutcome>;
  /** Verifies, decrypts and reads a notification the channel POSTed to us; never throws. */
  parseNotification(input: NotificationInput): NotificationResult;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  queryRefund(refund: RefundRef): Promise<RefundQueryOutcome>;
  /** Downloads the trade bill of clearing day `day` (`YYYY-MM-DD`, Beijing) and parses it as it streams. */
  bill(day: string): Promise<BillOutcome>;
}

export type ChannelAdapters = Partial<Record<ChannelId, ChannelAdapter>>;
