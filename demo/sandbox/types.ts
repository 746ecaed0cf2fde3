// The channel sandbox's frame: a stand-in for each channel on its own origin, speaking the channel's real paths,
// signatures and error codes, with the customer-facing pages and notifications. Each channel is one folder that
// implements ChannelSandbox; the registry is a Record so a missing channel is a type error.

import type { Hono } from 'hono';
import type { SandboxSecrets } from '../credentials.ts';
import type { BillDiscrepancyBook, BillEntry } from './bills.ts';
import type { FaultBook } from './faults.ts';
import type { Notifier } from './notifier.ts';
import type { OrderBook } from './order-book.ts';

export const SANDBOX_CHANNELS = ['wechatpay', 'alipay', 'unionpay'] as const;
export type SandboxChannelId = (typeof SANDBOX_CHANNELS)[number];

export interface SandboxContext {
  readonly secrets: SandboxSecrets;
  readonly orders: OrderBook;
  readonly notifier: Notifier;
  /** Scripted faults per order: delivery faults are the notifier's; the rest each channel must act out. */
  readonly faults: FaultBook;
  /** The sandbox's own base URL (pages, QR targets). */
  readonly publicUrl: string;
  /** The channel's clock: expiry and timestamps are judged by it; tests move it forward. */
  readonly clock: SandboxClock;
  /** Discrepancies injected into the channels' daily bills (see bills.ts `dayBill`). */
  readonly bills: BillDiscrepancyBook;
}

export class SandboxClock {
  #offsetMs = 0;
  constructor(private readonly base: () => Date = () => new Date()) {}
  now(): Date {
    return new Date(this.base().getTime() + this.#offsetMs);
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}

export interface ChannelSandbox {
  readonly id: SandboxChannelId;
  /** The channel's API paths and customer pages, mounted at the sandbox's root (real paths do not collide). */
  readonly app: Hono;
  /** What the control page's buttons do: the customer pays, the payment fails, the customer walks away. */
  pay(orderKey: string): Promise<void>;
  fail(orderKey: string): Promise<void>;
  abandon(orderKey: string): Promise<void>;
  /** Every successful payment and refund the channel has made, for its daily bills (bills.ts `dayBill` picks a day). */
  billEntries(): BillEntry[];
}
