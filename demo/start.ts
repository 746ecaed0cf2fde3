// `npm start`: builds the demo page and serves it with its preview API on one origin.
// Flags: --no-build (serve what `npm run build` left in dist/), --watch (rebuild on change, for `npm run dev`).
// PORT (default 3000) and HOST (default 127.0.0.1) choose where it listens.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { build } from 'vite';
import { previewApp } from './preview/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist/demo', import.meta.url));
const args = new Set(process.argv.slice(2));
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';

if (args.has('--watch')) {
  const watcher = await build({ configFile: `${root}/vite.config.ts`, logLevel: 'warn', build: { watch: {} } });
  // Serve once the first build is out; later builds replace the files in place.
  await new Promise<void>((resolve) => {
    if (!('on' in watcher)) return resolve();
    watcher.on('event', (event: { code: string }) => {
      if (event.code === 'END') resolve();
    });
  });
} else if (!args.has('--no-build')) {
  await build({ configFile: `${root}/vite.config.ts`, logLevel: 'warn' });
}
if (!existsSync(`${dist}/index.html`)) {
  console.error(`No built page in ${dist}: run \`npm run build\` first, or start without --no-build.`);
  process.exit(1);
}

const app = new Hono()
  .route('/', previewApp())
  .use('/*', serveStatic({ root: dist }));

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`Unified cashier demo (foundation stage): http://${hostname === '0.0.0.0' ? 'localhost' : hostname}:${info.port}/`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
  });
}
