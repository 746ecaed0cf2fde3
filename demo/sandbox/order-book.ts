// The sandbox's own record of channel orders, the channel's side of the truth. Kept in memory, and in a JSON file
// when given one, so that a restarted demo still answers queries about yesterday's orders.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SandboxChannelId } from './types.ts';

export type SandboxOrderStatus = 'pending' | 'paid' | 'failed' | 'closed';

export interface SandboxOrder {
  readonly channel: SandboxChannelId;
  /** The merchant's order number at the channel (out_trade_no, orderId). */
  readonly key: string;
  /** The merchant's account at the channel (mchid, app_id, merId). */
  readonly merchant: string;
  readonly product: string;
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  /** The channel's own transaction number. */
  readonly tradeNo: string;
  readonly createdAt: string;
  readonly expiresAt?: string | undefined;
  readonly notifyUrl?: string | undefined;
  readonly returnUrl?: string | undefined;
  status: SandboxOrderStatus;
  paidAt?: string | undefined;
  /** Channel-specific request details the sandbox needs later (attach, installment plan, openid, txnTime…). */
  readonly details: Record<string, string>;
}

export class OrderBook {
  readonly #orders = new Map<string, SandboxOrder>();
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
    if (file && existsSync(file)) {
      for (const order of JSON.parse(readFileSync(file, 'utf8')) as SandboxOrder[]) this.#orders.set(id(order.channel, order.key), order);
    }
  }

  get(channel: SandboxChannelId, key: string): SandboxOrder | undefined {
    return this.#orders.get(id(channel, key));
  }

  byTradeNo(channel: SandboxChannelId, tradeNo: string): SandboxOrder | undefined {
    return [...this.#orders.values()].find((order) => order.channel === channel && order.tradeNo === tradeNo);
  }

  /** Adds an order; false when the merchant already used this order number at this channel. */
  add(order: SandboxOrder): boolean {
    if (this.#orders.has(id(order.channel, order.key))) return false;
    this.#orders.set(id(order.channel, order.key), order);
    this.#save();
    return true;
  }

  update(order: SandboxOrder, change: Partial<Pick<SandboxOrder, 'status' | 'paidAt'>>): SandboxOrder {
    Object.assign(order, change);
    this.#save();
    return order;
  }

  list(): SandboxOrder[] {
    return [...this.#orders.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  #save(): void {
    if (this.#file) writeFileSync(this.#file, JSON.stringify([...this.#orders.values()]));
  }
}

function id(channel: string, key: string): string {
  return `${channel}:${key}`;
}
