// Refund records. For now the ones the system makes by itself: a second success on one order, or a payment that
// arrived after the order closed (DESIGN §6). The number sent to the channel is fixed when the row is written,
// so every retry asks for the same refund and the channel refunds at most once.

import { newChannelOrderNumber, type ChannelId } from '../../shared/channels/index.ts';
import type { AttemptRow } from './attempts.ts';
import type { Queryable } from './db.ts';
import { appendEvent } from './events.ts';
import { newId } from './ids.ts';

export type RefundStatus = 'pending' | 'processing' | 'unknown' | 'succeeded' | 'failed';

export interface RefundRow {
  readonly id: string;
  readonly order_id: string;
  readonly attempt_id: string;
  readonly merchant_refund_no: string;
  readonly amount: number;
  readonly reason: string | null;
  readonly status: RefundStatus;
  readonly channel: ChannelId;
  readonly channel_refund_no: string;
  readonly origin: 'merchant' | 'duplicate-payment' | 'late-payment';
  readonly failure: { code: string; message: string } | null;
  readonly succeeded_at: Date | null;
  readonly fee_charged: number | null;
  readonly fee_returned: number | null;
  readonly funds_account: string | null;
  readonly received_account: string | null;
  readonly created_at: Date;
  readonly version: number;
}

/** Refunds a whole attempt's payment back to the customer, once: a second call for the same attempt and origin returns the first. */
export async function autoRefund(
  tx: Queryable,
  merchantId: string,
  attempt: AttemptRow,
  origin: 'duplicate-payment' | 'late-payment',
  now: Date,
): Promise<RefundRow> {
  const merchantRefundNo = `auto-${origin}-${attempt.id}`;
  const [row] = await tx.query<RefundRow>(
    `INSERT INTO refunds (id, order_id, attempt_id, merchant_refund_no, amount, reason, status, channel, channel_refund_no, origin)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)
     ON CONFLICT (order_id, merchant_refund_no) DO NOTHING RETURNING *`,
    [
      newId('rfd'),
      attempt.order_id,
      attempt.id,
      merchantRefundNo,
      attempt.amount,
      origin === 'duplicate-payment' ? 'paid twice: another payment of this order had already succeeded' : 'paid after the order had closed',
      attempt.channel,
      newChannelOrderNumber([attempt.channel], now),
      origin,
    ],
  );
  if (!row) {
    const [existing] = await tx.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 AND merchant_refund_no = $2', [attempt.order_id, merchantRefundNo]);
    if (!existing) throw new Error('refund conflict without a refund');
    return existing;
  }
  await refundEvent(tx, merchantId, row, 'refund.created');
  return row;
}

export type ReserveRefusal = 'exceeds-payment' | 'count-exceeded' | 'too-soon' | 'not-refundable';

/**
 * Reserves a merchant refund on its order in one conditional UPDATE — the total stays within what was paid, the
 * count within the channel's limit, the interval since the last refund at least the channel's — and writes the
 * refund and its event. Concurrent requests cannot both pass: the database decides, never a read before a write.
 */
