// The merchant API's authentication: a secret key in `Authorization: Bearer sk_…`, found by its hash.

import { createMiddleware } from 'hono/factory';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { bearer } from '../http.ts';
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
