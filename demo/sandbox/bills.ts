// The sandbox's daily bills: what each channel's bill for a clearing day holds, built from the sandbox's own
// payments and refunds, with the fee the channel charges (or returns) under the contracted terms, and with
// discrepancies a test or a person can inject (a missing line, an extra line, a different amount, fee or status).
// Each channel renders these rows in its own file format and serves them on its real download path.

import * as v from 'valibot';
import { UNKNOWN, billAvailableAt, clearingDay } from '../../shared/channels/index.ts';
import { feeCharged, feeRefunds, type FeeTerms } from '../../shared/fees/index.ts';
import type { SandboxOrder } from './order-book.ts';
import type { SandboxChannelId, SandboxClock } from './types.ts';

/**
 * The fee terms each sandbox channel has contracted with the demo merchant's account: 0.6 %, the common rate for
 * ordinary merchants (the channel article's fee table, DESIGN.md §5). The demo merchant's `settings.fees` states the
 * same terms, so its bills reconcile; a `fee` discrepancy makes one line disagree.
 */
export const SANDBOX_FEE_TERMS: Readonly<Record<SandboxChannelId, FeeTerms>> = {
  wechatpay: { rate: '0.006' },
  alipay: { rate: '0.006' },
  unionpay: { rate: '0.006' },
};

/** A successful payment or refund as a channel module reports it; the fee is computed here. */
export interface BillEntry {
  readonly kind: 'payment' | 'refund';
  /** The payment (for a refund: the payment refunded). */
  readonly order: SandboxOrder;
  /** The merchant's refund number (out_refund_no, out_request_no, the refund's orderId); refunds only. */
  readonly refundNo?: string | undefined;
  /** The channel's own refund id, where it has one; refunds only. */
  readonly channelRefundNo?: string | undefined;
  /** Fen: the payment's amount or this refund's amount. */
  readonly amount: number;
  /** The status text the channel's bill prints for this line (WeChat SUCCESS / REFUND + SUCCESS …). */
  readonly status: string;
  /** When it succeeded (payment) or was accepted (refund). */
  readonly at: Date;
}

/** One line of a day's bill, ready for a channel's writer. */
export interface BillRow {
  readonly kind: 'payment' | 'refund';
  /** The merchant's account at the channel (mchid, app_id, merId). */
  readonly merchant: string;
  /** The merchant's order number at the channel. */
  readonly orderKey: string;
  /** The channel's trade number of the payment. */
  readonly tradeNo: string;
  readonly refundNo?: string | undefined;
  readonly channelRefundNo?: string | undefined;
  readonly amount: number;
  /** Fen, never negative: charged on a payment, returned with a refund; writers apply the file's sign. */
  readonly fee: number;
  readonly status: string;
  readonly at: Date;
  readonly product: string;
  readonly description: string;
  readonly attach?: string | undefined;
  /** Fields a channel's writer may need from the payment (UnionPay txnTime, queryId …). */
  readonly details: Readonly<Record<string, string>>;
}

const Key = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Delta = v.pipe(v.number(), v.integer(), v.notValue(0, 'a delta of 0 changes nothing'));

/** What can be made wrong in a day's bill. `key` is an order number (payment lines) or a refund number (refund lines). */
export const BillDiscrepancySchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('missing'), key: Key }),
  v.strictObject({
    kind: v.literal('extra'),
    /** The order number on the extra line (default: one nobody made). */
    key: v.optional(Key),
    amount: v.pipe(v.number(), v.integer(), v.minValue(1)),
  }),
  v.strictObject({ kind: v.literal('amount'), key: Key, delta: Delta }),
  v.strictObject({ kind: v.literal('fee'), key: Key, delta: Delta }),
  v.strictObject({ kind: v.literal('status'), key: Key, status: v.pipe(v.string(), v.regex(/^[A-Z_]{2,32}$/)) }),
]);
export type BillDiscrepancy = v.InferOutput<typeof BillDiscrepancySchema>;

/**
 * Injected discrepancies per channel and clearing day, and days published ahead of the channel's bill hour (so the
 * demo can reconcile today without waiting for tomorrow). In memory: a restarted sandbox bills truthfully again.
 */
export class BillDiscrepancyBook {
  readonly #byDay = new Map<string, BillDiscrepancy[]>();
  readonly #published = new Set<string>();

  /** Makes the day's bill available now, with what the day holds so far (a sandbox-only convenience). */
  publish(channel: SandboxChannelId, day: string): void {
    this.#published.add(`${channel}:${day}`);
  }

  isPublished(channel: SandboxChannelId, day: string): boolean {
    return this.#published.has(`${channel}:${day}`);
  }

  add(channel: SandboxChannelId, day: string, discrepancy: BillDiscrepancy): void {
    const id = `${channel}:${day}`;
    this.#byDay.set(id, [...(this.#byDay.get(id) ?? []), discrepancy]);
  }

