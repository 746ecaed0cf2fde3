import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The demo's browser page for now; the widget's script-tag bundle (dist/cashier.js) joins it with the widget.
export default defineConfig({
  root: fileURLToPath(new URL('demo/web', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
  },
});
