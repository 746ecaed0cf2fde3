// Test support for the UnionPay sandbox alone: fresh demo credentials, the sandbox in-process on its own clock,
// and requests signed by hand as the merchant from the published field lists (§3.1, §3.3, official demo
// Form_6_4_Refund) rather than by the adapter, so the sandbox's tests do not lean on it. Answers are read raw.

import type { KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certId, sign, toForm, type UnionpayTrust } from '../../../bff/channels/unionpay/crypto.ts';
import { loadCredentials } from '../../../bff/keys/index.ts';
import { ensureDemoCredentials, type SandboxSecrets } from '../../credentials.ts';
import { BillDiscrepancyBook } from '../bills.ts';
import { FaultBook } from '../faults.ts';
import { Notifier, type Notification } from '../notifier.ts';
import { OrderBook } from '../order-book.ts';
import { SandboxClock, type SandboxContext } from '../types.ts';
import { unionpaySandbox } from './index.ts';

export interface UnionpayFixture {
  readonly secrets: SandboxSecrets['unionpay'];
  readonly merchantKey: KeyObject;
  readonly trust: UnionpayTrust;
}

/** Fresh demo credentials in a temporary directory: the sandbox's half and the merchant's signing key. */
export function unionpayFixture(): UnionpayFixture {
  const made = ensureDemoCredentials(mkdtempSync(join(tmpdir(), 'unionpay-sandbox-')), 'http://127.0.0.1:9');
  const secrets = made.sandbox.unionpay;
  return {
    secrets,
    merchantKey: loadCredentials(made.credentialsDir).unionpay!.signPrivateKey,
    trust: { root: secrets.rootCertificate, middle: secrets.middleCertificate },
  };
}

/** A notifier that keeps what it is asked to send instead of sending it, so a test can build each delivery. */
export class KeepingNotifier extends Notifier {
  readonly sent: Notification[] = [];
  override send(notification: Notification): void {
    this.sent.push(notification);
  }
}

export interface SandboxOptions {
  /** Where the sandbox's clock starts (it stands still until a test advances it). */
  readonly at?: Date;
  /** The merchant's notify endpoint, as the notifier reaches it; by default every delivery is acknowledged. */
  readonly merchant?: typeof fetch;
  readonly notifier?: Notifier;
}

export function sandboxWith(fixture: UnionpayFixture, options: SandboxOptions = {}) {
  const at = options.at ?? new Date();
  const faults = new FaultBook();
  const notifier = options.notifier ?? new Notifier({ timeScale: 0.001, faults, fetch: options.merchant ?? (async () => new Response('ok', { status: 200 })) });
  const context: SandboxContext = {
    secrets: { unionpay: fixture.secrets } as SandboxSecrets,
    orders: new OrderBook(),
    faults,
    notifier,
    publicUrl: 'http://sandbox.test',
    clock: new SandboxClock(() => new Date(at.getTime())),
    bills: new BillDiscrepancyBook(),
  };
  return { context, faults, notifier, sandbox: unionpaySandbox(context) };
}

export type UnionpaySandbox = ReturnType<typeof sandboxWith>['sandbox'];

/** `YYYYMMDDhhmmss` in Beijing time, written independently of the code under test. */
export function beijing(at: Date): string {
  const b = new Date(at.getTime() + 8 * 3600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${b.getUTCFullYear()}${two(b.getUTCMonth() + 1)}${two(b.getUTCDate())}${two(b.getUTCHours())}${two(b.getUTCMinutes())}${two(b.getUTCSeconds())}`;
}

let serial = 0;
/** A fresh orderId (letters and digits, 8–32). */
export function newOrderId(prefix = 'T'): string {
  serial += 1;
  return `${prefix}${Date.now()}${String(serial).padStart(4, '0')}`;
}

type Fields = Record<string, string | undefined>;

function common(fixture: UnionpayFixture): Fields {
  return { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: certId(fixture.secrets.merchantCertificate), merId: fixture.secrets.merId };
}

/** An app consume (appTransReq.do) for ¥128.00 at `at`, payable for 15 minutes. */
export function consumeFields(fixture: UnionpayFixture, at: Date, overrides: Fields = {}): Fields {
  return {
    ...common(fixture),
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    accessType: '0',
    currencyCode: '156',
    txnAmt: '12800',
    orderId: newOrderId('C'),
    txnTime: beijing(at),
    payTimeout: beijing(new Date(at.getTime() + 15 * 60_000)),
    backUrl: 'https://shop.example/notify/unionpay',
    reqReserved: 'cart-42',
    ...overrides,
  };
}

/** A refund (backTransReq.do) as the official demo Form_6_4_Refund sends it: no currencyCode. */
export function refundFields(fixture: UnionpayFixture, at: Date, origQryId: string, overrides: Fields = {}): Fields {
  return {
    ...common(fixture),
    txnType: '04',
    txnSubType: '00',
    bizType: '000201',
    channelType: '07',
    accessType: '0',
    orderId: newOrderId('R'),
    txnTime: beijing(at),
    txnAmt: '5000',
    origQryId,
    backUrl: 'https://shop.example/notify/unionpay/refund',
    ...overrides,
  };
}

/** A query (queryTrans.do) for orderId + txnTime. */
export function queryFields(fixture: UnionpayFixture, orderId: string, txnTime: string, overrides: Fields = {}): Fields {
  return { ...common(fixture), txnType: '00', txnSubType: '00', bizType: '000000', accessType: '0', orderId, txnTime, ...overrides };
}

/** Drops undefined fields and signs the rest (§3.2) with `key`. */
export function signedBy(key: KeyObject, fields: Fields): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) clean[name] = value;
  return { ...clean, signature: sign(clean, key) };
}

export function postForm(sandbox: UnionpaySandbox, path: string, fields: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(
    sandbox.app.request(path, { method: 'POST', body: toForm(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...init }),
  );
}

/** Synchronous answers are raw `k=v&…` (values not URL-encoded); none of the sandbox's nests braces. */
export function readRaw(body: string): Record<string, string> {
  return Object.fromEntries(
    body.split('&').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
