// Payment attempts: one channel order for an order. Status moves by compare-and-set along ATTEMPT_TRANSITIONS;
// `unknown` (timeout, channel error) is settled only by asking the channel. Success of an attempt and of its
// order are written together; the database refuses a second success on the same order.

import type { ChannelId } from '../../shared/channels/index.ts';
import type { AttemptRef } from '../channels/types.ts';
import type { PayAction } from '../../shared/schemas/index.ts';
import type { Queryable } from './db.ts';
import { appendEvent } from './events.ts';
import { newId } from './ids.ts';
import { transitionOrder, type OrderRow } from './orders.ts';

export type AttemptStatus = 'created' | 'pending' | 'unknown' | 'succeeded' | 'duplicate' | 'failed' | 'closed';

export interface AttemptRow {
  readonly id: string;
  readonly order_id: string;
  readonly channel: ChannelId;
  readonly product: string;
  readonly option_id: string;
  readonly installment: Record<string, unknown> | null;
  readonly channel_order_no: string;
  readonly channel_trade_no: string | null;
  readonly amount: number;
  readonly status: AttemptStatus;
  readonly action: PayAction | null;
  readonly failure: { code: string; message: string } | null;
  readonly paid_at: Date | null;
  readonly fee_charged: number | null;
  readonly expires_at: Date;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly version: number;
}

export const ATTEMPT_TRANSITIONS: Readonly<Record<AttemptStatus, readonly AttemptStatus[]>> = {
  created: ['pending', 'unknown', 'succeeded', 'duplicate', 'failed', 'closed'],
  pending: ['unknown', 'succeeded', 'duplicate', 'failed', 'closed'],
  unknown: ['pending', 'succeeded', 'duplicate', 'failed', 'closed'],
  succeeded: [],
  duplicate: [],
  // A channel that said "failed" or confirmed a close may still take the customer's money afterwards (a clock that
  // started late, a close that raced the payment). Money that moved is always recorded: such an attempt can still
  // succeed, and the order's fate is then the merchant's late-payment setting (or a duplicate's refund).
  failed: ['succeeded', 'duplicate'],
  closed: ['succeeded', 'duplicate'],
};

export const OPEN_ATTEMPT_STATES: readonly AttemptStatus[] = ['created', 'pending', 'unknown'];

export async function insertAttempt(
  tx: Queryable,
  order: OrderRow,
  attempt: {
    channel: ChannelId;
    product: string;
    optionId: string;
    installment?: Record<string, unknown> | undefined;
    channelOrderNo: string;
    expiresAt: Date;
    /** The fee the channel will charge by the merchant's contracted terms; null when no terms are configured. */
    feeCharged: number | null;
  },
): Promise<AttemptRow> {
  const [row] = await tx.query<AttemptRow>(
    `INSERT INTO payment_attempts (id, order_id, channel, product, option_id, installment, channel_order_no, amount, status, expires_at, fee_charged)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'created', $9, $10) RETURNING *`,
    [
      newId('att'),
      order.id,
      attempt.channel,
      attempt.product,
      attempt.optionId,
      attempt.installment ?? null,
      attempt.channelOrderNo,
      order.amount,
      attempt.expiresAt,
      attempt.feeCharged,
    ],
  );
  if (!row) throw new Error('attempt insert returned nothing');
  await attemptEvent(tx, order.merchant_id, row, 'payment_attempt.created');
  return row;
}

/** How an adapter names the attempt at its channel. */
export function attemptRef(attempt: AttemptRow): AttemptRef {
  return {
    channelOrderNo: attempt.channel_order_no,
    channelTradeNo: attempt.channel_trade_no ?? undefined,
    createdAt: new Date(attempt.created_at),
    expiresAt: new Date(attempt.expires_at),
    product: attempt.product,
  };
}

export async function attemptsOf(db: Queryable, orderId: string): Promise<AttemptRow[]> {
  return db.query<AttemptRow>('SELECT * FROM payment_attempts WHERE order_id = $1 ORDER BY created_at, id', [orderId]);
}

export async function attemptByChannelOrderNo(db: Queryable, channel: string, channelOrderNo: string): Promise<AttemptRow | undefined> {
  const [row] = await db.query<AttemptRow>('SELECT * FROM payment_attempts WHERE channel = $1 AND channel_order_no = $2', [channel, channelOrderNo]);
  return row;
}

/** The attempt with the channel order number, and its order, in one round trip. */
export async function attemptWithOrder(db: Queryable, channel: string, channelOrderNo: string): Promise<{ attempt: AttemptRow; order: OrderRow } | undefined> {
  const [row] = await db.query<{ attempt: AttemptRow; order: OrderRow }>(
    `SELECT to_jsonb(a) AS attempt, to_jsonb(o) AS "order"
     FROM payment_attempts a JOIN orders o ON o.id = a.order_id WHERE a.channel = $1 AND a.channel_order_no = $2`,
    [channel, channelOrderNo],
  );
  if (!row) return undefined;
  // Through JSON, timestamps arrive as text: give the rows their Date fields back.
  return {
    attempt: withDates(row.attempt, ['paid_at', 'expires_at', 'created_at', 'updated_at']),
    order: withDates(row.order, ['expires_at', 'created_at', 'updated_at']),
  };
}

