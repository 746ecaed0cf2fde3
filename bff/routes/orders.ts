// The merchant API (secret key): create, read and close orders, open cashier sessions, refund, list an order's
// events. Every POST takes an Idempotency-Key.

import { Hono } from 'hono';
import { RULEBOOK, UNKNOWN, cleanDescription, type ChannelId, type DescriptionChange } from '../../shared/channels/index.ts';
import { isCashierError } from '../../shared/errors/index.ts';
import { CreateOrderSchema, CreateRefundSchema, type MerchantSettings } from '../../shared/schemas/index.ts';
import type { Deps } from '../deps.ts';
import { idempotency, merchantAuth, type MerchantEnv } from './merchant-auth.ts';
import { ApiError } from '../errors.ts';
import { canonicalJson, parseJson, sha256 } from '../http.ts';
import { listOrderEvents } from '../store/events.ts';
import { getOrder, insertOrder, orderFees, toApiOrder, type MerchantRow, type OrderRow } from '../store/orders.ts';
import { createSession } from '../store/sessions.ts';
import { closeOrder } from '../payments/close.ts';
import { createRefund, toApiRefund } from '../payments/refund.ts';
import { getRefund, refundsOf } from '../store/refunds.ts';
import { schedule } from '../jobs/queue.ts';

type Env = MerchantEnv;

const DEFAULT_EXPIRY_SECONDS = 30 * 60;
const MAX_EXPIRY_SECONDS = 15 * 86_400;

export function ordersApi(deps: Deps) {
  const auth = merchantAuth(deps);

  const idempotent = idempotency(deps);

  const order = async (merchant: MerchantRow, id: string): Promise<OrderRow> => {
    const row = await getOrder(deps.db, merchant.id, id);
    if (!row) throw new ApiError(404, 'order_not_found', `no order ${id}`, 'id');
    return row;
  };

  return new Hono<Env>()
    .use('*', auth)
    .post('/orders', idempotent, async (c) => {
      const merchant = c.get('merchant');
      const input = await parseJson(c, CreateOrderSchema);
      const now = deps.now();
      const channels = orderChannels(merchant.settings, input.channels);
      checkAmount(channels, input.amount, input.currency, input.channels !== undefined);
      const descriptionChanges = checkDescription(channels, input.subject, input.descriptionPolicy);
      const expiresAt = expiry(now, input.expiresAt, input.expiresIn);
      const { descriptionPolicy: _policy, ...order } = input;
      const { order: row, created } = await deps.db.transaction(async (tx) => {
        const inserted = await insertOrder(tx, {
          merchantId: merchant.id,
          merchantOrderNo: input.merchantOrderNo,
          amount: input.amount,
          currency: input.currency,
          subject: input.subject,
          description: input.description,
          attach: input.attach,
          metadata: input.metadata,
          channels: input.channels,
          installments: input.installments,
          creditCardsAllowed: input.creditCardsAllowed,
          webhookUrl: input.webhookUrl,
          allowedOrigins: input.allowedOrigins,
          expiresAt,
          requestHash: sha256(canonicalJson({ ...order, expiresAt: input.expiresAt, expiresIn: input.expiresIn })),
        });
        // The expiry is a job written with the order: it closes the order at its channels when the time comes.
        if (inserted.created) await schedule(tx, 'expire-order', inserted.order.id, expiresAt);
        return inserted;
      });
      const body = {
        order: toApiOrder(row),
        ...(Object.keys(descriptionChanges).length > 0 ? { descriptionChanges } : {}),
      };
      return c.json(body, created ? 201 : 200);
    })
    .get('/orders/:id', async (c) => {
      const row = await order(c.get('merchant'), c.req.param('id'));
      const fees = await orderFees(deps.db, row.id);
      return c.json({ order: { ...toApiOrder(row), ...(fees ? { fees } : {}) } });
    })
    .post('/orders/:id/close', idempotent, async (c) => {
      const row = await order(c.get('merchant'), c.req.param('id'));
      const result = await closeOrder(deps, row);
      return c.json({ order: toApiOrder(result.order), closed: result.closed }, result.closed ? 200 : 202);
    })
    .post('/orders/:id/cashier-sessions', idempotent, async (c) => {
      const row = await order(c.get('merchant'), c.req.param('id'));
      if (row.status !== 'open' && row.status !== 'paying') {
        throw new ApiError(409, 'order_not_payable', `the order is ${row.status}`, 'id');
      }
      if (row.expires_at.getTime() <= deps.now().getTime()) throw new ApiError(409, 'order_expired', 'the order has expired', 'id');
      const session = await createSession(deps.db, row.id, row.expires_at);
      return c.json({ token: session.token, orderId: row.id, expiresAt: session.expiresAt.toISOString() }, 201);
    })
    .post('/orders/:id/refunds', idempotent, async (c) => {
      const input = await parseJson(c, CreateRefundSchema);
      const merchant = c.get('merchant');
      const { refund, created } = await createRefund(deps, merchant, await order(merchant, c.req.param('id')), input);
      return c.json({ refund: toApiRefund(refund) }, created ? 201 : 200);
    })
    .get('/orders/:id/refunds', async (c) => {
      const row = await order(c.get('merchant'), c.req.param('id'));
      return c.json({ refunds: (await refundsOf(deps.db, row.id)).map(toApiRefund) });
    })
    .get('/refunds/:refundId', async (c) => {
      const refund = await getRefund(deps.db, c.req.param('refundId'));
      const row = refund ? await getOrder(deps.db, c.get('merchant').id, refund.order_id) : undefined;
      if (!refund || !row) throw new ApiError(404, 'refund_not_found', `no refund ${c.req.param('refundId')}`, 'refundId');
      return c.json({ refund: toApiRefund(refund) });
    })
    .get('/orders/:id/events', async (c) => {
      const row = await order(c.get('merchant'), c.req.param('id'));
      const after = Number(c.req.query('after') ?? 0);
      if (!Number.isSafeInteger(after) || after < 0) throw new ApiError(400, 'invalid_request', 'after must be an event sequence number', 'after');
      const events = await listOrderEvents(deps.db, row.id, after, 100);
      return c.json({
        events: events.map((event) => ({
          id: event.id,
          seq: event.seq,
          type: event.type,
          objectType: event.object_type,
          objectId: event.object_id,
          objectVersion: event.object_version,
          createdAt: new Date(event.created_at).toISOString(),
          data: event.data,
        })),
        hasMore: events.length === 100,
      });
    });
}

