// Cashier sessions: a random token the widget holds, scoped to one order, to read and pay it and nothing else.
// Only the token's SHA-256 is stored; it expires with the order.

import type { Queryable } from './db.ts';
import { newSecret } from './ids.ts';
import { hashSecret } from './orders.ts';

export async function createSession(db: Queryable, orderId: string, expiresAt: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret('cs');
  await db.query('INSERT INTO cashier_sessions (token_hash, order_id, expires_at) VALUES ($1, $2, $3)', [
    hashSecret(token),
    orderId,
    expiresAt,
  ]);
  return { token, expiresAt };
}

/** The order a live token opens, or undefined for an unknown or expired token. */
export async function sessionOrderId(db: Queryable, token: string): Promise<string | undefined> {
  const [row] = await db.query<{ order_id: string }>(
    'SELECT order_id FROM cashier_sessions WHERE token_hash = $1 AND expires_at > now()',
    [hashSecret(token)],
  );
  return row?.order_id;
}
