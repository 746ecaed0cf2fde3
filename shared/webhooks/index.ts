// Signed merchant webhooks: `Cashier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, one v1 per
// secret while two overlap during rotation. Web Crypto only, so the same helper runs in the BFF, in a merchant's
// Node server, or at the edge. Merchants: call verifyWebhook with the raw body, before parsing it.

export const SIGNATURE_HEADER = 'Cashier-Signature';
/** A signature older (or newer) than this is refused: a replayed request is useless after five minutes. */
export const TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The header value for `body` sent at `timestamp` (Unix seconds), signed with every current secret. */
export async function signWebhook(body: string, secrets: readonly string[], timestamp: number): Promise<string> {
  const macs = await Promise.all(secrets.map((secret) => hmacHex(secret, `${timestamp}.${body}`)));
  return [`t=${timestamp}`, ...macs.map((mac) => `v1=${mac}`)].join(',');
}

export type WebhookVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'bad-signature' };

/**
 * Checks a webhook: the header parses, its timestamp is within five minutes of `now`, and some v1 matches the
 * HMAC of "t.body" under one of `secrets` (compared in constant time).
 */
export async function verifyWebhook(
  body: string,
  header: string | null | undefined,
  secrets: readonly string[],
  now: Date = new Date(),
  toleranceSeconds = TOLERANCE_SECONDS,
): Promise<WebhookVerification> {
  if (!header) return { ok: false, reason: 'malformed' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = parts.find(([name]) => name === 't')?.[1];
  const signatures = parts.filter(([name, value]) => name === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)).map(([, value]) => value as string);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const timestamp = Number(t);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  for (const secret of secrets) {
    const expected = await hmacHex(secret, `${t}.${body}`);
    if (signatures.some((signature) => constantTimeEqual(signature, expected))) return { ok: true, timestamp };
  }
  return { ok: false, reason: 'bad-signature' };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
