// The shape of the channel rulebook, as valibot schemas with the types inferred from them: what each payment
// channel allows, how it writes things on the wire, and the business rules (refunds, fees, notifications,
// bills) that the adapters, the BFF and the widget read. Every field is required; a fact no source gives is
// the literal 'unknown', so a reader must decide what to do without it rather than trust a guess.

import * as v from 'valibot';
import { CURRENCIES } from '../money/index.ts';

export const CHANNEL_IDS = [
  'wechatpay',
  'alipay',
  'unionpay',
  'qqwallet',
  'cmb',
  'jdpay',
  'baidu',
  'yeepay',
  'netbank-b2b',
  'paypal',
  'abc',
  'ccb',
  'bestpay',
] as const;
export type ChannelId = (typeof CHANNEL_IDS)[number];

export const TERMINAL_KINDS = ['pc', 'wap', 'wechat', 'miniprogram', 'alipay', 'app'] as const;
export type TerminalKind = (typeof TERMINAL_KINDS)[number];

/** What the widget does next once a payment attempt exists (DESIGN.md §2). */
export const NEXT_ACTION_KINDS = ['qr', 'redirect', 'form', 'jsapi', 'miniprogram', 'app', 'handoff'] as const;
export type NextActionKind = (typeof NEXT_ACTION_KINDS)[number];

export const UNKNOWN = 'unknown';
export type Unknown = typeof UNKNOWN;

const known = <T extends v.GenericSchema>(schema: T) => v.union([schema, v.literal(UNKNOWN)]);
const text = v.pipe(v.string(), v.minLength(1));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const seconds = v.pipe(v.number(), v.integer(), v.minValue(1));
const names = v.strictObject({ zh: text, en: text });
const terminal = v.picklist(TERMINAL_KINDS);
const currency = v.picklist(CURRENCIES);
/** Where a fact came from: the article, a reference note, a channel document. 'unknown' where nothing says. */
const source = { source: text };
/** A time of day in Beijing time, `HH:mm`. */
const clock = v.pipe(v.string(), v.regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/));

export const ProductSchema = v.strictObject({
  /** Stable id within the channel, used in option ids (`wechatpay:native`). */
  id: v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/)),
  name: names,
  /** The channel's own name for it (API method, trade type or product code). */
  wireName: text,
  terminals: v.pipe(v.array(terminal), v.minLength(1)),
  action: v.picklist(NEXT_ACTION_KINDS.filter((kind) => kind !== 'handoff')),
  /** Products need separate activation per channel; what the article says about this one. */
  activation: known(text),
  ...source,
});
export type Product = v.InferOutput<typeof ProductSchema>;

export const OrderNumberRuleSchema = v.strictObject({
  field: known(text),
  minLength: known(count),
  maxLength: known(count),
  /** Characters allowed, as the body of a regular-expression character class (without the brackets). */
  charset: known(text),
  note: v.optional(text),
  ...source,
});

export const DescriptionRuleSchema = v.strictObject({
  field: known(text),
  maxLength: known(count),
  lengthUnit: known(v.picklist(['characters', 'bytes'])),
  /** Characters known to break the channel's request; control characters are always removed. */
  breakingCharacters: known(v.array(text)),
  /** Whether the customer sees the text (the channel's pay page, their bill). */
  shownToCustomer: known(v.boolean()),
  ...source,
});

export const ExpiryRuleSchema = v.strictObject({
  style: known(v.picklist(['absolute', 'relative', 'absolute-or-relative'])),
  parameter: known(text),
  /** Wire format of the parameter: RFC 3339 with +08:00, `yyyyMMddHHmmss`, minutes… */
  format: known(text),
  minSeconds: known(seconds),
  maxSeconds: known(seconds),
  defaultSeconds: known(seconds),
  /** When a relative timer starts: at order creation, or (some channels) only at a failed attempt. */
  clockStarts: known(v.picklist(['order-created', 'first-failed-attempt'])),
  /** How long what the channel returns for a product (QR code, pay URL, prepay id) stays valid, in seconds. */
  actionValiditySeconds: known(v.record(v.string(), seconds)),
  ...source,
});

