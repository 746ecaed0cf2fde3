// The shop server's client for the cashier's merchant API: server to server, with the merchant's secret key (read
// from the merchants file per call, so a reset data directory is picked up), an Idempotency-Key on every POST, and
// errors as one class with the API's stable code (or `cashier_unreachable` when the BFF did not answer).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface MerchantSecrets {
  readonly apiKey: string;
  /** Webhook signing secrets, newest first. */
  readonly webhookSecrets: readonly string[];
}

/** The demo merchant's secrets from merchants.json (its first merchant); `env:NAME` values come from the environment. */
export function readMerchantSecrets(file: string, env: NodeJS.ProcessEnv = process.env): MerchantSecrets {
  const [merchant] = JSON.parse(readFileSync(file, 'utf8')) as { apiKey?: string; webhookSecrets?: string[] }[];
  const resolve = (value: string) => (value.startsWith('env:') ? (env[value.slice(4)] ?? '') : value);
  return {
    apiKey: resolve(merchant?.apiKey ?? ''),
    webhookSecrets: (merchant?.webhookSecrets ?? []).map(resolve).filter((secret) => secret.length > 0),
  };
}

export class MerchantApiError extends Error {
  override readonly name = 'MerchantApiError';
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status, or 0 when the cashier did not answer. */
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function isMerchantApiError(error: unknown): error is MerchantApiError {
  return error instanceof Error && error.name === 'MerchantApiError';
}

export interface CashierOrder {
  readonly id: string;
  readonly merchantOrderNo: string;
  readonly amount: number;
  readonly status: string;
  readonly amountRefunded: number;
  readonly version: number;
  readonly fees?: { readonly charged: number; readonly returned: number; readonly kept: number };
}

export interface CashierRefund {
  readonly id: string;
  readonly merchantRefundNo: string;
  readonly amount: number;
  readonly status: string;
  readonly origin: string;
  readonly reason: string | null;
  readonly feeCharged: number | null;
  readonly feeReturned: number | null;
  readonly failure?: string;
  readonly createdAt: string;
}

export interface CashierEventRecord {
  readonly id: string;
  readonly type: string;
  readonly objectType: string;
  readonly data: Record<string, unknown>;
}

export interface MerchantApiOptions {
  readonly bffUrl: string;
  readonly merchantsFile: string;
  readonly timeoutMs?: number;
}

export type MerchantApi = ReturnType<typeof merchantApi>;

export function merchantApi(options: MerchantApiOptions) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const { apiKey } = readMerchantSecrets(options.merchantsFile);
    let response: Response;
    try {
      response = await fetch(`${options.bffUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(method === 'POST' ? { 'idempotency-key': idempotencyKey ?? randomUUID() } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (failure) {
      throw new MerchantApiError('cashier_unreachable', `the cashier did not answer (${failure instanceof Error ? failure.message : String(failure)})`, 0);
    }
    const json = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string; field?: string } };
    if (!response.ok) {
      const error = json.error ?? {};
      throw new MerchantApiError(error.code ?? `http_${response.status}`, error.message ?? `HTTP ${response.status}`, response.status, error.field);
    }
    return json as T;
  }

  return {
    createOrder: (input: { merchantOrderNo: string; amount: number; subject: string; description?: string; metadata?: Record<string, string> }) =>
      // The shop's order number makes a retry of this call return the same order (README: merchant API).
      call<{ order: CashierOrder }>('POST', '/v1/orders', { ...input, descriptionPolicy: 'clean' }, `order-${input.merchantOrderNo}`),
    openSession: (orderId: string) => call<{ token: string; expiresAt: string }>('POST', `/v1/orders/${encodeURIComponent(orderId)}/cashier-sessions`, {}),
    getOrder: (orderId: string) => call<{ order: CashierOrder }>('GET', `/v1/orders/${encodeURIComponent(orderId)}`),
    refunds: (orderId: string) => call<{ refunds: CashierRefund[] }>('GET', `/v1/orders/${encodeURIComponent(orderId)}/refunds`),
    events: (orderId: string) => call<{ events: CashierEventRecord[] }>('GET', `/v1/orders/${encodeURIComponent(orderId)}/events`),
    createRefund: (orderId: string, input: { merchantRefundNo: string; amount: number; reason?: string }) =>
      // Keyed by the refund number the form carried: the same form sent twice is one refund.
      call<{ refund: CashierRefund }>('POST', `/v1/orders/${encodeURIComponent(orderId)}/refunds`, input, `refund-${input.merchantRefundNo}`),
    call,
  };
}
