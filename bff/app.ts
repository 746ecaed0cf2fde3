// The BFF as one Hono app: the merchant API under /v1, the widget's cashier API under /cashier/v1, the channels'
// notification endpoints under /notify/:channel, the OpenAPI document. Free of Node-only APIs at this level; the store and the adapters come in through `deps`.

import { Hono } from 'hono';
import type { Deps } from './deps.ts';
import { ApiError, errorHandler } from './errors.ts';
import { cashierApi } from './routes/cashier.ts';
import { openApiDocument } from './routes/openapi.ts';
import { notifyApi } from './notify/index.ts';
import { ordersApi } from './routes/orders.ts';
import { operatorApi, reconciliationApi } from './routes/reconciliation.ts';
import { webhooksApi } from './routes/webhooks.ts';
import { widgetAssets } from './routes/widget-assets.ts';

export function createApp(deps: Deps) {
  return new Hono()
    .onError(errorHandler(deps.log))
    .notFound(() => {
      throw new ApiError(404, 'not_found', 'no such endpoint');
    })
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/openapi.json', (c) => c.json(openApiDocument()))
    .route('/notify', notifyApi(deps))
    .route('/v1', ordersApi(deps))
    .route('/v1', webhooksApi(deps))
    .route('/v1', reconciliationApi(deps))
    .route('/ops/v1', operatorApi(deps))
    .route('/cashier/v1', cashierApi(deps))
    .route('/', widgetAssets());
}

export type App = ReturnType<typeof createApp>;
