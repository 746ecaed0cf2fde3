// Paying: the customer's chosen option becomes a payment attempt at the channel and a next action for the widget.
// The BFF re-decides eligibility for this request's terminal; the widget's word is never taken for it.

import { RULEBOOK, UNKNOWN, cleanDescription, newChannelOrderNumber, type ChannelId } from '../../shared/channels/index.ts';
import { eligibility } from '../../shared/eligibility/index.ts';
import { feeCharged } from '../../shared/fees/index.ts';
import type { MerchantSettings, Option, PayAction } from '../../shared/schemas/index.ts';
import type { Terminal } from '../../shared/terminal/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { attemptsOf, insertAttempt, transitionAttempt, type AttemptRow } from '../store/attempts.ts';
import { transitionOrder, type MerchantRow, type OrderRow } from '../store/orders.ts';
import { createSession } from '../store/sessions.ts';
import { QUERY_LADDER_SECONDS, jitter } from '../jobs/backoff.ts';
import { schedule } from '../jobs/queue.ts';
import { after } from '../jobs/worker.ts';

/** The fee `channel` charges on `amount` under the merchant's contracted terms; null when none are configured. */
export function contractedFee(merchant: MerchantRow, channel: ChannelId, amount: number): number | null {
  const terms = merchant.settings.fees?.[channel];
  return terms ? feeCharged(channel, amount, terms) : null;
}

/** The merchant's settings narrowed to this order and to the channels this BFF has adapters for. */
export function orderSettings(deps: Deps, merchant: MerchantRow, order: OrderRow): MerchantSettings {
  const listed = order.channels;
  return {
    channels: merchant.settings.channels.filter(
      (channel) => deps.adapters[channel.id] !== undefined && (listed === null || listed.includes(channel.id)),
    ),
    installments: order.installments ?? merchant.settings.installments ?? [],
    creditCardsAllowed: order.credit_cards_allowed ?? merchant.settings.creditCardsAllowed ?? true,
  };
}

export function optionsFor(deps: Deps, merchant: MerchantRow, order: OrderRow, terminal: Terminal, appChannels?: readonly ChannelId[]) {
  return eligibility({
    terminal: terminal.kind,
    order: { amount: order.amount, currency: order.currency },
    settings: orderSettings(deps, merchant, order),
    ...(deps.health ? { health: deps.health.snapshot() } : {}),
    ...(appChannels ? { appChannels } : {}),
  });
}

export interface PayInput {
  readonly optionId: string;
  readonly terminal: Terminal;
  readonly appChannels?: readonly ChannelId[] | undefined;
  readonly returnUrl?: string | undefined;
  readonly payerIp?: string | undefined;
  readonly openid?: string | undefined;
}

export interface PayResult {
  readonly attemptId: string | null;
  readonly action: PayAction;
}