export async function createMerchantRefund(
  tx: Queryable,
  input: {
    readonly order: { readonly id: string; readonly merchant_id: string };
    readonly attempt: AttemptRow;
    readonly merchantRefundNo: string;
    readonly amount: number;
    readonly reason: string | undefined;
    readonly maxCount: number | undefined;
    readonly minIntervalSeconds: number | undefined;
    readonly feeCharged: number | null;
    readonly feeReturned: number | null;
    readonly now: Date;
  },
): Promise<{ refund: RefundRow } | { refused: ReserveRefusal }> {
  const [reserved] = await tx.query<{ id: string }>(
    `UPDATE orders SET amount_refunded = amount_refunded + $2, refund_count = refund_count + 1, last_refund_at = $5, updated_at = now()
     WHERE id = $1 AND status = 'succeeded' AND amount_refunded + $2 <= amount
       AND ($3::int IS NULL OR refund_count < $3)
       AND ($4::int IS NULL OR last_refund_at IS NULL OR last_refund_at <= $5::timestamptz - make_interval(secs => $4::int))
     RETURNING id`,
    [input.order.id, input.amount, input.maxCount ?? null, input.minIntervalSeconds ?? null, input.now],
  );
  if (!reserved) {
    const [order] = await tx.query<{ status: string; amount: number; amount_refunded: number; refund_count: number }>(
      'SELECT status, amount, amount_refunded, refund_count FROM orders WHERE id = $1',
      [input.order.id],
    );
    if (!order || order.status !== 'succeeded') return { refused: 'not-refundable' };
    if (order.amount_refunded + input.amount > order.amount) return { refused: 'exceeds-payment' };
    if (input.maxCount !== undefined && order.refund_count >= input.maxCount) return { refused: 'count-exceeded' };
    return { refused: 'too-soon' };
  }
  const [row] = await tx.query<RefundRow>(
    `INSERT INTO refunds (id, order_id, attempt_id, merchant_refund_no, amount, reason, status, channel, channel_refund_no, origin, fee_charged, fee_returned)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, 'merchant', $9, $10) RETURNING *`,
    [
      newId('rfd'),
      input.order.id,
      input.attempt.id,
      input.merchantRefundNo,
      input.amount,
      input.reason ?? null,
      input.attempt.channel,
      newChannelOrderNumber([input.attempt.channel], input.now),
      input.feeCharged,
      input.feeReturned,
    ],
  );
  if (!row) throw new Error('refund insert returned nothing');
  await refundEvent(tx, input.order.merchant_id, row, 'refund.created');
  return { refund: row };
}

export async function refundByMerchantNo(db: Queryable, orderId: string, merchantRefundNo: string): Promise<RefundRow | undefined> {
  const [row] = await db.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 AND merchant_refund_no = $2', [orderId, merchantRefundNo]);
  return row;
}

export async function refundsOf(db: Queryable, orderId: string): Promise<RefundRow[]> {
  return db.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, id', [orderId]);
}

export async function getRefund(db: Queryable, id: string): Promise<RefundRow | undefined> {
  const [row] = await db.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [id]);
  return row;
}

export async function refundByChannelNo(db: Queryable, channel: string, channelRefundNo: string): Promise<RefundRow | undefined> {
  const [row] = await db.query<RefundRow>('SELECT * FROM refunds WHERE channel = $1 AND channel_refund_no = $2', [channel, channelRefundNo]);
  return row;
}

const FINAL: readonly RefundStatus[] = ['succeeded', 'failed'];

/** Moves a refund on; final states never change again. Undefined when it did not move. */
export async function transitionRefund(
  tx: Queryable,
  merchantId: string,
  refund: RefundRow,
  to: RefundStatus,
  fields: { failure?: { code: string; message: string }; succeededAt?: Date; fundsAccount?: string; receivedAccount?: string } = {},
): Promise<RefundRow | undefined> {
  const [row] = await tx.query<RefundRow>(
    `UPDATE refunds SET status = $2, version = version + 1, updated_at = now(), failure = COALESCE($3, failure),
       succeeded_at = COALESCE($4, succeeded_at), funds_account = COALESCE($5, funds_account),
       received_account = COALESCE($7, received_account)
     WHERE id = $1 AND status <> ALL($6::text[]) AND status <> $2 RETURNING *`,
    [refund.id, to, fields.failure ?? null, fields.succeededAt ?? null, fields.fundsAccount ?? null, FINAL, fields.receivedAccount ?? null],
  );
  if (row) {
    // A merchant refund that failed gives back what it had reserved on the order (the count too: it moved nothing).
    if (to === 'failed' && row.origin === 'merchant') {
      await tx.query('UPDATE orders SET amount_refunded = amount_refunded - $2, refund_count = refund_count - 1 WHERE id = $1', [row.order_id, row.amount]);
    }
    await refundEvent(tx, merchantId, row, `refund.${to}`);
  }
  return row;
}

async function refundEvent(tx: Queryable, merchantId: string, row: RefundRow, type: string): Promise<void> {
  await appendEvent(tx, {
    merchantId,
    orderId: row.order_id,
    type,
    objectType: 'refund',
    objectId: row.id,
    objectVersion: row.version,
    data: {
      refund: {
        id: row.id,
        attemptId: row.attempt_id,
        amount: row.amount,
        status: row.status,
        origin: row.origin,
        reason: row.reason,
        merchantRefundNo: row.merchant_refund_no,
        ...(row.fee_returned === null ? {} : { feeReturned: row.fee_returned }),
        ...(row.failure ? { failure: row.failure } : {}),
      },
    },
  });
}
