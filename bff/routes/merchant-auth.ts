// The merchant API's middleware: authentication by a secret key in `Authorization: Bearer sk_…` (found by its hash),
// and the Idempotency-Key every POST must carry.

import { createMiddleware } from 'hono/factory';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { bearer, sha256 } from '../http.ts';
import { withIdempotency } from '../store/idempotency.ts';
import { merchantByApiKey, type MerchantRow } from '../store/orders.ts';

export type MerchantEnv = { Variables: { merchant: MerchantRow } };

export function merchantAuth(deps: Deps) {
  return createMiddleware<MerchantEnv>(async (c, next) => {
    const key = bearer(c);
    const merchant = key ? await merchantByApiKey(deps.db, key) : undefined;
    if (!merchant) throw new ApiError(401, 'unauthorized', 'a valid secret key is needed: Authorization: Bearer sk_…');
    c.set('merchant', merchant);
    await next();
  });
}

/** Every POST carries an Idempotency-Key: the same key and body replays the first answer (see store/idempotency). */
export function idempotency(deps: Deps) {
  return createMiddleware<MerchantEnv>(async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (!key || !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new ApiError(400, 'idempotency_key_required', 'every POST needs an Idempotency-Key header (1–255 visible characters)', 'Idempotency-Key');
    }
    const hash = sha256(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);
    const result = await withIdempotency(deps.db, c.get('merchant').id, key, hash, async () => {
      await next();
      return { status: c.res.status, body: await c.res.clone().json() };
    });
    if (result.replayed) {
      return c.json(result.body as object, result.status as 200, { 'Idempotent-Replayed': 'true' });
    }
  });
}
