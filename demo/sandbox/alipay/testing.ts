// Test support for the Alipay sandbox: raw signed requests to its gateway.do, built by hand from the published
// rules (channel-protocols.md §2.1) rather than by the adapter, so the sandbox's own tests do not lean on it.

import type { KeyObject } from 'node:crypto';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { signParams } from '../../../bff/channels/alipay/crypto.ts';
import type { AlipayCredentials } from '../../../bff/keys/index.ts';

export interface RawCall {
  readonly status: number;
  readonly raw: string;
  /** The `…_response` (or error_response) object, parsed. */
  readonly response: Record<string, unknown>;
  readonly sign: unknown;
}

export interface CallOptions {
  readonly now?: Date;
  readonly key?: KeyObject;
  /** Extra common parameters, or overrides (undefined removes one). */
  readonly common?: Readonly<Record<string, string | undefined>>;
  /** Changes made after signing (tampering). */
  readonly after?: Readonly<Record<string, string | undefined>>;
  /** Where the parameters travel: as the SDKs split them (default), all in the form body, or all in the URL (GET). */
  readonly transport?: 'split' | 'body' | 'get';
}

export function signedCall(credentials: AlipayCredentials, method: string, biz: Readonly<Record<string, unknown>>, options: CallOptions = {}): Record<string, string> {
  const params = signParams(
    {
      app_id: credentials.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: formatBeijingTime(options.now ?? new Date()),
      version: '1.0',
      biz_content: JSON.stringify(biz),
      ...options.common,
    },
    options.key ?? credentials.appPrivateKey,
  );
  const changed: Record<string, string> = { ...params };
  for (const [key, value] of Object.entries(options.after ?? {})) {
    if (value === undefined) delete changed[key];
    else changed[key] = value;
  }
  return changed;
}

export async function send(credentials: AlipayCredentials, params: Readonly<Record<string, string>>, transport: CallOptions['transport'] = 'split'): Promise<RawCall> {
  const url = new URL(credentials.gateway);
  let init: RequestInit = {};
  if (transport === 'get') {
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  } else {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (transport === 'split' && key !== 'biz_content') url.searchParams.set(key, value);
      else body.set(key, value);
    }
    init = { method: 'POST', body };
  }
  const response = await fetch(url, init);
  const raw = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // Left empty: the caller looks at `raw` and `status`.
  }
  const method = params.method;
  const key = method ? `${method.replaceAll('.', '_')}_response` : 'error_response';
  const value = parsed[key] ?? parsed.error_response;
  return { status: response.status, raw, response: (value ?? {}) as Record<string, unknown>, sign: parsed.sign };
}

export async function call(credentials: AlipayCredentials, method: string, biz: Readonly<Record<string, unknown>>, options: CallOptions = {}): Promise<RawCall> {
  return send(credentials, signedCall(credentials, method, biz, options), options.transport);
}