function withDates<T>(row: T, fields: readonly string[]): T {
  const out = { ...row } as Record<string, unknown>;
  for (const field of fields) if (typeof out[field] === 'string') out[field] = new Date(out[field] as string);
  return out as T;
}

export async function getAttempt(db: Queryable, id: string): Promise<AttemptRow | undefined> {
  const [row] = await db.query<AttemptRow>('SELECT * FROM payment_attempts WHERE id = $1', [id]);
  return row;
}

/** Moves an attempt to `to` if its state allows; fields are set in the same write. Undefined when it did not match. */
export async function transitionAttempt(
  tx: Queryable,
  merchantId: string,
  id: string,
  to: AttemptStatus,
  fields: { action?: PayAction; failure?: { code: string; message: string }; channelTradeNo?: string; paidAt?: Date } = {},
): Promise<AttemptRow | undefined> {
  const from = (Object.keys(ATTEMPT_TRANSITIONS) as AttemptStatus[]).filter((state) => ATTEMPT_TRANSITIONS[state].includes(to) || state === to);
  const [row] = await tx.query<AttemptRow>(
    `UPDATE payment_attempts SET status = $2, version = version + 1, updated_at = now(),
       action = COALESCE($4, action), failure = COALESCE($5, failure),
       channel_trade_no = COALESCE($6, channel_trade_no), paid_at = COALESCE($7, paid_at)
     WHERE id = $1 AND status = ANY($3::text[]) AND NOT (status = $2 AND $2 IN ('succeeded', 'duplicate', 'failed', 'closed'))
     RETURNING *`,
    [id, to, from, fields.action ?? null, fields.failure ?? null, fields.channelTradeNo ?? null, fields.paidAt ?? null],
  );
  if (row) await attemptEvent(tx, merchantId, row, `payment_attempt.${to}`);
  return row;
}

/**
 * Records a confirmed payment: the attempt succeeds and so does its order, in one transaction. When another attempt
 * already won, this one becomes `duplicate` (the money moved, and is to be refunded: DESIGN §6). When the order was
 * closed meanwhile, the attempt still succeeds (the money moved) and the order's fate is the caller's
 * (`late-success`). Returns which happened.
 */
export async function settleSuccess(
  tx: Queryable,
  order: OrderRow,
  attempt: AttemptRow,
  trade: { channelTradeNo?: string | undefined; paidAt?: Date | undefined },
): Promise<'won' | 'duplicate' | 'late-success' | 'already'> {
  if (attempt.status === 'succeeded' || attempt.status === 'duplicate') return 'already';
  const [winner] = await tx.query<{ id: string }>(
    "SELECT id FROM payment_attempts WHERE order_id = $1 AND status = 'succeeded' FOR UPDATE",
    [order.id],
  );
  const fields = {
    ...(trade.channelTradeNo ? { channelTradeNo: trade.channelTradeNo } : {}),
    paidAt: trade.paidAt ?? new Date(),
  };
  if (winner && winner.id !== attempt.id) {
    const duplicate = await transitionAttempt(tx, order.merchant_id, attempt.id, 'duplicate', {
      ...fields,
      failure: { code: 'duplicate_payment', message: `paid after attempt ${winner.id} had won: to be refunded` },
    });
    return duplicate ? 'duplicate' : 'already';
  }
  const settled = await transitionAttempt(tx, order.merchant_id, attempt.id, 'succeeded', fields);
  if (!settled) return 'already';
  const moved = await transitionOrder(tx, order.id, 'succeeded', {
    event: 'order.succeeded',
    data: { attemptId: attempt.id, channel: attempt.channel },
  });
  return moved ? 'won' : 'late-success';
}

async function attemptEvent(tx: Queryable, merchantId: string, row: AttemptRow, type: string): Promise<void> {
  await appendEvent(tx, {
    merchantId,
    orderId: row.order_id,
    type,
    objectType: 'payment_attempt',
    objectId: row.id,
    objectVersion: row.version,
    data: {
      attempt: {
        id: row.id,
        channel: row.channel,
        product: row.product,
        optionId: row.option_id,
        channelOrderNo: row.channel_order_no,
        status: row.status,
        amount: row.amount,
        ...(row.failure ? { failure: row.failure } : {}),
        ...(row.paid_at ? { paidAt: new Date(row.paid_at).toISOString() } : {}),
      },
    },
  });
}
