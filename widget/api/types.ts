// The cashier API's answers as the widget reads them (bff/routes/cashier.ts). Types come from shared/schemas; the
// widget does not bundle valibot, so answers are checked by the small guards in client.ts instead.

import type { Currency } from '../../shared/money/index.ts';
import type { Option, OrderStatus, PayAction, TerminalEvidence, Unavailable } from '../../shared/schemas/index.ts';
import type { Terminal } from '../../shared/terminal/index.ts';

export type { Option, OrderStatus, PayAction, TerminalEvidence, Unavailable };

export interface OrderSummary {
  readonly id: string;
  readonly merchantName: string;
  readonly amount: number;
  readonly currency: Currency;
  readonly subject: string;
  readonly status: OrderStatus;
}

/** GET /cashier/v1/session */
export interface SessionResponse {
  readonly order: OrderSummary;
  readonly serverTime: string;
  readonly expiresAt: string;
  readonly terminal: Terminal;
  readonly options: readonly Option[];
  readonly unavailable: readonly Unavailable[];
  /** Whether the session holds the payer's WeChat openid (official account / mini-program), never the openid. */
  readonly payer?: { readonly wechatOpenid: boolean; readonly miniProgramOpenid: boolean };
}

export type AttemptStatus = 'created' | 'pending' | 'unknown' | 'succeeded' | 'duplicate' | 'failed' | 'closed';

/** GET /cashier/v1/status, POST /status/refresh and each `status` event of /status/stream. */
export interface StatusResponse {
  readonly status: OrderStatus;
  readonly version: number;
  readonly serverTime: string;
  readonly expiresAt: string;
  readonly attempt?: { readonly id: string; readonly optionId: string; readonly status: AttemptStatus };
}

/** POST /cashier/v1/pay */
export interface PayResponse {
  readonly attemptId: string | null;
  readonly action: PayAction;
}

export interface PayRequest {
  readonly optionId: string;
  readonly evidence?: TerminalEvidence;
  readonly returnUrl?: string;
  readonly openid?: string;
}

/** A status answer with when it was asked and received on the page's monotonic clock, for the server clock. */
export interface Timed<T> {
  readonly body: T;
  readonly sentAt: number;
  readonly receivedAt: number;
}

/** The BFF as the model sees it: injected, so the model is tested without a network. */
export interface CashierApi {
  session(evidence: TerminalEvidence, signal?: AbortSignal): Promise<Timed<SessionResponse>>;
  pay(request: PayRequest, signal?: AbortSignal): Promise<PayResponse>;
  status(signal?: AbortSignal): Promise<Timed<StatusResponse>>;
  /** Asks the BFF to query the channel now (the customer is back, or says they paid). */
  refresh(signal?: AbortSignal): Promise<Timed<StatusResponse>>;
  /** Server-sent status events until the server ends the stream (resolves) or it fails (rejects). */
  stream(onStatus: (status: Timed<StatusResponse>) => void, signal: AbortSignal): Promise<void>;
  /** WeChat sign-in: the BFF's `authUrl` template with this session and the page to come back to filled in. */
  signInUrl(template: string, returnUrl: string): string;
}
