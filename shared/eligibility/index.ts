// Which payment options can really work for this customer, on this terminal, for this order — ordered, with
// installment plans quoted exactly — and why every other channel is not offered (DESIGN.md §4). The BFF's
// answer is authoritative; the widget may run the same function to pre-filter.

import * as v from 'valibot';
import {
  CHANNEL_IDS,
  RULEBOOK,
  UNKNOWN,
  productsFor,
  type ChannelId,
  type Product,
  type TerminalKind,
} from '../channels/index.ts';
import { parseRate, roundHalfUp, times, type Currency } from '../money/index.ts';
import {
  MerchantSettingsSchema,
  installmentChannel,
  type InstallmentQuote,
  type InstallmentSettings,
  type MerchantSettings,
  type Option,
  type ReasonCode,
  type Unavailable,
} from '../schemas/index.ts';

export type ChannelHealth = 'up' | 'degraded' | 'down';

export interface EligibilityInput {
  readonly terminal: TerminalKind;
  readonly order: { readonly amount: number; readonly currency: Currency };
  readonly settings: MerchantSettings;
  readonly health?: Partial<Record<ChannelId, ChannelHealth>>;
  /** Inside the merchant's app: the SDK channels its bridge reports; absent means it did not say. */
  readonly appChannels?: readonly ChannelId[];
}

export interface Eligibility {
  readonly options: Option[];
  readonly unavailable: Unavailable[];
}

/** The wallet that belongs to a host client and comes first there. */
const HOME_CHANNEL: Partial<Record<TerminalKind, ChannelId>> = { wechat: 'wechatpay', miniprogram: 'wechatpay', alipay: 'alipay' };

/** Terminals that are another company's client: other channels can only continue elsewhere (a hand-off). */
const CLOSED_CLIENT: Partial<Record<TerminalKind, string>> = { wechat: 'WeChat', alipay: 'the Alipay client' };

export function eligibility(input: EligibilityInput): Eligibility {
  const settings = v.parse(MerchantSettingsSchema, input.settings);
  const { terminal, order } = input;
  const offered: Option[] = [];
  const unavailable: Unavailable[] = [];
  const refuse = (channel: ChannelId, reason: ReasonCode, detail: string) => unavailable.push({ channel, reason, detail });

  const enabled = new Map(settings.channels.map((setting) => [setting.id, setting]));
  const home = HOME_CHANNEL[terminal];
  const sequence = [
    ...(home && enabled.has(home) ? [home] : []),
    ...settings.channels.map((setting) => setting.id).filter((id) => id !== home),
  ];

  for (const channel of CHANNEL_IDS) {
    if (!enabled.has(channel)) refuse(channel, 'disabled', 'not enabled for this merchant or order');
  }

  for (const channel of sequence) {
    const rules = RULEBOOK[channel];
    const health = input.health?.[channel] ?? 'up';

    if (rules.currencies !== UNKNOWN && !rules.currencies.includes(order.currency)) {
      refuse(channel, 'currency', `${rules.name.en} does not take ${order.currency}`);
      continue;
    }
    if (rules.amountRange !== UNKNOWN) {
      const { min, max } = rules.amountRange;
      if (order.amount < min || (max !== UNKNOWN && order.amount > max)) {
        refuse(channel, 'amount', `${rules.name.en} takes amounts from ${min}${max === UNKNOWN ? '' : ` to ${max}`} minor units`);
        continue;
      }
    }
    if (health === 'down') {
      refuse(channel, 'health', `${rules.name.en} is failing right now`);
      continue;
    }
    if (terminal === 'miniprogram' && channel !== 'wechatpay') {
      refuse(channel, 'not-supported-here', 'a WeChat mini-program allows WeChat Pay only');
      continue;
    }
    if (terminal === 'app' && input.appChannels && !input.appChannels.includes(channel)) {
      refuse(channel, 'not-supported-here', 'the app did not report this channel\u2019s SDK');
      continue;
    }

    const chosen = chosenProducts(channel, terminal, enabled.get(channel)?.products);
    const degraded = health === 'degraded';
    if (chosen.length > 0) {
      for (const product of chosen) {
        offered.push(option(`${channel}:${product.id}`, channel, product.id, product.action, degraded));
        installments(channel, product, settings, order, degraded, offered, unavailable);
      }
      continue;
    }
    const client = CLOSED_CLIENT[terminal];
    // Inside WeChat or the Alipay client another channel cannot pay in place, but the customer can continue in
    // the phone's browser or on another device, on the same order.
    if (client && canContinueElsewhere(channel, enabled.get(channel)?.products)) {
      offered.push(option(`${channel}:handoff`, channel, null, 'handoff', degraded));
      continue;
    }
    refuse(channel, 'not-supported-here', `${rules.name.en} has no product for ${terminalName(terminal)}`);
  }

  // Degraded channels keep their order among themselves but go after the healthy ones.
  const ordered = [...offered.filter((o) => !o.degraded), ...offered.filter((o) => o.degraded)];
  return {
    options: ordered.map((o, index) => ({ ...o, recommended: index === 0 })),
    unavailable,
  };
}

