// The contract every channel adapter implements: neutral operations in, the channel's real wire protocol out,
// and answers mapped back with the three result layers kept apart (communication, business, trade). A timeout or
// an answer that does not say what happened is `unknown`, never a failure: only a later query may decide it.

import type { ChannelId } from '../../shared/channels/index.ts';
import type { Currency } from '../../shared/money/index.ts';
import type { InstallmentSettings, PayAction } from '../../shared/schemas/index.ts';
import type { OperatingSystem } from '../../shared/terminal/index.ts';

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

export interface ChannelAdapter {
  readonly id: ChannelId;
  pay(request: PayRequest): Promise<PayOutcome>;
  query(attempt: AttemptRef): Promise<QueryOutcome>;
  close(attempt: AttemptRef): Promise<CloseOutcome>;
}

export type ChannelAdapters = Partial<Record<ChannelId, ChannelAdapter>>;
