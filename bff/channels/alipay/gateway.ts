// Talking to Alipay's OpenAPI 2.0 gateway (gateway.do): the common parameters, the RSA2 request signature, the
// signed URL and order-string forms of page/WAP/APP pay, and server calls whose answer is trusted only once its
// signature over the raw text checks out (channel-protocols.md §2.1, §2.2). Knows nothing of our neutral results.

import ky from 'ky';
import type { AlipayCredentials } from '../../keys/index.ts';
import type { HttpOptions } from '../index.ts';
import { formatBeijingTime } from '../../../shared/channels/beijing-time.ts';
import { responseSignedContent, signParams, verifyResponse } from './crypto.ts';

/** What the gateway said, as far as we can trust it. */
export type GatewayAnswer =
  /** Nothing usable came back: transport error, timeout, an HTTP error status, or not Alipay's JSON shape. */
  | { readonly kind: 'no-answer'; readonly reason: string }
  /** An answer whose signature does not verify (or is missing): treated as if nothing came back. */
  | { readonly kind: 'untrusted'; readonly reason: string }
  /** The verified `…_response` (or `error_response`) object, parsed from exactly the text the signature covers. */
  | { readonly kind: 'answer'; readonly response: Readonly<Record<string, unknown>> };

export interface RequestExtras {
  readonly notifyUrl?: string | undefined;
  readonly returnUrl?: string | undefined;
}

export interface AlipayGateway {
  /** Signed common parameters plus biz_content (§2.1): what every request form below is made of. */
  signedParams(method: string, bizContent: Readonly<Record<string, unknown>>, extras?: RequestExtras): Readonly<Record<string, string>>;
  /** page/WAP pay: the signed GET URL of the gateway the customer's browser opens (no server call). */
  signedUrl(method: string, bizContent: Readonly<Record<string, unknown>>, extras?: RequestExtras): string;
  /** APP pay: the signed order string the App SDK takes, `k=urlencoded(v)&…` as the SDKs' sdkExecute writes it. */
  orderString(method: string, bizContent: Readonly<Record<string, unknown>>, extras?: RequestExtras): string;
  /** A server call. `read` marks an idempotent query, the only kind retried (DESIGN §7). */
  call(method: string, bizContent: Readonly<Record<string, unknown>>, options: { readonly read: boolean; readonly extras?: RequestExtras }): Promise<GatewayAnswer>;
}

// Parameters the official SDKs put in the URL query; the rest (biz_content) goes in the form body. Alipay reads
// both, and the sandbox merges them as the real gateway does (§2.1, alipay-sdk formatUrl()).
const QUERY_KEYS = new Set(['app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version', 'notify_url', 'return_url']);

function encodePairs(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

export function alipayGateway(credentials: AlipayCredentials, http: HttpOptions): AlipayGateway {
  const now = http.now ?? (() => new Date());

  const signedParams: AlipayGateway['signedParams'] = (method, bizContent, extras = {}) =>
    signParams(
      {
        app_id: credentials.appId,
        method,
        format: 'JSON',
        charset: 'utf-8',
        sign_type: 'RSA2',
        // Beijing time whatever the server's zone (see beijing-time.ts).
        timestamp: formatBeijingTime(now()),
        version: '1.0',
        // Absent, never empty: the gateway drops empty values from the signed content but the SDKs do not (§2.1).
        notify_url: extras.notifyUrl || undefined,
        return_url: extras.returnUrl || undefined,
        biz_content: JSON.stringify(bizContent),
      },
      credentials.appPrivateKey,
    );

  const call: AlipayGateway['call'] = async (method, bizContent, options) => {
    const params = signedParams(method, bizContent, options.extras);
    const url = new URL(credentials.gateway);
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (QUERY_KEYS.has(key)) url.searchParams.set(key, value);
      else body.set(key, value);
    }
    let status: number;
    let raw: string;
    try {
      const response = await ky.post(url, {
        body,
        headers: { accept: 'application/json' },
        timeout: http.timeoutMs,
        // Every gateway call is a POST; only queries may be repeated, and only after a network error (ky never
        // retries after its own timeout, so a slow answer is not asked for twice).
        retry: options.read ? { limit: http.readRetries, methods: ['post'], statusCodes: [] } : 0,
        throwHttpErrors: false,
        ...(http.fetch ? { fetch: http.fetch } : {}),
      });
      status = response.status;
      raw = await response.text();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      return { kind: 'no-answer', reason: name === 'TimeoutError' ? `no answer within ${http.timeoutMs} ms` : `transport error (${name})` };
    }
    if (status !== 200) return { kind: 'no-answer', reason: `HTTP ${status}` };
    return readAnswer(raw, method, credentials);
  };

  return {
    signedParams,
    signedUrl: (method, bizContent, extras) => {
      const url = new URL(credentials.gateway);
      url.search = encodePairs(signedParams(method, bizContent, extras));
      return url.toString();
    },
    orderString: (method, bizContent, extras) => encodePairs(signedParams(method, bizContent, extras)),
    call,
  };
}

/** `alipay.trade.query` → `alipay_trade_query_response` (§2.2). */
function responseKeyOf(method: string): string {
  return `${method.replaceAll('.', '_')}_response`;
}

function readAnswer(raw: string, method: string, credentials: AlipayCredentials): GatewayAnswer {
  const key = responseKeyOf(method);
  // Alipay answers under the method's key, or under error_response for some gateway errors (§2.2).
  const content = responseSignedContent(raw, key) ?? responseSignedContent(raw, 'error_response');
  if (content === null) return { kind: 'no-answer', reason: `the answer has no ${key}` };
  if (!verifyResponse(raw, key, credentials.alipayPublicKey)) {
    return { kind: 'untrusted', reason: 'the answer is not signed with the Alipay public key we hold' };
  }
  // Parsed from the very substring the signature covers, never from the whole body: with a key given twice,
  // JSON.parse would keep the last value while the signature vouches only for the first.
  let response: unknown;
  try {
    response = JSON.parse(content);
  } catch {
    return { kind: 'no-answer', reason: 'the signed answer is not JSON' };
  }
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    return { kind: 'no-answer', reason: `${key} is not an object` };
  }
  return { kind: 'answer', response: response as Record<string, unknown> };
}
