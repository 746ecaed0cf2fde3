// The sandbox's Alipay trades, kept in the shared OrderBook: when a trade comes to exist, WAIT_BUYER_PAY →
// TRADE_SUCCESS | TRADE_CLOSED, expiry judged on the sandbox clock, and the same out_trade_no met again
// (channel-protocols.md §2.4, §2.6, §2.7). Every change a customer or merchant makes goes through here.

import { randomInt } from 'node:crypto';
import { formatYuan } from '../../../shared/money/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { business, type Failure } from './protocol.ts';
import { fingerprintOf, type PayMethod, type PayTerms } from './terms.ts';

/** The one buyer of the sandbox, when the request names none (Alipay masks the logon id like this, §2.3 A1). */
export const SANDBOX_BUYER = { id: '2088000000000042', logonId: 'buy***@sandbox.example' } as const;

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

const STATUS: Record<SandboxOrder['status'], TradeStatus> = {
  pending: 'WAIT_BUYER_PAY',
  // Alipay has no failed trade: a failed attempt at the cashier leaves the trade waiting for another try.
  failed: 'WAIT_BUYER_PAY',
  paid: 'TRADE_SUCCESS',
  closed: 'TRADE_CLOSED',
};

export function tradeStatusOf(order: SandboxOrder): TradeStatus {
  return STATUS[order.status];
}

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += String(randomInt(10));
  return out;
}

export class AlipayTrades {
  readonly appId: string;
  /** The merchant's PID (2088…), derived from the app id so it stays the same across restarts. */
  readonly sellerId: string;
  readonly #context: SandboxContext;

  constructor(context: SandboxContext) {
    this.#context = context;
    this.appId = context.secrets.alipay.appId;
    this.sellerId = `2088${this.appId.slice(-12).padStart(12, '0')}`;
  }

  now(): Date {
    return this.#context.clock.now();
  }

  /** The trade as it stands now on the sandbox clock (an unpaid trade past its expiry is closed). */
  get(outTradeNo: string): SandboxOrder | undefined {
    return this.#refresh(this.#context.orders.get('alipay', outTradeNo));
  }

  byTradeNo(tradeNo: string): SandboxOrder | undefined {
    return this.#refresh(this.#context.orders.byTradeNo('alipay', tradeNo));
  }

  byQrCode(code: string): SandboxOrder | undefined {
    return this.#refresh(this.#context.orders.list().find((order) => order.channel === 'alipay' && order.details.qr_code === code));
  }

  /**
   * Whether Alipay would admit the trade exists. A face-to-face QR trade is created only when a buyer scans the code:
   * before that alipay.trade.query answers ACQ.TRADE_NOT_EXIST (3P: V2EX, summarised at news.fishai.com.cn/news/4471614).
   */
  isVisible(order: SandboxOrder): boolean {
    return order.details.visible !== 'false';
  }

  /** A buyer scanned the QR code, opened the cashier or tried to pay: the trade now exists at Alipay. */
  reveal(order: SandboxOrder): void {
    if (this.isVisible(order)) return;
    order.details.visible = 'true';
    this.#context.orders.update(order, {});
  }