function option(id: string, channel: ChannelId, product: string | null, action: Option['action'], degraded: boolean): Option {
  return { id, channel, product, action, recommended: false, degraded };
}

/** The merchant's activated products that work here; by default the channel's first product for the terminal. */
function chosenProducts(channel: ChannelId, terminal: TerminalKind, activated: readonly string[] | undefined): readonly Product[] {
  const here = productsFor(channel, terminal);
  if (!activated) return here.slice(0, 1);
  return here.filter((product) => activated.includes(product.id));
}

function canContinueElsewhere(channel: ChannelId, activated: readonly string[] | undefined): boolean {
  return (['wap', 'pc'] as const).some((terminal) => chosenProducts(channel, terminal, activated).length > 0);
}

function terminalName(terminal: TerminalKind): string {
  return {
    pc: 'a desktop browser',
    wap: 'a mobile browser',
    wechat: 'WeChat',
    miniprogram: 'a WeChat mini-program',
    alipay: 'the Alipay client',
    app: 'the merchant app',
  }[terminal];
}

function installments(
  channel: ChannelId,
  product: Product,
  settings: v.InferOutput<typeof MerchantSettingsSchema>,
  order: EligibilityInput['order'],
  degraded: boolean,
  offered: Option[],
  unavailable: Unavailable[],
): void {
  for (const plan of settings.installments) {
    if (installmentChannel(plan.provider) !== channel) continue;
    const rule = RULEBOOK[channel].installments.find((r) => r.provider === plan.provider);
    if (!rule?.products.includes(product.id)) continue;
    const refuse = (reason: ReasonCode, detail: string) => {
      // One entry per provider, however many products carry it.
      if (!unavailable.some((u) => u.channel === channel && u.installment === plan.provider)) {
        unavailable.push({ channel, installment: plan.provider, reason, detail });
      }
    };
    if (!settings.creditCardsAllowed) {
      refuse('credit-refused', `${rule.name.en} is credit, and this merchant refuses credit`);
      continue;
    }
    if (plan.minAmount !== undefined && order.amount < plan.minAmount) {
      refuse('amount', `${rule.name.en} starts at ${plan.minAmount} minor units`);
      continue;
    }
    for (const { periods, rate } of plan.plans) {
      offered.push({
        ...option(`${channel}:${product.id}:${plan.provider}-${periods}`, channel, product.id, product.action, degraded),
        installment: quoteInstallment(order.amount, plan.provider, periods, rate, plan.feeBearer),
      });
    }
  }
}

/**
 * Quotes a plan exactly: fee = amount × rate half up; the buyer pays amount + fee when they bear it, the amount
 * alone ("interest-free") when the merchant does. Principal and fee are split evenly over the periods in whole
 * minor units, the remainder going to the first period, so the schedule always sums to the total.
 */
export function quoteInstallment(
  amount: number,
  provider: InstallmentSettings['provider'],
  periods: number,
  rate: string,
  feeBearer: InstallmentSettings['feeBearer'],
): InstallmentQuote {
  const fee = roundHalfUp(times(amount, parseRate(rate)));
  const buyerFee = feeBearer === 'buyer' ? fee : 0;
  const principal = split(amount, periods);
  const fees = split(buyerFee, periods);
  const schedule = principal.map((p, i) => ({ principal: p, fee: fees[i] ?? 0 }));
  const last = schedule[schedule.length - 1] ?? { principal: 0, fee: 0 };
  return {
    provider,
    periods,
    rate,
    feeBearer,
    fee,
    total: amount + buyerFee,
    perPeriod: last.principal + last.fee,
    schedule,
    interestFree: buyerFee === 0,
  };
}

function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i === 0 ? total - base * parts : 0));
}
