import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { widgetBuild } from './vite.widget.ts';

// The demo's browser page (dist/demo); once it is written, the widget's bundles (dist/cashier.js, its QR chunk and
// the ES module build in dist/esm) are built by vite.widget.ts.
export default defineConfig({
  root: fileURLToPath(new URL('demo/web', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [widgetBuild()],
  build: {
    outDir: fileURLToPath(new URL('dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
  },
});
