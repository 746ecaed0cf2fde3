// The shop's own records, as a merchant system keeps them: its orders (lines, total, the cashier's order id), the
// verified webhooks each received, its refunds and the fees the cashier reported. One JSON file, written whole to a
// temporary file and renamed over the old one (never half-written), one write at a time. The shop never reads the
// BFF's database: what it knows comes from the merchant API's answers and from signed webhooks.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type ShopOrderStatus = 'open' | 'paying' | 'succeeded' | 'closed' | 'failed';
export type ShopRefundStatus = 'requested' | 'pending' | 'processing' | 'unknown' | 'succeeded' | 'failed';

export interface ShopLine {
  readonly teaId: string;
  readonly name: string;
  readonly unitPrice: number;
  readonly quantity: number;
  readonly amount: number;
}

export interface WebhookReceipt {
  readonly eventId: string;
  readonly type: string;
  readonly objectType: string;
  readonly objectVersion: number;
  /** The signature's timestamp (Unix seconds), checked within five minutes. */
  readonly signedAt: number;
  readonly receivedAt: string;
}

export interface ShopRefund {
  readonly merchantRefundNo: string;
  id?: string;
  amount: number;
  reason?: string;
  status: ShopRefundStatus;
  /** `merchant` for the shop's own refunds, `auto` for the cashier's (a duplicate or late payment). */
  origin: string;
  feeCharged?: number | null;
  feeReturned?: number | null;
  failure?: string;
  /** The refund object's version as last applied: older news never overwrites newer. */
  version: number;
  createdAt: string;
}

export interface ShopOrder {
  /** The shop's order number, also the merchantOrderNo it gives the cashier. */
  readonly no: string;
  readonly lines: readonly ShopLine[];
  /** Fen. */
  readonly total: number;
  readonly currency: 'CNY';
  readonly createdAt: string;
  cashierOrderId?: string;
  status: ShopOrderStatus;
  /** The cashier order's version as last applied. */
  version: number;
  paidAt?: string;
  channel?: string;
  channelOrderNo?: string;
  fees?: { charged: number; returned: number; kept: number };
  webhooks: WebhookReceipt[];
  refunds: ShopRefund[];
  /** Bumped on every change: the order page's live view asks for news by it. */
  revision: number;
}

/** A webhook as the cashier sends it (README, Merchant webhooks), after its signature was verified. */
export interface CashierEvent {
  readonly id: string;
  readonly type: string;
  readonly createdAt: string;
  readonly object: { readonly type: string; readonly id: string; readonly version: number };
  readonly orderId: string | null;
  readonly data: Record<string, unknown>;
}

export type EventOutcome = 'applied' | 'duplicate' | 'not-ours';

interface FileShape {
  orders: ShopOrder[];
}

