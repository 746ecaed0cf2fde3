// Test support: the sandbox on a real ephemeral port with fresh demo credentials, and the BFF's credentials
// pointing at it. Tests talk to it over HTTP exactly as the BFF does to a channel.

import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { loadCredentials, type Credentials } from '../../bff/keys/index.ts';
import { ensureDemoCredentials, type SandboxSecrets } from '../credentials.ts';
import { createSandbox } from './index.ts';

export interface TestSandbox {
  readonly url: string;
  readonly sandbox: ReturnType<typeof createSandbox>;
  readonly secrets: SandboxSecrets;
  readonly credentials: Credentials;
  readonly credentialsDir: string;
  close(): Promise<void>;
}

export async function startTestSandbox(options: { timeScale?: number; fetch?: typeof fetch } = {}): Promise<TestSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cashier-sandbox-'));
  // The port is known only once listening, so the credentials are made, then pointed at it.
  const server = serve({ fetch: (request) => sandboxRef.app.fetch(request), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { credentialsDir, sandbox: secrets } = ensureDemoCredentials(dataDir, url);
  const sandboxRef = createSandbox({ secrets, publicUrl: url, timeScale: options.timeScale ?? 0.001, ...(options.fetch ? { fetch: options.fetch } : {}) });
  return {
    url,
    sandbox: sandboxRef,
    secrets,
    credentials: loadCredentials(credentialsDir),
    credentialsDir,
    close: async () => {
      sandboxRef.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