export const PeriodSchema = v.strictObject({
  amount: v.pipe(v.number(), v.integer(), v.minValue(1)),
  unit: v.picklist(['day', 'month', 'year']),
});
export type Period = v.InferOutput<typeof PeriodSchema>;

export const FeeRefundPolicySchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('none'), ...source }),
  v.strictObject({ kind: v.literal('unknown'), ...source }),
  /** refund × rate, half up to 0.01, per refund. UnionPay's minimum fee is a floor on what is kept. */
  v.strictObject({
    kind: v.literal('rate'),
    minimumFee: v.optional(count),
    pieceBelowOneUnitReturnsNothing: v.optional(v.boolean()),
    ...source,
  }),
  /** WeChat: the old fund flow is `rate`; the new one returns the whole fee once the order is fully refunded. */
  v.strictObject({ kind: v.literal('wechat-fund-flow'), defaultFundFlow: v.picklist(['old', 'new']), ...source }),
  /** fee × refund / amount, half up; a piece that computes below 0.01 returns nothing. */
  v.strictObject({ kind: v.literal('proportional'), pieceBelowOneUnitReturnsNothing: v.boolean(), ...source }),
  /** refund × percentage rate, half up; the fixed per-transaction part is kept. */
  v.strictObject({ kind: v.literal('percentage-part'), ...source }),
  /** QQ Wallet: per-transaction mode is a negative fee line of rate × refund; net mode is computed at day end. */
  v.strictObject({ kind: v.literal('per-transaction-or-net'), recommended: v.literal('per-transaction'), ...source }),
]);
export type FeeRefundPolicy = v.InferOutput<typeof FeeRefundPolicySchema>;

export const RefundRuleSchema = v.strictObject({
  window: known(PeriodSchema),
  maxRefundsPerOrder: known(v.union([count, v.literal('unlimited')])),
  minIntervalSeconds: known(seconds),
  partial: known(v.boolean()),
  /** Whether the synchronous answer of the refund call is the final result (no query needed). */
  synchronousResultFinal: known(v.boolean()),
  notifies: known(v.boolean()),
  /** Refunding needs permission activated separately (e.g. in service-provider mode). */
  activation: known(text),
  /** Which id wins when the API accepts either the channel's or the merchant's (DESIGN.md §5). */
  idPriority: known(text),
  fee: FeeRefundPolicySchema,
  ...source,
});

export const NotificationRuleSchema = v.strictObject({
  notifyUrl: known(v.picklist(['per-request', 'portal'])),
  /** The exact acknowledgement the channel expects. */
  acknowledgement: known(text),
  deadlineSeconds: known(seconds),
  /** Seconds to wait before each retry, the first measured from the first delivery. */
  retryLadderSeconds: known(v.pipe(v.array(seconds), v.minLength(1))),
  verification: known(v.picklist(['signature', 'source-ip', 'signature-or-source-ip'])),
  /** Events or trade states that trigger a notification. */
  states: known(v.array(text)),
  /** Whether the merchant's attach / passback data comes back in the notification. */
  attachEchoed: known(v.boolean()),
  /** Products that do not notify at all (offline merchant-scan is the usual one). */
  silentProducts: known(v.array(text)),
  ...source,
});

export const QueryRuleSchema = v.strictObject({
  /** Where to read each of the three result layers; status is set only from the trade layer. */
  layers: known(v.strictObject({ communication: text, business: text, trade: text })),
  tradeStates: known(
    v.strictObject({
      succeeded: v.array(text),
      pending: v.array(text),
      closed: v.array(text),
      failed: v.array(text),
      /** What a state not listed means: UnionPay documents "anything else failed"; elsewhere we never guess. */
      otherwise: v.picklist(['failed', 'pending']),
    }),
  ),
  /** Business-layer codes that mean "outcome unknown: query again", never failure. */
  unknownCodes: known(v.array(text)),
  separateRefundQuery: known(v.boolean()),
  rateLimit: known(text),
  ...source,
});

