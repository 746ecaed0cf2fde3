// Idempotency keys for the merchant API's POSTs: the same key and body replays the first response; the same key
// with another body is refused (422); a request still running under the key gets 409. Records live 24 hours.
// Validation failures (400/422) and internal errors are not kept, so a corrected or repeated request can run.

import { ApiError } from '../errors.ts';
import type { Queryable } from './db.ts';

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

const LOCK_SECONDS = 60;

interface KeyRow {
  request_hash: string;
  state: 'in-flight' | 'done';
  response_status: number | null;
  response_body: unknown;
  locked: boolean;
  expired: boolean;
}

/** Runs `work` at most once per (merchant, key); answers `replayed: true` with the stored response otherwise. */
export async function withIdempotency(
  db: Queryable,
  merchantId: string,
  key: string,
  requestHash: string,
  work: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const claimed = await claim(db, merchantId, key, requestHash);
  if (claimed !== true) return { ...claimed, replayed: true };
  let response: StoredResponse;
  try {
    response = await work();
  } catch (error) {
    await db.query('DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2', [merchantId, key]);
    throw error;
  }
  if (response.status === 400 || response.status === 422 || response.status >= 500) {
    await db.query('DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2', [merchantId, key]);
  } else {
    await db.query(
      `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4
       WHERE merchant_id = $1 AND key = $2`,
      [merchantId, key, response.status, JSON.stringify(response.body)],
    );
  }
  return { ...response, replayed: false };
}

async function claim(db: Queryable, merchantId: string, key: string, requestHash: string): Promise<true | StoredResponse> {
  for (let round = 0; round < 2; round++) {
    const inserted = await db.query(
      `INSERT INTO idempotency_keys (merchant_id, key, request_hash, state, locked_until, expires_at)
       VALUES ($1, $2, $3, 'in-flight', now() + make_interval(secs => $4), now() + interval '24 hours')
       ON CONFLICT (merchant_id, key) DO NOTHING RETURNING 1`,
      [merchantId, key, requestHash, LOCK_SECONDS],
    );
    if (inserted.length > 0) return true;
    const [row] = await db.query<KeyRow>(
      `SELECT request_hash, state, response_status, response_body,
              locked_until > now() AS locked, expires_at <= now() AS expired
       FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
      [merchantId, key],
    );
    if (!row) continue; // deleted meanwhile: claim again
    if (row.expired) {
      await db.query('DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 AND expires_at <= now()', [merchantId, key]);
      continue;
    }
    if (row.request_hash !== requestHash) {
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', 'Idempotency-Key');
    }
    if (row.state === 'done') return { status: row.response_status ?? 200, body: row.response_body };
    if (!row.locked) {
      // The request that held the key died without finishing: take it over.
      const taken = await db.query(
        `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
         WHERE merchant_id = $1 AND key = $2 AND state = 'in-flight' AND locked_until <= now() RETURNING 1`,
        [merchantId, key, LOCK_SECONDS],
      );
      if (taken.length > 0) return true;
    }
    throw new ApiError(409, 'idempotency_key_in_flight', 'a request with this Idempotency-Key is still running', 'Idempotency-Key');
  }
  throw new ApiError(409, 'idempotency_key_in_flight', 'a request with this Idempotency-Key is still running', 'Idempotency-Key');
}
