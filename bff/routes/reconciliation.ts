// Reconciliation results over HTTP. Merchants (secret key) see the days and the items about their own orders; the
// operator of the channel accounts (CASHIER_OPERATOR_TOKEN) sees everything — bill lines that belong to no order of
// ours included — and can run a day again. The CLI (`npm run reconcile`) uses the operator's side.

import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import * as v from 'valibot';
import { RULEBOOK, type ChannelId } from '../../shared/channels/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { bearer, sha256 } from '../http.ts';
import { ITEM_TYPES, reconcileDay } from '../reconcile/index.ts';
import { listDays, listItems, resolveItem, type ItemRow, type Scope } from '../store/reconciliation.ts';
import { idempotency, merchantAuth, type MerchantEnv } from './merchant-auth.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const STATES = ['waiting', 'open', 'resolved'] as const;
const ResolveSchema = v.strictObject({ note: v.pipe(v.string(), v.trim(), v.minLength(1, 'say how it was resolved'), v.maxLength(500)) });

type ScopeEnv = { Variables: { scope: Scope } };

function channelParam(value: string): ChannelId {
  if (!(value in RULEBOOK)) throw new ApiError(404, 'not_found', `no channel ${JSON.stringify(value)}`, 'channel');
  return value as ChannelId;
}

function dayParam(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new ApiError(400, 'invalid_request', `${field} is a date such as 2026-11-26`, field);
  }
  return value;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], field: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ApiError(400, 'invalid_request', `${field} is one of ${allowed.join(', ')}`, field);
  return value as T;
}

/** A day as `scope` may see it: a merchant gets its own lines and matches, the operator the account's. */
function toApiDay(row: Awaited<ReturnType<typeof listDays>>[number], scope: Scope) {
  const items = Object.fromEntries(ITEM_TYPES.map((type) => [type, 0])) as Record<string, number>;
  const states = { waiting: 0, open: 0, resolved: 0 } as Record<string, number>;
  for (const group of row.items ?? []) {
    items[group.type] = (items[group.type] ?? 0) + group.n;
    states[group.state] = (states[group.state] ?? 0) + group.n;
  }
  return {
    channel: row.channel,
    date: row.bill_date,
    status: row.status,
    ...volume(row, scope),
    items,
    ...states,
    ...('operator' in scope ? { unattributed: row.unattributed } : {}),
    ...(row.last_error ? { lastError: row.last_error } : {}),
    attempts: row.attempts,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

function volume(row: Awaited<ReturnType<typeof listDays>>[number], scope: Scope): { billLines: number | null; matched: number | null } {
  if (row.bill_lines === null) return { billLines: null, matched: null };
  if ('operator' in scope) return { billLines: row.bill_lines, matched: typeof row.counts?.matched === 'number' ? row.counts.matched : null };
  const mine = (row.counts?.byMerchant as Record<string, { lines: number; matched: number }> | undefined)?.[scope.merchantId];
  return { billLines: mine?.lines ?? 0, matched: mine?.matched ?? 0 };
}

export function toApiItem(row: ItemRow) {
  return {
    id: row.id,
    channel: row.channel,
    date: row.bill_date,
    kind: row.kind,
    key: row.key,
    type: row.type,
    state: row.state,
    orderId: row.order_id,
    ours: row.ours,
    theirs: row.theirs,
    ...(row.resolution ? { resolution: row.resolution, resolvedAt: iso(row.resolved_at) } : {}),
    createdAt: iso(row.created_at),
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

/** The read and resolve routes, the same for both scopes. */
function resultsRoutes<E extends ScopeEnv>(deps: Deps) {
  return new Hono<E>()
    .get('/reconciliation/days', async (c) => {
      const channel = c.req.query('channel');
      const rows = await listDays(deps.db, c.get('scope'), {
        channel: channel === undefined ? undefined : channelParam(channel),
        from: dayParam(c.req.query('from'), 'from'),
        to: dayParam(c.req.query('to'), 'to'),
      });
      return c.json({ days: rows.map((row) => toApiDay(row, c.get('scope'))) });
    })
    .get('/reconciliation/days/:channel/:date', async (c) => {
      const channel = channelParam(c.req.param('channel'));
      const date = dayParam(c.req.param('date'), 'date') as string;
      const [day] = await listDays(deps.db, c.get('scope'), { channel, from: date, to: date }, 1);
      if (!day) throw new ApiError(404, 'not_found', `${channel} ${date} has not been reconciled`);
      const limitText = c.req.query('limit') ?? '100';
      const limit = Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, 'invalid_request', 'limit is 1–500', 'limit');
      const items = await listItems(deps.db, c.get('scope'), channel, date, {
        state: oneOf(c.req.query('state'), STATES, 'state'),
        type: oneOf(c.req.query('type'), ITEM_TYPES, 'type'),
        after: c.req.query('after'),
        limit: limit + 1,
      });
      const page = items.slice(0, limit);
      return c.json({ day: toApiDay(day, c.get('scope')), items: page.map(toApiItem), ...(items.length > limit ? { next: page.at(-1)?.id } : {}) });
    })
    .post('/reconciliation/items/:id/resolve', async (c) => {
      const body = v.safeParse(ResolveSchema, await c.req.json().catch(() => undefined));
      if (!body.success) throw new ApiError(400, 'invalid_request', body.issues[0].message, v.getDotPath(body.issues[0]) ?? 'note');
      const row = await resolveItem(deps.db, c.get('scope'), c.req.param('id'), body.output.note, deps.now());
      if (!row) throw new ApiError(404, 'not_found', 'no such reconciliation item');
      return c.json({ item: toApiItem(row) });
    });
}

/** Under /v1: a merchant's own items. */
export function reconciliationApi(deps: Deps) {
  const auth = merchantAuth(deps);
  const scoped = createMiddleware<MerchantEnv & ScopeEnv>(async (c, next) => {
    c.set('scope', { merchantId: c.get('merchant').id });
    await next();
  });
  return new Hono<MerchantEnv & ScopeEnv>()
    .use('/reconciliation/*', auth, scoped)
    .use('/reconciliation/items/:id/resolve', idempotency(deps))
    .route('/', resultsRoutes<MerchantEnv & ScopeEnv>(deps));
}

/**
 * Under /ops/v1: the operator's view and re-runs, behind `Authorization: Bearer <operator token>`; absent when no
 * operator token is configured. Only the token's hash is held.
 */
export function operatorApi(deps: Deps) {
  const auth = createMiddleware<ScopeEnv>(async (c, next) => {
    const token = bearer(c);
    if (!deps.operatorTokenHash) throw new ApiError(404, 'not_found', 'the operator API is not enabled (set CASHIER_OPERATOR_TOKEN)');
    if (!token || sha256(token) !== deps.operatorTokenHash) throw new ApiError(401, 'unauthorized', 'the operator token is needed');
    c.set('scope', { operator: true });
    await next();
  });
  return new Hono<ScopeEnv>()
    .use('*', auth)
    .route('/', resultsRoutes<ScopeEnv>(deps))
    .post('/reconciliation/days/:channel/:date/run', async (c) => {
      const channel = channelParam(c.req.param('channel'));
      const date = dayParam(c.req.param('date'), 'date') as string;
      const result = await reconcileDay(deps, channel, date);
      // A channel this BFF has no credentials for is not here (404: the CLI skips such channels); 502 is the channel's.
      const status =
        result.status === 'done' ? 200
        : result.status === 'busy' ? 409
        : result.status === 'not-ready' ? 425
        : result.code === 'no_adapter' ? 404
        : 502;
      return c.json(result, status);
    });
}