export const BillRuleSchema = v.strictObject({
  /** Clearing-day boundary, Beijing time: '00:00' is 00:00–24:00; '23:00' is 23:00 the day before to 23:00. */
  clearingCutoff: known(clock),
  /** Earliest time the day's bill can be fetched: D+`dayOffset` at `time`, Beijing time. */
  availableAt: known(v.strictObject({ dayOffset: count, time: clock })),
  delivery: known(v.picklist(['api', 'portal', 'ftp-push'])),
  format: known(text),
  note: v.optional(text),
  ...source,
});

export const FeeBearerSchema = v.picklist(['buyer', 'merchant']);
export type FeeBearer = v.InferOutput<typeof FeeBearerSchema>;
export const InstallmentProviderSchema = v.picklist(['huabei', 'baitiao']);

export const InstallmentRuleSchema = v.strictObject({
  provider: InstallmentProviderSchema,
  name: names,
  periods: known(v.pipe(v.array(v.pipe(count, v.minValue(2))), v.minLength(1))),
  feeBearers: known(v.array(FeeBearerSchema)),
  /** Products of the channel the plans ride on. */
  products: v.pipe(v.array(text), v.minLength(1)),
  /** The wire parameters, e.g. `hb_fq_num` and `hb_fq_seller_percent`. */
  parameters: known(text),
  /** Changing the plan needs a new channel order number. */
  newOrderNumberOnPlanChange: known(v.boolean()),
  activation: text,
  ...source,
});
export type InstallmentRule = v.InferOutput<typeof InstallmentRuleSchema>;
export type InstallmentProvider = InstallmentRule['provider'];

export const CooperationRuleSchema = v.strictObject({
  modes: known(v.array(v.picklist(['direct', 'direct-settled', 'service-provider', 'bank-service-provider']))),
  notes: v.array(text),
  ...source,
});

export const PayoutRuleSchema = v.strictObject({
  available: known(v.boolean()),
  payees: known(v.array(v.picklist(['consumer', 'business']))),
  destinations: known(v.array(v.picklist(['wallet', 'bank-card']))),
  requirements: known(text),
  fundingAccount: known(text),
  limits: known(text),
  ...source,
});

export const SplitRuleSchema = v.strictObject({
  maxReceivers: known(count),
  fixedAtCreation: known(v.boolean()),
  activation: known(text),
  ...source,
});

export const SettlementRuleSchema = v.strictObject({
  mode: known(v.picklist(['manual-withdrawal', 'automatic', 'either'])),
  threshold: known(
    v.union([v.literal('none'), v.strictObject({ amount: count, currency, applies: text })]),
  ),
  ...source,
});

export const CreditCardRuleSchema = v.strictObject({
  /** How a merchant can refuse credit cards: a request field, a contract or portal setting, or not at all. */
  refusal: known(v.picklist(['request-field', 'contract', 'not-possible'])),
  field: v.optional(text),
  ...source,
});

export const ChannelRulesSchema = v.strictObject({
  id: v.picklist(CHANNEL_IDS),
  name: names,
  kind: v.picklist(['wallet', 'bank', 'card-network', 'international']),
  currencies: known(v.pipe(v.array(currency), v.minLength(1))),
  amountUnit: known(v.picklist(['fen', 'yuan', 'decimal'])),
  /** Smallest and largest order amount in minor units. */
  amountRange: known(v.strictObject({ min: count, max: known(count) })),
  products: known(v.array(ProductSchema)),
  orderNumber: OrderNumberRuleSchema,
  description: DescriptionRuleSchema,
  /** Some channels (CCB Long Pay) take the payee's name as a request field instead of a portal setting. */
  payeeName: known(v.picklist(['portal', 'request-field'])),
  expiry: ExpiryRuleSchema,
  refund: RefundRuleSchema,
  notification: NotificationRuleSchema,
  query: QueryRuleSchema,
  bill: BillRuleSchema,
  installments: v.array(InstallmentRuleSchema),
  cooperation: CooperationRuleSchema,
  payout: PayoutRuleSchema,
  split: SplitRuleSchema,
  settlement: SettlementRuleSchema,
  creditCards: CreditCardRuleSchema,
  /** Egress IPs must be allow-listed at the channel before it accepts calls. */
  ipAllowList: known(v.boolean()),
});
export type ChannelRules = v.InferOutput<typeof ChannelRulesSchema>;
