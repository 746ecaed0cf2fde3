// Test support for the WeChat Pay sandbox alone: it on a real ephemeral port with fresh demo credentials, and a
// merchant that signs its requests as WeChat requires (or, on purpose, does not), reading every answer raw.

import type { KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { authorization } from '../../../bff/channels/wechatpay/crypto.ts';
import { loadCredentials, type WechatpayCredentials } from '../../../bff/keys/index.ts';
import { ensureDemoCredentials, type SandboxSecrets } from '../../credentials.ts';
import { BillDiscrepancyBook } from '../bills.ts';
import { Notifier } from '../notifier.ts';
import { OrderBook } from '../order-book.ts';
import { SandboxClock, type SandboxContext } from '../types.ts';
import { wechatpaySandbox, type WechatpaySandbox, type WechatpaySandboxOptions } from './index.ts';
import { FaultBook } from '../faults.ts';

export interface SignedCall {
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  /** What goes into the signature, when it should differ from what is sent. */
  readonly signedPath?: string;
  readonly signedBody?: string;
  readonly privateKey?: KeyObject;
  readonly serialNo?: string;
  readonly mchid?: string;
  readonly timestamp?: string | number;
  /** Replaces the Authorization header altogether (null: none). */
  readonly authorization?: string | null;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

export interface WechatpayTestSandbox {
  readonly url: string;
  readonly sandbox: WechatpaySandbox;
  readonly context: SandboxContext;
  readonly secrets: SandboxSecrets['wechatpay'];
  readonly credentials: WechatpayCredentials;
  call(path: string, options?: SignedCall): Promise<RawAnswer>;
  close(): Promise<void>;
}

export interface WechatpayTestOptions extends WechatpaySandboxOptions {
  readonly timeScale?: number;
  /** The channel's clock (default: the machine's); tests of bill times start it at a chosen instant. */
  readonly now?: () => Date;
}

export async function startWechatpaySandbox(options: WechatpayTestOptions = {}): Promise<WechatpayTestSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wechatpay-sandbox-'));
  let app: WechatpaySandbox['app'] | undefined;
  const server = serve({ fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { credentialsDir, sandbox: secrets } = ensureDemoCredentials(dataDir, url);
  const credentials = loadCredentials(credentialsDir).wechatpay;
  if (!credentials) throw new Error('demo credentials have no wechatpay.json');
  // One fault book for the channel and the notifier, as the frame wires them: delivery faults are the notifier's.
  const faults = new FaultBook();
  const context: SandboxContext = {
    secrets,
    orders: new OrderBook(),
    faults,
    notifier: new Notifier({ timeScale: options.timeScale ?? 0.001, faults }),
    publicUrl: url,
    clock: new SandboxClock(options.now),
    bills: new BillDiscrepancyBook(),
  };
  const sandbox = wechatpaySandbox(context, options.refundProcessingMs === undefined ? {} : { refundProcessingMs: options.refundProcessingMs });
  app = sandbox.app;

  return {
    url,
    sandbox,
    context,
    secrets: secrets.wechatpay,
    credentials,
    async call(path, call = {}) {
      const method = call.method ?? (call.body === undefined ? 'GET' : 'POST');
      const body = call.body ?? '';
      const header =
        call.authorization !== undefined
          ? call.authorization
          : authorization({
              mchid: call.mchid ?? credentials.mchid,
              serialNo: call.serialNo ?? credentials.merchantSerialNo,
              privateKey: call.privateKey ?? credentials.merchantPrivateKey,
              method,
              url: call.signedPath ?? path,
              body: call.signedBody ?? body,
              ...(call.timestamp === undefined ? {} : { timestamp: call.timestamp }),
            });
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          Accept: 'application/json',
          ...(header === null ? {} : { Authorization: header }),
          ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body } : {}),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    close: async () => {
      context.notifier.stop();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