export class ShopStore {
  readonly #file: string;
  readonly #orders = new Map<string, ShopOrder>();
  #writing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(file: string) {
    this.#file = file;
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const order of (JSON.parse(readFileSync(file, 'utf8')) as FileShape).orders) this.#orders.set(order.no, order);
    }
  }

  get(no: string): ShopOrder | undefined {
    return this.#orders.get(no);
  }

  byCashierId(id: string): ShopOrder | undefined {
    for (const order of this.#orders.values()) if (order.cashierOrderId === id) return order;
    return undefined;
  }

  /** Newest first. */
  list(): ShopOrder[] {
    return [...this.#orders.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.no.localeCompare(a.no));
  }

  async add(order: ShopOrder): Promise<void> {
    if (this.#orders.has(order.no)) throw new Error(`order ${order.no} exists`);
    this.#orders.set(order.no, order);
    await this.save();
  }

  /**
   * Changes an order in memory, bumps its revision and writes the file; resolves once it is on disk. A change that
   * answers `false` changed nothing: no revision, no write.
   */
  async update(no: string, change: (order: ShopOrder) => boolean | void): Promise<ShopOrder> {
    const order = this.#orders.get(no);
    if (!order) throw new Error(`no order ${no}`);
    if (change(order) === false) return order;
    order.revision += 1;
    await this.save();
    return order;
  }

  /**
   * Applies a verified webhook: recorded once per event id (a redelivery changes nothing), and its object applied
   * only when its version is newer than what the shop holds (deliveries may come out of order).
   */
  async applyEvent(event: CashierEvent, signedAt: number, now: Date): Promise<EventOutcome> {
    const order = event.orderId ? this.byCashierId(event.orderId) : undefined;
    if (!order) return 'not-ours';
    if (order.webhooks.some((receipt) => receipt.eventId === event.id)) return 'duplicate';
    await this.update(order.no, (target) => {
      target.webhooks.push({
        eventId: event.id,
        type: event.type,
        objectType: event.object.type,
        objectVersion: event.object.version,
        signedAt,
        receivedAt: now.toISOString(),
      });
      if (event.object.type === 'order') applyOrder(target, event.data.order, event.object.version);
      if (event.type === 'order.succeeded') {
        target.paidAt ??= event.createdAt;
        if (typeof event.data.channel === 'string') target.channel = event.data.channel;
      }
      if (event.object.type === 'refund') applyRefund(target, event.data.refund, event.object.version);
    });
    return 'applied';
  }

  /** Writes the whole file atomically; calls made while a write runs share the next one. */
  save(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#writing.then(async () => {
      this.#queued = undefined;
      const body = JSON.stringify({ orders: [...this.#orders.values()] } satisfies FileShape, null, 1);
      const temporary = `${this.#file}.${process.pid}.tmp`;
      await writeFile(temporary, body, { mode: 0o600 });
      await rename(temporary, this.#file);
    });
    this.#queued = next;
    this.#writing = next.catch(() => undefined);
    return next;
  }
}

/** The cashier's order (a webhook's `data.order` or `GET /v1/orders/:id`) onto the shop's, if it is newer. */
export function applyOrder(target: ShopOrder, value: unknown, version: number): boolean {
  if (!isRecord(value) || version <= target.version) return false;
  if (isOrderStatus(value.status)) target.status = value.status;
  target.version = version;
  return true;
}

/**
 * The fees the cashier reports on a paid order (`GET /v1/orders/:id`). A refund's settling changes them without a new
 * order version, so they are taken from any fresh read — but the fee returned only grows, so a read that started
 * before a refund settled does not undo it.
 */
export function applyFees(target: ShopOrder, value: unknown): boolean {
  if (!isRecord(value) || typeof value.charged !== 'number' || typeof value.returned !== 'number' || typeof value.kept !== 'number') return false;
  const current = target.fees;
  if (current && (value.returned < current.returned || (value.returned === current.returned && value.charged === current.charged))) return false;
  target.fees = { charged: value.charged, returned: value.returned, kept: value.kept };
  return true;
}

/** What the shop's refunds have returned to the customer (settled ones). */
export function refundedAmount(order: ShopOrder): number {
  return order.refunds.filter((refund) => refund.status === 'succeeded').reduce((total, refund) => total + refund.amount, 0);
}

/** What is left to refund: the total less every refund that has not failed (a refund in flight holds its amount). */
export function refundableAmount(order: ShopOrder): number {
  if (order.status !== 'succeeded') return 0;
  return order.total - order.refunds.filter((refund) => refund.status !== 'failed').reduce((total, refund) => total + refund.amount, 0);
}

const REFUND_RANK: Record<ShopRefundStatus, number> = { requested: 0, pending: 1, processing: 2, unknown: 2, succeeded: 3, failed: 3 };

/**
 * A refund from a webhook (with its version) or from the merchant API (which gives none) onto the shop's record of
 * it, if it is newer; a new one is added. Without a version, a status never moves backwards: an answer read before a
 * webhook arrived must not undo it.
 */
export function applyRefund(target: ShopOrder, value: unknown, version: number | undefined): boolean {
  if (!isRecord(value) || typeof value.merchantRefundNo !== 'string' || typeof value.amount !== 'number') return false;
  let refund = target.refunds.find((r) => r.merchantRefundNo === value.merchantRefundNo || (r.id !== undefined && r.id === value.id));
  if (!refund) {
    refund = {
      merchantRefundNo: value.merchantRefundNo,
      amount: value.amount,
      status: 'pending',
      origin: typeof value.origin === 'string' ? value.origin : 'merchant',
      version: 0,
      createdAt: typeof value.createdAt === 'string' ? value.createdAt : new Date().toISOString(),
    };
    target.refunds.push(refund);
  }
  if (version !== undefined && version <= refund.version) return false;
  if (isRefundStatus(value.status)) {
    if (version === undefined && REFUND_RANK[value.status] < REFUND_RANK[refund.status]) return false;
    refund.status = value.status;
  }
  if (typeof value.id === 'string') refund.id = value.id;
  if (typeof value.reason === 'string') refund.reason = value.reason;
  if (typeof value.feeCharged === 'number' || value.feeCharged === null) refund.feeCharged = value.feeCharged;
  if (typeof value.feeReturned === 'number' || value.feeReturned === null) refund.feeReturned = value.feeReturned;
  if (typeof value.failure === 'string') refund.failure = value.failure;
  if (version !== undefined) refund.version = version;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOrderStatus(value: unknown): value is ShopOrderStatus {
  return typeof value === 'string' && ['open', 'paying', 'succeeded', 'closed', 'failed'].includes(value);
}

function isRefundStatus(value: unknown): value is ShopRefundStatus {
  return typeof value === 'string' && ['pending', 'processing', 'unknown', 'succeeded', 'failed'].includes(value);
}