  clear(channel: SandboxChannelId, day: string): void {
    this.#byDay.delete(`${channel}:${day}`);
  }

  for(channel: SandboxChannelId, day: string): readonly BillDiscrepancy[] {
    return this.#byDay.get(`${channel}:${day}`) ?? [];
  }

  list(): { channel: string; day: string; discrepancies: readonly BillDiscrepancy[] }[] {
    return [...this.#byDay].map(([id, discrepancies]) => {
      const [channel = '', day = ''] = id.split(':');
      return { channel, day, discrepancies };
    });
  }
}

export type DayBill =
  | { readonly kind: 'ready'; readonly rows: readonly BillRow[] }
  /** Asked before the channel publishes the day's bill. */
  | { readonly kind: 'not-ready'; readonly availableAt: Date };

/**
 * The bill of clearing day `day` for one channel: the entries whose instant falls in the channel's clearing window
 * (WeChat and Alipay 00:00–24:00 Beijing time; UnionPay 23:00 to 23:00), each with its fee, then the day's injected
 * discrepancies; `not-ready` before the channel's bill time on D+1 by the sandbox clock.
 */
export function dayBill(
  channel: SandboxChannelId,
  day: string,
  entries: readonly BillEntry[],
  bills: BillDiscrepancyBook,
  clock: SandboxClock,
): DayBill {
  const availableAt = billAvailableAt(channel, day);
  if (availableAt !== UNKNOWN && clock.now().getTime() < availableAt.getTime() && !bills.isPublished(channel, day)) {
    return { kind: 'not-ready', availableAt };
  }
  const rows = withFees(channel, entries).filter((row) => clearingDay(channel, row.at) === day);
  return { kind: 'ready', rows: applyDiscrepancies(channel, day, rows, bills.for(channel, day)) };
}

/** Each entry as a row with its fee: charged by the contracted terms; returned by the channel's rule in refund order. */
function withFees(channel: SandboxChannelId, entries: readonly BillEntry[]): BillRow[] {
  const terms = SANDBOX_FEE_TERMS[channel];
  const refundsSoFar = new Map<string, number[]>();
  return [...entries]
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((entry) => {
      const charged = feeCharged(channel, entry.order.amount, terms);
      let fee = charged;
      if (entry.kind === 'refund') {
        const previous = refundsSoFar.get(entry.order.key) ?? [];
        const sequence = [...previous, entry.amount];
        refundsSoFar.set(entry.order.key, sequence);
        fee = feeRefunds(channel, { amount: entry.order.amount, fee: charged, ...terms }, sequence).at(-1) ?? 0;
      }
      return {
        kind: entry.kind,
        merchant: entry.order.merchant,
        orderKey: entry.order.key,
        tradeNo: entry.order.tradeNo,
        refundNo: entry.refundNo,
        channelRefundNo: entry.channelRefundNo,
        amount: entry.amount,
        fee,
        status: entry.status,
        at: entry.at,
        product: entry.order.product,
        description: entry.order.description,
        attach: entry.order.details.attach,
        details: entry.order.details,
      };
    });
}

function applyDiscrepancies(channel: SandboxChannelId, day: string, rows: BillRow[], discrepancies: readonly BillDiscrepancy[]): BillRow[] {
  let result = rows;
  const matches = (row: BillRow, key: string) => (row.kind === 'refund' ? row.refundNo === key : row.orderKey === key);
  discrepancies.forEach((discrepancy, index) => {
    switch (discrepancy.kind) {
      case 'missing':
        result = result.filter((row) => !matches(row, discrepancy.key));
        break;
      case 'extra': {
        const template = result[0];
        const at = template?.at ?? billDayNoon(day);
        const key = discrepancy.key ?? `X${day.replaceAll('-', '')}${String(index).padStart(6, '0')}`;
        result = [
          ...result,
          {
            kind: 'payment',
            merchant: template?.merchant ?? '',
            orderKey: key,
            tradeNo: `${key}T`,
            amount: discrepancy.amount,
            fee: feeCharged(channel, discrepancy.amount, SANDBOX_FEE_TERMS[channel]),
            status: template?.status ?? 'SUCCESS',
            at,
            product: template?.product ?? '',
            description: 'extra line',
            details: {},
          },
        ];
        break;
      }
      case 'amount':
        result = result.map((row) => (matches(row, discrepancy.key) ? { ...row, amount: Math.max(1, row.amount + discrepancy.delta) } : row));
        break;
      case 'fee':
        result = result.map((row) => (matches(row, discrepancy.key) ? { ...row, fee: Math.max(0, row.fee + discrepancy.delta) } : row));
        break;
      case 'status':
        result = result.map((row) => (matches(row, discrepancy.key) ? { ...row, status: discrepancy.status } : row));
        break;
    }
  });
  return result;
}

/** Noon, Beijing time, of a clearing day: where an extra line goes when the bill is otherwise empty. */
function billDayNoon(day: string): Date {
  return new Date(`${day}T12:00:00+08:00`);
}
