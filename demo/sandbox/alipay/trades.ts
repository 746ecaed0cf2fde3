// The sandbox's Alipay trades, kept in the shared OrderBook: when a trade comes to exist, WAIT_BUYER_PAY →
// TRADE_SUCCESS | TRADE_CLOSED (→ TRADE_FINISHED once the refund window ends), expiry judged on the sandbox clock, the
// same out_trade_no met again, and refunds by out_request_no (channel-protocols.md §2.4, §2.6–2.8). Every change a
// customer or merchant makes goes through here.

import { randomInt } from 'node:crypto';
import { RULEBOOK, UNKNOWN, refundDeadline } from '../../../shared/channels/index.ts';
import { formatYuan } from '../../../shared/money/index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import type { SandboxOrder } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { business, failure, type Failure } from './protocol.ts';
import { fingerprintOf, type PayMethod, type PayTerms } from './terms.ts';

/** The one buyer of the sandbox, when the request names none (Alipay masks the logon id like this, §2.3 A1). */
export const SANDBOX_BUYER = { id: '2088000000000042', logonId: 'buy***@sandbox.example' } as const;

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED';

const STATUS: Record<SandboxOrder['status'], TradeStatus> = {
  pending: 'WAIT_BUYER_PAY',
  // Alipay has no failed trade: a failed attempt at the cashier leaves the trade waiting for another try.
  failed: 'WAIT_BUYER_PAY',
  paid: 'TRADE_SUCCESS',
  closed: 'TRADE_CLOSED',
};

/** The trade status by the order's state alone (AlipayTrades.statusOf adds the end of the refund window). */
export function tradeStatusOf(order: SandboxOrder): TradeStatus {
  return STATUS[order.status];
}

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += String(randomInt(10));
  return out;
}

/** 34 digits starting with the Beijing date, like "2019081500222155624068450559358070" (§2.3 A1). */
export function newNotifyId(now: Date): string {
  return `${formatBeijingTime(now).slice(0, 10).replaceAll('-', '')}${digits(26)}`;
}

/** One refund of a trade, kept (as JSON) in the order's details so a restarted sandbox still knows it. */
export interface SandboxRefund {
  /** out_request_no, or the trade_no for a whole refund asked without one (a logged notification's out_biz_no). */
  readonly outRequestNo: string;
  /** Fen. */
  readonly amount: number;
  readonly reason?: string;
  /** ISO time on the sandbox clock. */
  readonly at: string;
  /** The refund's own notification id (a refund notification is a new event, not a retry of the payment's). */
  readonly notifyId: string;
}

export interface RefundAsk {
  readonly outRequestNo: string | undefined;
  /** Fen, at least 1. */
  readonly amount: number;
  readonly reason: string | undefined;
}

export interface RefundDone {
  readonly refund: SandboxRefund;
  /** false for a repeat of an out_request_no already refunded: nothing moved this time (fund_change=N, §2.8). */
  readonly fundChange: boolean;
}