export async function pay(deps: Deps, merchant: MerchantRow, order: OrderRow, input: PayInput): Promise<PayResult> {
  if (order.status !== 'open' && order.status !== 'paying') {
    throw new ApiError(409, 'order_not_payable', `the order is ${order.status}`);
  }
  const now = deps.now();
  if (order.expires_at.getTime() <= now.getTime()) throw new ApiError(409, 'order_expired', 'the order has expired');
  const option = optionsFor(deps, merchant, order, input.terminal, input.appChannels).options.find((o) => o.id === input.optionId);
  if (!option) {
    throw new ApiError(422, 'option_not_available', `${input.optionId} is not offered to this terminal for this order`, 'optionId');
  }
  if (option.action === 'handoff') return handoff(deps, order, option);

  const adapter = deps.adapters[option.channel];
  if (!adapter || option.product === null) throw new ApiError(422, 'option_not_available', `${option.channel} cannot be paid here`, 'optionId');

  // A second tap on the same option reuses its live attempt rather than opening another channel order.
  const live = (await attemptsOf(deps.db, order.id)).find(
    (attempt) => attempt.option_id === option.id && attempt.status === 'pending' && attempt.action !== null && attempt.expires_at > now,
  );
  if (live?.action) return { attemptId: live.id, action: live.action };

  const attempt = await deps.db.transaction(async (tx) => {
    const created = await insertAttempt(tx, order, {
      channel: option.channel,
      product: option.product as string,
      optionId: option.id,
      installment: option.installment,
      // A new channel order number per attempt: a changed installment plan needs one (Huabei), and so does a retry.
      channelOrderNo: newChannelOrderNumber([option.channel], now),
      expiresAt: attemptExpiry(option.channel, order.expires_at, now),
      // Fixed now, by the terms in force: reconciliation compares the bill's fee with it, refunds return from it.
      feeCharged: contractedFee(merchant, option.channel, order.amount),
    });
    if (order.status === 'open') await transitionOrder(tx, order.id, 'paying', { event: 'order.paying' });
    // Written with the attempt: should this process die before the channel answers, the query still happens.
    await schedule(tx, 'query-attempt', created.id, after(deps, jitter(QUERY_LADDER_SECONDS[0])));
    return created;
  });

  const outcome = await adapter.pay({
    product: option.product,
    channelOrderNo: attempt.channel_order_no,
    amount: order.amount,
    currency: order.currency,
    description: cleanDescription(option.channel, order.subject).text,
    attach: order.attach ?? undefined,
    expiresAt: attempt.expires_at,
    notifyUrl: `${deps.publicUrl}/notify/${option.channel}`,
    returnUrl: input.returnUrl,
    payer: { ip: input.payerIp, openid: input.openid, os: input.terminal.os },
    ...(option.installment
      ? { installment: { provider: option.installment.provider, periods: option.installment.periods, feeBearer: option.installment.feeBearer } }
      : {}),
    creditCardsAllowed: order.credit_cards_allowed ?? merchant.settings.creditCardsAllowed ?? true,
  });
  return settlePayOutcome(deps, order, attempt, outcome);
}

async function settlePayOutcome(
  deps: Deps,
  order: OrderRow,
  attempt: AttemptRow,
  outcome: Awaited<ReturnType<NonNullable<Deps['adapters'][ChannelId]>['pay']>>,
): Promise<PayResult> {
  switch (outcome.kind) {
    case 'action':
      await deps.db.transaction(async (tx) => {
        await transitionAttempt(tx, order.merchant_id, attempt.id, 'pending', {
          action: outcome.action,
          ...(outcome.channelTradeNo ? { channelTradeNo: outcome.channelTradeNo } : {}),
        });
        await schedule(tx, 'query-attempt', attempt.id, after(deps, jitter(QUERY_LADDER_SECONDS[0])));
      });
      return { attemptId: attempt.id, action: outcome.action };
    case 'failed':
      await deps.db.transaction((tx) =>
        transitionAttempt(tx, order.merchant_id, attempt.id, 'failed', { failure: { code: outcome.code, message: outcome.message } }),
      );
      throw new ApiError(422, 'channel_refused', `${RULEBOOK[attempt.channel].name.en} refused the payment: ${outcome.message}`);
    case 'unknown':
      // Never `failed`: the channel may have taken the order. The query job settles it.
      await deps.db.transaction(async (tx) => {
        await transitionAttempt(tx, order.merchant_id, attempt.id, 'unknown');
        await schedule(tx, 'query-attempt', attempt.id, after(deps, jitter(QUERY_LADDER_SECONDS[0])));
      });
      throw new ApiError(503, 'channel_unavailable', `${RULEBOOK[attempt.channel].name.en} did not answer in time; try again or choose another option`);
  }
}

/** The attempt lives until the order expires, within what the channel accepts. */
function attemptExpiry(channel: ChannelId, orderExpiry: Date, now: Date): Date {
  const { maxSeconds, minSeconds } = RULEBOOK[channel].expiry;
  let at = orderExpiry.getTime();
  if (maxSeconds !== UNKNOWN) at = Math.min(at, now.getTime() + maxSeconds * 1000);
  if (minSeconds !== UNKNOWN) at = Math.max(at, now.getTime() + minSeconds * 1000);
  return new Date(Math.floor(at / 1000) * 1000);
}

/** A hand-off: a fresh cashier session for the same order, to continue in a browser or on another device. */
async function handoff(deps: Deps, order: OrderRow, option: Option): Promise<PayResult> {
  const session = await createSession(deps.db, order.id, order.expires_at);
  const url = `${deps.publicUrl}/checkout?session=${encodeURIComponent(session.token)}&channel=${option.channel}`;
  return { attemptId: null, action: { kind: 'handoff', url, channel: option.channel } };
}
