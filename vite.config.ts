import { defineConfig } from 'vite';

// The demo's browser page for now; the widget's script-tag bundle (dist/cashier.js) joins it with the widget.
export default defineConfig({
  root: 'demo/web',
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/demo',
    emptyOutDir: true,
    target: 'es2020',
  },
});
