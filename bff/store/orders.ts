// Merchants and orders. An order is created once per merchant order number (a retry with the same request gets
// the same order back), and changes state only by compare-and-set along ORDER_TRANSITIONS, with an event per change.

import { createHash } from 'node:crypto';
import type { Currency } from '../../shared/money/index.ts';
import type { InstallmentSettings, MerchantSettings, Order, OrderStatus } from '../../shared/schemas/index.ts';
import { ApiError } from '../errors.ts';
import type { Queryable } from './db.ts';
import { appendEvent } from './events.ts';
import { newId } from './ids.ts';

export interface MerchantRow {
  readonly id: string;
  readonly name: string;
  readonly settings: MerchantSettings;
  readonly allowed_origins: string[];
  readonly webhook_url: string | null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createMerchant(
  db: Queryable,
  merchant: { id?: string; name: string; apiKey: string; settings: MerchantSettings; allowedOrigins?: string[]; webhookUrl?: string },
): Promise<MerchantRow> {
  const [row] = await db.query<MerchantRow>(
    `INSERT INTO merchants (id, name, api_key_hash, settings, allowed_origins, webhook_url)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, api_key_hash = EXCLUDED.api_key_hash, settings = EXCLUDED.settings,
       allowed_origins = EXCLUDED.allowed_origins, webhook_url = EXCLUDED.webhook_url
     RETURNING id, name, settings, allowed_origins, webhook_url`,
    [
      merchant.id ?? newId('mch'),
      merchant.name,
      hashSecret(merchant.apiKey),
      merchant.settings,
      JSON.stringify(merchant.allowedOrigins ?? []),
      merchant.webhookUrl ?? null,
    ],
  );
  if (!row) throw new Error('merchant upsert returned nothing');
  return row;
}

export async function merchantByApiKey(db: Queryable, apiKey: string): Promise<MerchantRow | undefined> {
  const [row] = await db.query<MerchantRow>(
    'SELECT id, name, settings, allowed_origins, webhook_url FROM merchants WHERE api_key_hash = $1',
    [hashSecret(apiKey)],
  );
  return row;
}

export async function merchantById(db: Queryable, id: string): Promise<MerchantRow | undefined> {
  const [row] = await db.query<MerchantRow>('SELECT id, name, settings, allowed_origins, webhook_url FROM merchants WHERE id = $1', [id]);
  return row;
}

export interface OrderRow {
  readonly id: string;
  readonly merchant_id: string;
  readonly merchant_order_no: string;
  readonly amount: number;
  readonly currency: Currency;
  readonly subject: string;
  readonly description: string | null;
  readonly attach: string | null;
  readonly metadata: Record<string, string>;
  readonly channels: string[] | null;
  readonly installments: InstallmentSettings[] | null;
  readonly credit_cards_allowed: boolean | null;
  readonly webhook_url: string | null;
  readonly allowed_origins: string[] | null;
  readonly request_hash: string;
  readonly status: OrderStatus;
  readonly amount_refunded: number;
  readonly expires_at: Date;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly version: number;
}

/** Where an order may go from each state. Terminal states go nowhere: they never regress. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  open: ['paying', 'closed', 'failed'],
  paying: ['succeeded', 'closed', 'failed'],
  succeeded: [],
  closed: [],
  failed: [],
};

export interface NewOrder {
  readonly merchantId: string;
  readonly merchantOrderNo: string;
  readonly amount: number;
  readonly currency: Currency;
  readonly subject: string;
  readonly description?: string | undefined;
  readonly attach?: string | undefined;
  readonly metadata?: Record<string, string> | undefined;
  readonly channels?: string[] | undefined;
  readonly installments?: InstallmentSettings[] | undefined;
  readonly creditCardsAllowed?: boolean | undefined;
  readonly webhookUrl?: string | undefined;
  readonly allowedOrigins?: string[] | undefined;
  readonly expiresAt: Date;
  /** Hash of the merchant's request: a second create with the same order number must match it. */
  readonly requestHash: string;
}

/**
 * Creates the order with its event (call it inside a transaction), or returns the one already made from an
 * identical request (`created: false`); the same order number with other details is a conflict.
 */
