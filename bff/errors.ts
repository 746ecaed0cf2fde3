// API errors: one class with an HTTP status and a stable `code`, rendered as { error: { code, message, field? } }.
// Anything else thrown is an internal error: logged by id, answered without internals.

import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isCashierError } from '../shared/errors/index.ts';
import type { ErrorResponse } from '../shared/schemas/index.ts';
import { newId } from './store/ids.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  body(): ErrorResponse {
    return { error: this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field } };
  }
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'ApiError';
}

export type Logger = (line: Record<string, unknown>) => void;

export const jsonLogger: Logger = (line) => console.error(JSON.stringify({ at: new Date().toISOString(), ...line }));

/** Hono `onError`: known errors as they are; shared rule errors as 422; the rest as a 500 that names only an id. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (isApiError(error)) return c.json(error.body(), error.status);
    if (isCashierError(error)) {
      const body: ErrorResponse = { error: error.toJSON() };
      return c.json(body, 422);
    }
    const id = newId('err', 5);
    log({ level: 'error', id, method: c.req.method, path: c.req.path, error: error.name, message: error.message });
    const body: ErrorResponse = { error: { code: 'internal_error', message: `something went wrong on our side (${id})` } };
    return c.json(body, 500);
  };
}
