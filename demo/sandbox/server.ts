// Runs the sandbox on its own origin (default http://127.0.0.1:8788), with the secrets the demo made.
// `node --import tsx demo/sandbox/server.ts [dataDir]`; SANDBOX_PORT, SANDBOX_TIME_SCALE to change.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { SandboxSecrets } from '../credentials.ts';
import { createSandbox } from './index.ts';

export function startSandbox(options: { dataDir: string; port: number; hostname: string; timeScale?: number }) {
  const secrets = JSON.parse(readFileSync(join(options.dataDir, 'sandbox', 'secrets.json'), 'utf8')) as SandboxSecrets;
  const publicUrl = `http://${options.hostname}:${options.port}`;
  const sandbox = createSandbox({
    secrets,
    publicUrl,
    stateFile: join(options.dataDir, 'sandbox', 'orders.json'),
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
  });
  const server = serve({ fetch: sandbox.app.fetch, port: options.port, hostname: options.hostname });
  return { publicUrl, server, sandbox };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = startSandbox({
    dataDir: process.argv[2] ?? '.data',
    port: Number(process.env.SANDBOX_PORT ?? 8788),
    hostname: process.env.HOST ?? '127.0.0.1',
    ...(process.env.SANDBOX_TIME_SCALE ? { timeScale: Number(process.env.SANDBOX_TIME_SCALE) } : {}),
  });
  console.log(`Channel sandbox: ${started.publicUrl}/`);
}