export async function insertOrder(tx: Queryable, order: NewOrder): Promise<{ order: OrderRow; created: boolean }> {
  const [row] = await tx.query<OrderRow>(
    `INSERT INTO orders (id, merchant_id, merchant_order_no, amount, currency, subject, description, attach, metadata,
       channels, installments, credit_cards_allowed, webhook_url, allowed_origins, request_hash, status, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $16)
     ON CONFLICT (merchant_id, merchant_order_no) DO NOTHING
     RETURNING *`,
    [
      newId('ord'),
      order.merchantId,
      order.merchantOrderNo,
      order.amount,
      order.currency,
      order.subject,
      order.description ?? null,
      order.attach ?? null,
      order.metadata ?? {},
      order.channels ? JSON.stringify(order.channels) : null,
      order.installments ? JSON.stringify(order.installments) : null,
      order.creditCardsAllowed ?? null,
      order.webhookUrl ?? null,
      order.allowedOrigins ? JSON.stringify(order.allowedOrigins) : null,
      order.requestHash,
      order.expiresAt,
    ],
  );
  if (row) {
    await appendEvent(tx, {
      merchantId: row.merchant_id,
      orderId: row.id,
      type: 'order.created',
      objectType: 'order',
      objectId: row.id,
      objectVersion: row.version,
      data: { order: toApiOrder(row) },
    });
    return { order: row, created: true };
  }
  const [existing] = await tx.query<OrderRow>('SELECT * FROM orders WHERE merchant_id = $1 AND merchant_order_no = $2', [
    order.merchantId,
    order.merchantOrderNo,
  ]);
  if (!existing) throw new Error('order conflict without an existing order');
  if (existing.request_hash !== order.requestHash) {
    throw new ApiError(409, 'order_exists', `an order numbered ${order.merchantOrderNo} exists with other details`, 'merchantOrderNo');
  }
  return { order: existing, created: false };
}

export async function getOrder(db: Queryable, merchantId: string, id: string): Promise<OrderRow | undefined> {
  const [row] = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
  return row;
}

export async function getOrderById(db: Queryable, id: string): Promise<OrderRow | undefined> {
  const [row] = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  return row;
}

/**
 * Moves an order to `to` if it is in a state that may go there (and at `version`, when given), appending the
 * event. Returns undefined when the compare-and-set did not match: the caller re-reads and decides.
 */
export async function transitionOrder(
  tx: Queryable,
  id: string,
  to: OrderStatus,
  options: { version?: number; event: string; data?: Record<string, unknown> },
): Promise<OrderRow | undefined> {
  const from = (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((state) => ORDER_TRANSITIONS[state].includes(to));
  const [row] = await tx.query<OrderRow>(
    `UPDATE orders SET status = $2, version = version + 1, updated_at = now()
     WHERE id = $1 AND status = ANY($3::text[]) AND ($4::int IS NULL OR version = $4)
     RETURNING *`,
    [id, to, from, options.version ?? null],
  );
  if (!row) return undefined;
  await appendEvent(tx, {
    merchantId: row.merchant_id,
    orderId: row.id,
    type: options.event,
    objectType: 'order',
    objectId: row.id,
    objectVersion: row.version,
    data: { order: toApiOrder(row), ...options.data },
  });
  return row;
}

/**
 * The one way out of `closed`: a payment the channel took after we closed the order, which the merchant chose to
 * accept (merchant setting lateSuccess). Every other terminal state stays where it is.
 */
export async function acceptLatePayment(tx: Queryable, id: string, data: Record<string, unknown>): Promise<OrderRow | undefined> {
  const [row] = await tx.query<OrderRow>(
    `UPDATE orders SET status = 'succeeded', version = version + 1, updated_at = now() WHERE id = $1 AND status = 'closed' RETURNING *`,
    [id],
  );
  if (row) {
    await appendEvent(tx, {
      merchantId: row.merchant_id,
      orderId: row.id,
      type: 'order.succeeded',
      objectType: 'order',
      objectId: row.id,
      objectVersion: row.version,
      data: { order: toApiOrder(row), late: true, ...data },
    });
  }
  return row;
}

/** The fee charged on the order's winning payment, returned by its settled merchant refunds, and kept. */
export async function orderFees(db: Queryable, orderId: string): Promise<{ charged: number; returned: number; kept: number } | undefined> {
  const [row] = await db.query<{ charged: number; returned: number }>(
    `SELECT a.fee_charged AS charged,
            COALESCE((SELECT sum(r.fee_returned) FROM refunds r
                      WHERE r.order_id = a.order_id AND r.attempt_id = a.id AND r.status = 'succeeded'), 0)::bigint AS returned
     FROM payment_attempts a WHERE a.order_id = $1 AND a.status = 'succeeded' AND a.fee_charged IS NOT NULL`,
    [orderId],
  );
  return row ? { charged: row.charged, returned: row.returned, kept: row.charged - row.returned } : undefined;
}

export function toApiOrder(row: OrderRow): Order {
  return {
    id: row.id,
    merchantOrderNo: row.merchant_order_no,
    amount: row.amount,
    currency: row.currency,
    subject: row.subject,
    ...(row.description === null ? {} : { description: row.description }),
    status: row.status,
    amountRefunded: row.amount_refunded,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    version: row.version,
  };
}
