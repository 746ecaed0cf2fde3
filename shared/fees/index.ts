// Fees: what a channel charges on a payment, and what it gives back with each refund, by the rules of the
// channel article's refund table (一.4, DESIGN.md §5). All arithmetic is exact; rounding is half up to 0.01.

import { RULEBOOK, type ChannelId } from '../channels/index.ts';
import { RuleError } from '../errors/index.ts';
import {
  assertMinorUnits,
  isBelowOneUnit,
  parseRate,
  roundHalfUp,
  share,
  sum,
  times,
  type Ratio,
} from '../money/index.ts';

export interface FeeTerms {
  /** The percentage part as a decimal fraction: "0.006" is 0.6 %. */
  readonly rate: string;
  /** A fixed part per transaction, in minor units (PayPal). */
  readonly fixedFee?: number | undefined;
}

export interface PaymentFee extends FeeTerms {
  readonly amount: number;
  /** The fee actually charged on the payment, in minor units. */
  readonly fee: number;
  /** WeChat Pay only: the merchant's fund flow; the new one is the default. */
  readonly fundFlow?: 'old' | 'new' | undefined;
}

/** The fee charged on a payment: amount × rate half up, plus the fixed part; UnionPay charges at least 0.08. */
export function feeCharged(channel: ChannelId, amount: number, terms: FeeTerms): number {
  assertMinorUnits(amount);
  const fixed = terms.fixedFee ?? 0;
  assertMinorUnits(fixed, 'fixedFee');
  const fee = roundHalfUp(times(amount, parseRate(terms.rate))) + fixed;
  const policy = RULEBOOK[channel].refund.fee;
  return policy.kind === 'rate' && policy.minimumFee !== undefined ? Math.max(fee, policy.minimumFee) : fee;
}

/**
 * The fee returned (minor units) with each refund of a sequence, by the channel's rule. The total returned never
 * exceeds the fee charged. Throws a RuleError for a channel whose rule nobody knows, or refunds past the amount.
 */
export function feeRefunds(channel: ChannelId, payment: PaymentFee, refunds: readonly number[]): number[] {
  const { amount, fee } = payment;
  assertMinorUnits(amount);
  assertMinorUnits(fee, 'fee');
  refunds.forEach((refund, i) => {
    assertMinorUnits(refund, `refunds[${i}]`);
    if (refund === 0) throw new RuleError('invalid_refund', `refunds[${i}] is zero`, `refunds[${i}]`);
  });
  if (sum(refunds) > amount) {
    throw new RuleError('refund_exceeds_payment', `refunds add up to ${sum(refunds)}, more than the ${amount} paid`, 'refunds');
  }
  const policy = RULEBOOK[channel].refund.fee;
  const rate = () => parseRate(payment.rate);

  switch (policy.kind) {
    case 'none':
      return refunds.map(() => 0);
    case 'unknown':
      throw new RuleError('fee_rule_unknown', `no source says whether ${channel} returns fees on refunds`, 'channel');
    case 'rate': {
      // UnionPay's "minimum fee 0.08" (article 一.4) is read as: the merchant keeps at least the minimum fee
      // per transaction, so returns stop at fee − min(0.08, fee). [UNVERIFIED: no channel document found.]
      const keep = policy.minimumFee === undefined ? 0 : Math.min(policy.minimumFee, fee);
      return capped(fee - keep, refunds, (refund) =>
        piece(times(refund, rate()), policy.pieceBelowOneUnitReturnsNothing === true && refund < amount),
      );
    }
    case 'proportional':
      return capped(fee, refunds, (refund) =>
        piece(share(fee, refund, amount), policy.pieceBelowOneUnitReturnsNothing && refund < amount),
      );
    case 'percentage-part': {
      const fixed = payment.fixedFee ?? 0;
      assertMinorUnits(fixed, 'fixedFee');
      if (fixed > fee) throw new RuleError('invalid_fee', `the fixed fee ${fixed} is more than the fee ${fee}`, 'fixedFee');
      return capped(fee - fixed, refunds, (refund) => roundHalfUp(times(refund, rate())));
    }
    case 'per-transaction-or-net':
      // Per-transaction mode: each refund carries a negative fee line of rate × refund. Net mode nets the day's
      // payments and refunds before applying the rate and has no per-refund figure; the article advises against it.
      return capped(fee, refunds, (refund) => roundHalfUp(times(refund, rate())));
    case 'wechat-fund-flow': {
      const flow = payment.fundFlow ?? policy.defaultFundFlow;
      let refunded = 0;
      return capped(fee, refunds, (refund, returned) => {
        refunded += refund;
        // New fund flow: pieces as in the old flow, and once the order is fully refunded the whole fee is back.
        if (flow === 'new' && refunded === amount) return fee - returned;
        return roundHalfUp(times(refund, rate()));
      });
    }
  }
}

/** A refund's piece of the fee, rounded half up; nothing when the rule says a piece below 0.01 returns nothing. */
function piece(exact: Ratio, belowOneUnitReturnsNothing: boolean): number {
  return belowOneUnitReturnsNothing && isBelowOneUnit(exact) ? 0 : roundHalfUp(exact);
}

/** Applies `compute` to each refund in turn, never letting the running total pass `limit`. */
function capped(limit: number, refunds: readonly number[], compute: (refund: number, returned: number) => number): number[] {
  let returned = 0;
  return refunds.map((refund) => {
    const next = Math.max(0, Math.min(compute(refund, returned), limit - returned));
    returned += next;
    return next;
  });
}
