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
  fields: { failure?: { code: string; message: string }; succeededAt?: Date; fundsAccount?: string } = {},
): Promise<RefundRow | undefined> {
  const [row] = await tx.query<RefundRow>(
    `UPDATE refunds SET status = $2, version = version + 1, updated_at = now(), failure = COALESCE($3, failure),
       succeeded_at = COALESCE($4, succeeded_at), funds_account = COALESCE($5, funds_account)
     WHERE id = $1 AND status <> ALL($6::text[]) AND status <> $2 RETURNING *`,
    [refund.id, to, fields.failure ?? null, fields.succeededAt ?? null, fields.fundsAccount ?? null, FINAL],
  );
  if (row) await refundEvent(tx, merchantId, row, `refund.${to}`);
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
        ...(row.failure ? { failure: row.failure } : {}),
      },
    },
  });
}