/** The channels an order may use: the merchant's, narrowed by the order's own list. */
export function orderChannels(settings: MerchantSettings, requested: readonly ChannelId[] | undefined): ChannelId[] {
  const enabled = settings.channels.map((channel) => channel.id);
  if (!requested) return enabled;
  requested.forEach((channel, i) => {
    if (!enabled.includes(channel)) {
      throw new ApiError(422, 'channel_not_enabled', `${channel} is not enabled for this merchant`, `channels.${i}`);
    }
  });
  return [...requested];
}

/** An amount a listed channel cannot take is an error; with the defaults, only when no channel can take it. */
function checkAmount(channels: readonly ChannelId[], amount: number, currency: string, listed: boolean): void {
  const problems = channels.map((channel) => {
    const rules = RULEBOOK[channel];
    if (rules.currencies !== UNKNOWN && !(rules.currencies as readonly string[]).includes(currency)) {
      return { channel, code: 'currency_not_supported', message: `${rules.name.en} does not take ${currency}` };
    }
    if (rules.amountRange !== UNKNOWN && rules.amountRange.max !== UNKNOWN && amount > rules.amountRange.max) {
      return { channel, code: 'amount_too_large', message: `${rules.name.en} takes at most ${rules.amountRange.max} minor units` };
    }
    return undefined;
  });
  const first = problems.find((problem) => problem !== undefined);
  if (first && (listed || problems.every((problem) => problem !== undefined))) {
    throw new ApiError(422, first.code, first.message, first.code === 'currency_not_supported' ? 'currency' : 'amount');
  }
}

/** Each channel's view of the subject; with the `reject` policy, any change a channel would need is an error. */
function checkDescription(
  channels: readonly ChannelId[],
  subject: string,
  policy: 'reject' | 'clean',
): Partial<Record<ChannelId, readonly DescriptionChange[]>> {
  const changes: Partial<Record<ChannelId, readonly DescriptionChange[]>> = {};
  for (const channel of channels) {
    let cleaned;
    try {
      cleaned = cleanDescription(channel, subject);
    } catch (error) {
      if (isCashierError(error)) throw new ApiError(422, 'invalid_description', `${channel}: ${error.message}`, 'subject');
      throw error;
    }
    if (cleaned.changes.length === 0) continue;
    if (policy === 'reject') {
      const detail = cleaned.changes.map((change) => change.detail).join('; ');
      throw new ApiError(
        422,
        'invalid_description',
        `${RULEBOOK[channel].name.en} cannot take this subject as it is (${detail}); change it, or send "descriptionPolicy": "clean"`,
        'subject',
      );
    }
    changes[channel] = cleaned.changes;
  }
  return changes;
}

function expiry(now: Date, at: string | undefined, inSeconds: number | undefined): Date {
  if (at === undefined) return new Date(now.getTime() + (inSeconds ?? DEFAULT_EXPIRY_SECONDS) * 1000);
  const expiresAt = new Date(at);
  const seconds = (expiresAt.getTime() - now.getTime()) / 1000;
  if (seconds < 60) throw new ApiError(422, 'invalid_expiry', 'expiresAt must be at least a minute from now', 'expiresAt');
  if (seconds > MAX_EXPIRY_SECONDS) throw new ApiError(422, 'invalid_expiry', 'expiresAt must be within 15 days', 'expiresAt');
  return expiresAt;
}