  /**
   * The trade for these terms: the existing one when the out_trade_no comes again with the same key terms and is still
   * unpaid, a new one otherwise. A difference in amount, subject or Huabei plan is ACQ.CONTEXT_INCONSISTENT; a paid
   * or closed trade refuses a new attempt (ACQ.TRADE_HAS_SUCCESS, ACQ.TRADE_HAS_CLOSE).
   */
  open(method: PayMethod, terms: PayTerms, options: { readonly notifyUrl?: string | undefined; readonly returnUrl?: string | undefined; readonly visible: boolean }): SandboxOrder | Failure {
    const existing = this.get(terms.outTradeNo);
    if (existing) {
      if (existing.details.fingerprint !== fingerprintOf(terms)) return business.contextInconsistent();
      if (existing.status === 'paid') return business.tradeHasSuccess();
      if (existing.status === 'closed') return business.tradeHasClose();
      if (options.visible) this.reveal(existing);
      return existing;
    }
    const now = this.now();
    const details: Record<string, string> = {
      method,
      total_amount: formatYuan(terms.amount),
      fingerprint: fingerprintOf(terms),
      visible: options.visible ? 'true' : 'false',
      failures: '0',
    };
    const optional: Record<string, string | undefined> = {
      product_code: terms.productCode,
      body: terms.body,
      passback_params: terms.passbackParams,
      hb_fq_num: terms.hbFqNum,
      hb_fq_seller_percent: terms.hbFqSellerPercent,
      disable_pay_channels: terms.disablePayChannels,
      buyer_id: terms.buyerId,
      buyer_open_id: terms.buyerOpenId,
    };
    for (const [key, value] of Object.entries(optional)) if (value !== undefined) details[key] = value;
    if (method === 'alipay.trade.precreate') details.qr_code = `bax${digits(20)}`;
    const order: SandboxOrder = {
      channel: 'alipay',
      key: terms.outTradeNo,
      merchant: this.appId,
      product: method,
      amount: terms.amount,
      currency: 'CNY',
      description: terms.subject,
      tradeNo: this.#newTradeNo(now),
      createdAt: now.toISOString(),
      expiresAt: terms.expiresAt.toISOString(),
      notifyUrl: options.notifyUrl,
      returnUrl: options.returnUrl,
      status: 'pending',
      details,
    };
    this.#context.orders.add(order);
    return order;
  }

  /** The buyer pays: TRADE_SUCCESS now, on the sandbox clock. False when the trade cannot be paid any more. */
  pay(order: SandboxOrder): boolean {
    if (this.#refresh(order)?.status !== 'pending') return false;
    order.details.visible = 'true';
    order.details.notify_id = `${formatBeijingTime(this.now()).replace(/\D/g, '').slice(0, 8)}${digits(26)}`;
    if (!order.details.buyer_id && !order.details.buyer_open_id) order.details.buyer_id = SANDBOX_BUYER.id;
    this.#context.orders.update(order, { status: 'paid', paidAt: this.now().toISOString() });
    return true;
  }

  /**
   * A payment attempt fails (a declined card, not enough balance). Alipay's trade states have no "failed": the trade
   * stays WAIT_BUYER_PAY and the buyer may try again until time_expire (§2.6 states; ACQ.PAYMENT_FAIL is an answer
   * to the attempt, not a trade state).
   */
  fail(order: SandboxOrder): boolean {
    if (this.#refresh(order)?.status !== 'pending') return false;
    order.details.visible = 'true';
    order.details.failures = String(Number(order.details.failures ?? '0') + 1);
    order.details.last_failure = 'ACQ.PAYMENT_FAIL';
    this.#context.orders.update(order, {});
    return true;
  }

  /**
   * alipay.trade.close. An unpaid trade closes; a paid one is refused with ACQ.TRADE_STATUS_ERROR, and so is one
   * already closed. A QR nobody scanned closes too (real Alipay answers ACQ.TRADE_NOT_EXIST there, yet refuses the
   * later scan; see index.ts on this deviation).
   */
  close(order: SandboxOrder): Failure | undefined {
    if (this.#refresh(order)?.status !== 'pending') return business.tradeStatusError();
    order.details.closed_reason = 'closed by the merchant';
    order.details.visible = 'true';
    this.#context.orders.update(order, { status: 'closed' });
    return undefined;
  }

  #refresh(order: SandboxOrder | undefined): SandboxOrder | undefined {
    if (order?.status === 'pending' && order.expiresAt !== undefined && Date.parse(order.expiresAt) <= this.now().getTime()) {
      // "该笔订单允许的最晚付款时间，逾期将关闭交易" (§2.6): TRADE_CLOSED once time_expire passes unpaid.
      order.details.closed_reason = 'expired unpaid';
      this.#context.orders.update(order, { status: 'closed' });
    }
    return order;
  }

  /** 28 digits like Alipay's ("2013112011001004330000121536"): the Beijing date, then digits. */
  #newTradeNo(now: Date): string {
    const day = formatBeijingTime(now).slice(0, 10).replaceAll('-', '');
    for (;;) {
      const tradeNo = `${day}22001${digits(15)}`;
      if (!this.#context.orders.byTradeNo('alipay', tradeNo)) return tradeNo;
    }
  }
}
