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

// --- the payer ------------------------------------------------------------------------------------------------

/** A payer identity under one appid: an openid means nothing under another (channel-protocols.md §1.6). */
export interface PayerId {
  readonly appid: string;
  readonly openid: string;
}

/** What the session knows of the payer: the official account's openid (JSAPI), the mini-program's (mini-program pay). */
export interface SessionPayer {
  readonly wechat?: PayerId;
  readonly miniProgram?: PayerId;
}

export interface SessionRow {
  readonly tokenHash: string;
  readonly orderId: string;
  readonly payer: SessionPayer;
}

function payerOf(value: unknown): SessionPayer {
  const id = (entry: unknown): PayerId | undefined => {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { appid, openid } = entry as Record<string, unknown>;
    return typeof appid === 'string' && typeof openid === 'string' ? { appid, openid } : undefined;
  };
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const wechat = id(record.wechat);
  const miniProgram = id(record.miniProgram);
  return { ...(wechat ? { wechat } : {}), ...(miniProgram ? { miniProgram } : {}) };
}

/** The live session a token opens (by its hash), or undefined for an unknown or expired one. */
export async function findSession(db: Queryable, token: string): Promise<SessionRow | undefined> {
  return sessionByHash(db, hashSecret(token));
}

export async function sessionByHash(db: Queryable, tokenHash: string): Promise<SessionRow | undefined> {
  const [row] = await db.query<{ token_hash: string; order_id: string; payer: unknown }>(
    'SELECT token_hash, order_id, payer FROM cashier_sessions WHERE token_hash = $1 AND expires_at > now()',
    [tokenHash],
  );
  return row ? { tokenHash: row.token_hash, orderId: row.order_id, payer: payerOf(row.payer) } : undefined;
}

/** Records the payer's openid under `kind`, replacing an earlier one; false when the session has expired meanwhile. */
export async function setSessionPayer(db: Queryable, tokenHash: string, kind: keyof SessionPayer, id: PayerId): Promise<boolean> {
  const rows = await db.query(
    `UPDATE cashier_sessions SET payer = payer || jsonb_build_object($2::text, $3::jsonb)
      WHERE token_hash = $1 AND expires_at > now() RETURNING 1`,
    [tokenHash, kind, JSON.stringify({ appid: id.appid, openid: id.openid })],
  );
  return rows.length > 0;
}

// --- WeChat web OAuth round trips ------------------------------------------------------------------------------

export interface OAuthStateRow {
  readonly sessionHash: string;
  readonly returnUrl: string;
  readonly expiresAt: Date;
}

export async function createOAuthState(db: Queryable, state: string, row: OAuthStateRow, now: Date): Promise<void> {
  // Rows nobody came back for go when the next round trip starts; an index on expires_at keeps that cheap.
  await db.query('DELETE FROM wechat_oauth_states WHERE expires_at < $1', [new Date(now.getTime() - 3_600_000)]);
  await db.query('INSERT INTO wechat_oauth_states (state_hash, session_hash, return_url, expires_at) VALUES ($1, $2, $3, $4)', [
    hashSecret(state),
    row.sessionHash,
    row.returnUrl,
    row.expiresAt,
  ]);
}

/** Reads and deletes a state in one statement: of two callbacks with one state, only one gets it. */
export async function takeOAuthState(db: Queryable, state: string): Promise<OAuthStateRow | undefined> {
  const [row] = await db.query<{ session_hash: string; return_url: string; expires_at: Date }>(
    'DELETE FROM wechat_oauth_states WHERE state_hash = $1 RETURNING session_hash, return_url, expires_at',
    [hashSecret(state)],
  );
  return row ? { sessionHash: row.session_hash, returnUrl: row.return_url, expiresAt: new Date(row.expires_at) } : undefined;
}
