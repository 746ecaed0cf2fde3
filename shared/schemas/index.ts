// Valibot schemas for the contracts between the merchant server, the BFF and the widget, with the types
// inferred from them (`OrderSchema` → `Order`). Amounts are integer minor units everywhere.

import * as v from 'valibot';
import {
  CHANNEL_IDS,
  FeeBearerSchema,
  InstallmentProviderSchema,
  NEXT_ACTION_KINDS,
  RULEBOOK,
  TERMINAL_KINDS,
  UNKNOWN,
  productsOf,
  type ChannelId,
} from '../channels/index.ts';
import { CURRENCIES, parseRate } from '../money/index.ts';

export const ChannelIdSchema = v.picklist(CHANNEL_IDS, 'must be one of the known channel ids');
export const TerminalKindSchema = v.picklist(TERMINAL_KINDS);
export const NextActionKindSchema = v.picklist(NEXT_ACTION_KINDS);
export const CurrencySchema = v.picklist(CURRENCIES, 'must be a supported ISO 4217 currency code');

/** A positive amount in minor units (fen), as a JSON integer. */
export const AmountSchema = v.pipe(
  v.number('must be a number of minor units (fen)'),
  v.safeInteger('must be a whole number of minor units (fen), not a decimal'),
  v.minValue(1, 'must be at least 1 minor unit'),
);
export const MinorUnitsSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** A fee rate as a decimal fraction string: "0.006" is 0.6 %. */
export const RateSchema = v.pipe(
  v.string(),
  v.check((text) => {
    try {
      parseRate(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be a decimal fraction between 0 and 1 such as "0.006"'),
);

export const TimestampSchema = v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 timestamp with a time zone'));

// --- merchant settings --------------------------------------------------------------------------------

export const InstallmentPlanSchema = v.strictObject({
  periods: v.pipe(v.number(), v.integer(), v.minValue(2)),
  /** The plan's fee rate for the whole term, from the merchant's contract. */
  rate: RateSchema,
});

export const InstallmentSettingsSchema = v.pipe(
  v.strictObject({
    provider: InstallmentProviderSchema,
    plans: v.pipe(v.array(InstallmentPlanSchema), v.minLength(1)),
    feeBearer: FeeBearerSchema,
    /** Below this amount the plans are not offered. */
    minAmount: v.optional(MinorUnitsSchema),
  }),
  v.check((settings) => {
    const { periods } = installmentRule(settings.provider).rule;
    return periods === UNKNOWN || settings.plans.every((plan) => periods.includes(plan.periods));
  }, 'periods must be ones the provider offers (Huabei: 3, 6 or 12)'),
  v.check((settings) => {
    const { feeBearers } = installmentRule(settings.provider).rule;
    return feeBearers === UNKNOWN || feeBearers.includes(settings.feeBearer);
  }, 'the provider does not let this party bear the fee'),
);
export type InstallmentSettings = v.InferOutput<typeof InstallmentSettingsSchema>;

function installmentRule(provider: v.InferOutput<typeof InstallmentProviderSchema>) {
  for (const id of CHANNEL_IDS) {
    const rule = RULEBOOK[id].installments.find((r) => r.provider === provider);
    if (rule) return { channel: id, rule };
  }
  throw new Error(`no channel offers ${provider}`);
}

/** The channel whose products an installment provider's plans ride on. */
export function installmentChannel(provider: v.InferOutput<typeof InstallmentProviderSchema>): ChannelId {
  return installmentRule(provider).channel;
}

export const ChannelSettingSchema = v.pipe(
  v.strictObject({
    id: ChannelIdSchema,
    /** Products the merchant has activated; by default the channel's first product for each terminal. */
    products: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  }),
  v.check(
    (setting) => (setting.products ?? []).every((p) => productsOf(setting.id).some((product) => product.id === p)),
    'lists a product the channel does not have',
  ),
);

export const MerchantSettingsSchema = v.pipe(
  v.strictObject({
    /** Channels enabled, in display order. */
    channels: v.array(ChannelSettingSchema),
    installments: v.optional(v.array(InstallmentSettingsSchema), []),
    /** Whether credit (cards, and so installment plans) may be used. */
    creditCardsAllowed: v.optional(v.boolean(), true),
    /**
     * A payment that reaches us after the order was closed (a channel that let the customer pay late): `refund` it
     * automatically (the default: the merchant was told the order closed), or `accept` it and fulfil the order.
     */
    lateSuccess: v.optional(v.picklist(['accept', 'refund']), 'refund'),
    /** Whether the channels have activated refunds for this merchant (service providers may need to apply). */
    refundsActivated: v.optional(v.boolean(), true),
    /** The merchant's contracted fee per channel: what the fee charged and returned on refunds are computed from. */
    fees: v.optional(
      v.record(
        ChannelIdSchema,
        v.strictObject({
          rate: RateSchema,
          fixedFee: v.optional(MinorUnitsSchema),
          /** WeChat Pay only: the merchant's fund flow (the new one by default). */
          fundFlow: v.optional(v.picklist(['old', 'new'])),
        }),
      ),
    ),
  }),
  v.check(
    (settings) => new Set(settings.channels.map((c) => c.id)).size === settings.channels.length,
    'lists a channel twice',
  ),
);
export type MerchantSettings = v.InferInput<typeof MerchantSettingsSchema>;

// --- orders -------------------------------------------------------------------------------------------

const OriginSchema = v.pipe(
  v.string(),
  v.url(),
  v.check((text) => {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && text === url.origin;
  }, 'must be an origin such as https://shop.example (scheme, host and port only)'),
);

export const OrderStatusSchema = v.picklist(['open', 'paying', 'succeeded', 'closed', 'failed']);
export type OrderStatus = v.InferOutput<typeof OrderStatusSchema>;

export const CreateOrderSchema = v.pipe(
  v.strictObject({
    merchantOrderNo: v.pipe(
      v.string(),
      v.regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"'),
    ),
    amount: AmountSchema,
    currency: v.optional(CurrencySchema, 'CNY'),
    subject: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(128)),
    description: v.optional(v.pipe(v.string(), v.maxLength(512))),
    /** Absolute expiry, or… */
    expiresAt: v.optional(TimestampSchema),
    /** …relative expiry in seconds from creation. */
    expiresIn: v.optional(v.pipe(v.number(), v.integer(), v.minValue(60), v.maxValue(15 * 86_400))),
    attach: v.optional(v.pipe(v.string(), v.maxLength(128))),
    metadata: v.optional(v.pipe(v.record(v.string(), v.pipe(v.string(), v.maxLength(500))), v.check((m) => Object.keys(m).length <= 20, 'at most 20 keys'))),
    /** Narrows the merchant's enabled channels for this order. */
    channels: v.optional(v.array(ChannelIdSchema)),
    installments: v.optional(v.array(InstallmentSettingsSchema)),
    creditCardsAllowed: v.optional(v.boolean()),
    webhookUrl: v.optional(v.pipe(v.string(), v.url())),
    allowedOrigins: v.optional(v.array(OriginSchema)),
    /**
     * `reject` (the default): a subject some channel of the order would have to change (characters that break it,
     * over-long) is refused. `clean`: it is cleaned per channel and the changes are reported.
     */
    descriptionPolicy: v.optional(v.picklist(['reject', 'clean']), 'reject'),
  }),
  v.check((order) => order.expiresAt === undefined || order.expiresIn === undefined, 'give expiresAt or expiresIn, not both'),
);
export type CreateOrder = v.InferInput<typeof CreateOrderSchema>;

export const OrderSchema = v.strictObject({
  id: v.string(),
  merchantOrderNo: v.string(),
  amount: AmountSchema,
  currency: CurrencySchema,
  subject: v.string(),
  description: v.optional(v.string()),
  status: OrderStatusSchema,
  amountRefunded: MinorUnitsSchema,
  /**
   * The channel's fee on the paid order under the merchant's contracted terms (settings.fees): charged on the
   * payment, returned by the settled refunds, and kept (charged − returned). Only on a paid order with terms set.
   */
  fees: v.optional(v.strictObject({ charged: MinorUnitsSchema, returned: MinorUnitsSchema, kept: MinorUnitsSchema })),
  createdAt: TimestampSchema,
  expiresAt: TimestampSchema,
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
export type Order = v.InferOutput<typeof OrderSchema>;

// --- the cashier (widget ↔ BFF) -------------------------------------------------------------------------

export const CashierSessionSchema = v.strictObject({
  /** Random, shown once; the BFF stores only its hash. */
  token: v.pipe(v.string(), v.minLength(32)),
  orderId: v.string(),
  expiresAt: TimestampSchema,
});
export type CashierSession = v.InferOutput<typeof CashierSessionSchema>;

/** What the widget reports of the page, for the BFF's terminal detection. */
export const TerminalEvidenceSchema = v.strictObject({
  wxjsEnvironment: v.optional(v.pipe(v.string(), v.maxLength(32))),
  hasWeixinBridge: v.optional(v.boolean()),
  hasAlipayBridge: v.optional(v.boolean()),
  hasAppBridge: v.optional(v.boolean()),
  maxTouchPoints: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64))),
  /** SDK channels the merchant app's bridge says it can hand over to. */
  appChannels: v.optional(v.array(ChannelIdSchema)),
});
export type TerminalEvidence = v.InferOutput<typeof TerminalEvidenceSchema>;

export const InstallmentQuoteSchema = v.strictObject({
  provider: InstallmentProviderSchema,
  periods: v.number(),
  rate: v.string(),
  feeBearer: FeeBearerSchema,
  /** The whole fee of the plan. */
  fee: MinorUnitsSchema,
  /** What the buyer pays in all: the amount, plus the fee when the buyer bears it. */
  total: MinorUnitsSchema,
  /** The regular instalment; the first may be larger by the remainder. */
  perPeriod: MinorUnitsSchema,
  /** Each period's principal and fee, summing to the total. */
  schedule: v.array(v.strictObject({ principal: MinorUnitsSchema, fee: MinorUnitsSchema })),
  interestFree: v.boolean(),
});
export type InstallmentQuote = v.InferOutput<typeof InstallmentQuoteSchema>;

export const OptionSchema = v.strictObject({
  /** Stable id to pay with: `wechatpay:native`, `alipay:handoff`, `alipay:wap:huabei-6`. */
  id: v.string(),
  channel: ChannelIdSchema,
  /** The channel product; null for a hand-off, whose product is chosen where the customer continues. */
  product: v.nullable(v.string()),
  action: NextActionKindSchema,
  recommended: v.boolean(),
  /** Channel health is poor: still offered, but after the healthy ones. */
  degraded: v.boolean(),
  installment: v.optional(InstallmentQuoteSchema),
});
export type Option = v.InferOutput<typeof OptionSchema>;

export const REASON_CODES = [
  'not-supported-here',
  'disabled',
  'amount',
  'currency',
  'health',
  'credit-refused',
] as const;
export const ReasonCodeSchema = v.picklist(REASON_CODES);
export type ReasonCode = v.InferOutput<typeof ReasonCodeSchema>;

export const UnavailableSchema = v.strictObject({
  channel: ChannelIdSchema,
  /** Set when only an installment provider of an offered channel is unavailable. */
  installment: v.optional(InstallmentProviderSchema),
  reason: ReasonCodeSchema,
  detail: v.string(),
});
export type Unavailable = v.InferOutput<typeof UnavailableSchema>;

export const PayActionSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('qr'), codeUrl: v.string(), expiresAt: TimestampSchema }),
  v.strictObject({ kind: v.literal('redirect'), url: v.pipe(v.string(), v.url()) }),
  v.strictObject({
    kind: v.literal('form'),
    action: v.pipe(v.string(), v.url()),
    method: v.picklist(['POST', 'GET']),
    fields: v.record(v.string(), v.string()),
  }),
  v.strictObject({
    kind: v.literal('jsapi'),
    bridge: v.picklist(['WeixinJSBridge', 'AlipayJSBridge']),
    /** getBrandWCPayRequest parameters (with paySign), or the Alipay trade number for tradePay. */
    parameters: v.record(v.string(), v.string()),
  }),
  v.strictObject({
    kind: v.literal('miniprogram'),
    /** The native mini-program page that calls wx.requestPayment. */
    path: v.string(),
    parameters: v.record(v.string(), v.string()),
  }),
  v.strictObject({
    kind: v.literal('app'),
    channel: ChannelIdSchema,
    /** SDK parameters (WeChat OpenSDK, UnionPay tn) or an order string (Alipay). */
    parameters: v.union([v.record(v.string(), v.string()), v.string()]),
  }),
  v.strictObject({ kind: v.literal('handoff'), url: v.pipe(v.string(), v.url()), channel: ChannelIdSchema }),
]);
export type PayAction = v.InferOutput<typeof PayActionSchema>;

export const CreateRefundSchema = v.strictObject({
  /** The merchant's own refund number: a retry with it never refunds twice. */
  merchantRefundNo: v.pipe(v.string(), v.regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"')),
  amount: AmountSchema,
  reason: v.optional(v.pipe(v.string(), v.maxLength(80))),
});
export type CreateRefund = v.InferInput<typeof CreateRefundSchema>;

export const ErrorResponseSchema = v.strictObject({
  error: v.strictObject({ code: v.string(), message: v.string(), field: v.optional(v.string()) }),
});
export type ErrorResponse = v.InferOutput<typeof ErrorResponseSchema>;
