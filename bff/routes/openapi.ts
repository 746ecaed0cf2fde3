// The OpenAPI document, built from the same valibot schemas the routes validate with, so it cannot drift.

import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import {
  CashierSessionSchema,
  CreateOrderSchema,
  ErrorResponseSchema,
  OptionSchema,
  OrderSchema,
  PayActionSchema,
  UnavailableSchema,
} from '../../shared/schemas/index.ts';

const json = (schema: v.GenericSchema) => toJsonSchema(schema, { errorMode: 'ignore', target: 'openapi-3.0' });
const content = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const errors = {
  '400': { description: 'Invalid request', content: content('Error') },
  '401': { description: 'Missing or wrong credentials', content: content('Error') },
  '404': { description: 'Not found', content: content('Error') },
  '409': { description: 'Conflict (state, or an Idempotency-Key in flight)', content: content('Error') },
  '422': { description: 'Breaks a rule (channel, amount, description, reused Idempotency-Key)', content: content('Error') },
};
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 } };
const orderId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const orderResponse = { description: 'The order', content: { 'application/json': { schema: { type: 'object', properties: { order: { $ref: '#/components/schemas/Order' } } } } } };

export function openApiDocument() {
  return {
    openapi: '3.0.3',
    info: { title: 'Unified cashier BFF', version: '0.1.0' },
    components: {
      securitySchemes: {
        merchantKey: { type: 'http', scheme: 'bearer', description: 'The merchant\u2019s secret key (sk_…)' },
        cashierSession: { type: 'http', scheme: 'bearer', description: 'A cashier-session token (cs_…), one order' },
      },
      schemas: {
        CreateOrder: json(CreateOrderSchema),
        Order: json(OrderSchema),
        CashierSession: json(CashierSessionSchema),
        Option: json(OptionSchema),
        Unavailable: json(UnavailableSchema),
        PayAction: json(PayActionSchema),
        Error: json(ErrorResponseSchema),
      },
    },
    paths: {
      '/v1/orders': {
        post: {
          summary: 'Create an order (a retry with the same merchantOrderNo and details returns the same order)',
          security: [{ merchantKey: [] }],
          parameters: [idempotencyKey],
          requestBody: { required: true, content: content('CreateOrder') },
          responses: { '201': orderResponse, '200': orderResponse, ...errors },
        },
      },
      '/v1/orders/{id}': {
        get: { summary: 'Read an order', security: [{ merchantKey: [] }], parameters: [orderId], responses: { '200': orderResponse, ...errors } },
      },
      '/v1/orders/{id}/close': {
        post: {
          summary: 'Close an order: closed once every channel confirms (202 while one has not)',
          security: [{ merchantKey: [] }],
          parameters: [orderId, idempotencyKey],
          responses: { '200': orderResponse, '202': orderResponse, ...errors },
        },
      },
      '/v1/orders/{id}/cashier-sessions': {
        post: {
          summary: 'Open a cashier session for the widget',
          security: [{ merchantKey: [] }],
          parameters: [orderId, idempotencyKey],
          responses: { '201': { description: 'The session', content: content('CashierSession') }, ...errors },
        },
      },
      '/v1/orders/{id}/events': {
        get: {
          summary: 'The order\u2019s events in order, 100 at a time after `after`',
          security: [{ merchantKey: [] }],
          parameters: [orderId, { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } }],
          responses: { '200': { description: 'Events' }, ...errors },
        },
      },
      '/v1/orders/{id}/refunds': {
        post: {
          summary: 'Refund part or all of a paid order (idempotent by merchantRefundNo: 201 made, 200 the same refund again)',
          security: [{ merchantKey: [] }],
          parameters: [orderId, idempotencyKey],
          responses: { '201': { description: 'The refund' }, '200': { description: 'The refund already made with this number' }, '429': { description: 'Too soon after the last refund (the channel’s interval)' }, ...errors },
        },
        get: { summary: 'The order’s refunds', security: [{ merchantKey: [] }], parameters: [orderId], responses: { '200': { description: 'Refunds' }, ...errors } },
      },
      '/v1/refunds/{id}': {
        get: { summary: 'Read a refund (fee charged and returned included)', security: [{ merchantKey: [] }], parameters: [orderId], responses: { '200': { description: 'The refund' }, ...errors } },
      },
      '/v1/reconciliation/days': {
        get: {
          summary: 'Reconciled clearing days, newest first, with this merchant’s item counts',
          security: [{ merchantKey: [] }],
          parameters: [
            { name: 'channel', in: 'query', schema: { type: 'string' } },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date' } },
          ],
          responses: { '200': { description: 'Days' }, ...errors },
        },
      },
      '/v1/reconciliation/days/{channel}/{date}': {
        get: {
          summary: 'One day: its summary and this merchant’s items (channel_only, ours_only, amount/status/fee mismatch)',
          security: [{ merchantKey: [] }],
          parameters: [
            { name: 'channel', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } },
            { name: 'state', in: 'query', schema: { type: 'string', enum: ['waiting', 'open', 'resolved'] } },
            { name: 'type', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'after', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'The day and its items; `next` when there are more' }, ...errors },
        },
      },
      '/v1/reconciliation/items/{id}/resolve': {
        post: {
          summary: 'Mark an item resolved with a note (it stays resolved when the day is run again)',
          security: [{ merchantKey: [] }],
          parameters: [orderId, idempotencyKey],
          responses: { '200': { description: 'The item' }, ...errors },
        },
      },
      '/cashier/v1/session': {
        get: { summary: 'The order summary and the options for this terminal', security: [{ cashierSession: [] }], responses: { '200': { description: 'Session' }, ...errors } },
      },
      '/cashier/v1/pay': {
        post: {
          summary: 'Pay with an option: the next action',
          security: [{ cashierSession: [] }],
          responses: { '201': { description: 'Next action', content: content('PayAction') }, '503': { description: 'The channel did not answer' }, ...errors },
        },
      },
      '/cashier/v1/wechat/oauth': {
        get: {
          summary: 'Inside WeChat: sign the payer in (snsapi_base) for the openid JSAPI pay needs; back to `return` with cashier_oauth=ok|denied|failed',
          parameters: [
            { name: 'session', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'return', in: 'query', required: true, schema: { type: 'string', format: 'uri' } },
          ],
          responses: { '302': { description: 'To WeChat’s authorize page' }, ...errors },
        },
      },
      '/cashier/v1/wechat/miniprogram/login': {
        post: {
          summary: 'In a mini-program: a wx.login code, exchanged for the payer’s openid under the mini-program',
          security: [{ cashierSession: [] }],
          responses: { '200': { description: '{ ok: true }' }, '503': { description: 'WeChat did not answer' }, ...errors },
        },
      },
      '/cashier/v1/status': {
        get: { summary: 'The order status', security: [{ cashierSession: [] }], responses: { '200': { description: 'Status' }, ...errors } },
      },
      '/cashier/v1/status/stream': {
        get: { summary: 'The order status as server-sent events', security: [{ cashierSession: [] }], responses: { '200': { description: 'text/event-stream' } } },
      },
    },
  };
}