const MIN_REFUND_INTERVAL_MS = (RULEBOOK.alipay.refund.minIntervalSeconds === UNKNOWN ? 0 : RULEBOOK.alipay.refund.minIntervalSeconds) * 1000;

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
    // A default fault script (the control page's "every order made from now on") is this order's from its creation.
    this.#context.faults.for('alipay', order.key);
    return order;
  }

  /** The buyer pays: TRADE_SUCCESS now, on the sandbox clock. False when the trade cannot be paid any more. */
  pay(order: SandboxOrder): boolean {
    if (this.#refresh(order)?.status !== 'pending') return false;
    order.details.visible = 'true';
    order.details.notify_id = newNotifyId(this.now());
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

  /**
   * The trade's status as query and notifications report it: a paid trade whose refund window has passed is
   * TRADE_FINISHED ("交易结束，不可退款", §2.6; the window is the contract's, 3 months by default, §2.8).
   */
  statusOf(order: SandboxOrder): TradeStatus {
    const status = tradeStatusOf(order);
    if (status !== 'TRADE_SUCCESS' || order.paidAt === undefined) return status;
    return this.now().getTime() > this.refundDeadline(order).getTime() ? 'TRADE_FINISHED' : status;
  }

  /** The last instant a paid trade can be refunded, from its payment time on the sandbox clock. */
  refundDeadline(order: SandboxOrder): Date {
    const paidAt = new Date(order.paidAt ?? order.createdAt);
    const deadline = refundDeadline('alipay', paidAt);
    return deadline === UNKNOWN ? new Date(paidAt.getTime() + 90 * 86_400_000) : deadline;
  }

  refundsOf(order: SandboxOrder): readonly SandboxRefund[] {
    return order.details.refunds ? (JSON.parse(order.details.refunds) as SandboxRefund[]) : [];
  }

  /** Fen refunded so far: what Alipay calls refund_fee in its answers and notifications ("累计已经退款成功的金额"). */
  refundedOf(order: SandboxOrder, upTo?: SandboxRefund): number {
    const refunds = this.refundsOf(order);
    const last = upTo === undefined ? refunds.length : refunds.findIndex((refund) => refund.outRequestNo === upTo.outRequestNo) + 1;
    return refunds.slice(0, last).reduce((total, refund) => total + refund.amount, 0);
  }

  /**
   * alipay.trade.refund on a trade that exists (§2.8). The checks run in this order, so that a repeat is always
   * recognised and an amount error always named:
   * 1. no out_request_no: only the whole amount, and the refund takes the trade_no as its number
   *    (ACQ.REFUND_AMT_NOT_EQUAL_TOTAL; a logged whole refund notified out_biz_no = trade_no);
   * 2. a number already used: the same amount is that refund again, nothing moves (fund_change=N); another amount is
   *    ACQ.DISCORDANT_REPEAT_REQUEST — even on a trade closed by that very refund, or past its window;
   * 3. a trade never paid: ACQ.TRADE_STATUS_ERROR; past the refund window: ACQ.TRADE_NOT_ALLOW_REFUND;
   * 4. more than what is left: ACQ.REASON_TRADE_REFUND_FEE_ERR;
   * 5. less than 3 s after this trade's last refund (RULEBOOK minIntervalSeconds, [3P]): ACQ.SYSTEM_ERROR, which
   *    tells the caller "请使用相同的参数再次调用" — Alipay publishes no code for this, so the sandbox picks the one
   *    that sends a careful caller back with the same number later.
   * A refund that brings the total to the trade's amount closes the trade (TRADE_CLOSED, §2.6); a partial one
   * leaves it TRADE_SUCCESS.
   */
  refund(order: SandboxOrder, ask: RefundAsk): RefundDone | Failure {
    const refunds = this.refundsOf(order);
    if (ask.outRequestNo === undefined && ask.amount !== order.amount) return business.refundAmountNotEqualTotal();
    const outRequestNo = ask.outRequestNo ?? order.tradeNo;
    const existing = refunds.find((refund) => refund.outRequestNo === outRequestNo);
    if (existing) return existing.amount === ask.amount ? { refund: existing, fundChange: false } : business.discordantRepeatRequest();
    if (order.paidAt === undefined || order.status === 'pending' || order.status === 'failed') return business.refundTradeStatusError();
    const now = this.now();
    if (now.getTime() > this.refundDeadline(order).getTime()) return business.tradeNotAllowRefund();
    const refunded = this.refundedOf(order);
    if (refunded + ask.amount > order.amount) return business.refundFeeError();
    const last = refunds.at(-1);
    if (last && now.getTime() - Date.parse(last.at) < MIN_REFUND_INTERVAL_MS) {
      return failure('40004', 'ACQ.SYSTEM_ERROR', `系统错误 (sandbox: refunds of one trade must be ${MIN_REFUND_INTERVAL_MS / 1000} s apart; call again with the same parameters)`);
    }
    const refund: SandboxRefund = {
      outRequestNo,
      amount: ask.amount,
      ...(ask.reason === undefined ? {} : { reason: ask.reason }),
      at: now.toISOString(),
      notifyId: newNotifyId(now),
    };
    order.details.refunds = JSON.stringify([...refunds, refund]);
    if (refunded + ask.amount === order.amount) {
      order.details.closed_reason = 'refunded in full';
      this.#context.orders.update(order, { status: 'closed' });
    } else {
      this.#context.orders.update(order, {});
    }
    return { refund, fundChange: true };
  }

  #refresh(order: SandboxOrder | undefined): SandboxOrder | undefined {
    // The successAfterExpiry fault: a channel whose clock starts late keeps the trade open past our time_expire. Looked
    // up without `for`, which would hand a default script to trades made before it was set.
    if (order?.status === 'pending' && this.#context.faults.list()[`alipay:${order.key}`]?.successAfterExpiry === true) return order;
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
