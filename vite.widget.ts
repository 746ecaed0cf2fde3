// The widget's builds, run after the demo page's (vite.config.ts calls buildWidget from a plugin, so `npm run build`
// and `npm start` build both): the QR chunk (dist/cashier-qr.<hash>.js), the script-tag bundle (dist/cashier.js, an
// IIFE defining `Cashier`, which imports that chunk by its hashed name only when a QR code is shown), and the ES
// module build (dist/esm/, with its own QR chunk). Three builds because an IIFE cannot be code-split.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');

const common = (version: string): InlineConfig => ({
  configFile: false,
  root,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  define: { __CASHIER_VERSION__: JSON.stringify(version) },
  build: { target: 'es2020', minify: true, emptyOutDir: false, copyPublicDir: false, reportCompressedSize: false, modulePreload: false },
});

export async function buildWidget(): Promise<{ qrChunk: string }> {
  const version = process.env.npm_package_version ?? '0.0.0';
  for (const file of readdirSync(dist, { withFileTypes: true })) {
    if (file.isFile() && /^cashier(-qr\.[\w-]+)?\.js$/.test(file.name)) rmSync(join(dist, file.name));
  }

  const qr = await build({
    ...common(version),
    build: {
      ...common(version).build,
      outDir: dist,
      rolldownOptions: {
        input: { 'cashier-qr': join(root, 'widget/qr/index.ts') },
        preserveEntrySignatures: 'strict',
        output: { format: 'es', entryFileNames: '[name].[hash].js' },
      },
    },
  });
  const output = (Array.isArray(qr) ? qr[0] : qr) as { output: { fileName: string; isEntry?: boolean; type: string }[] };
  const qrChunk = output.output.find((file) => file.type === 'chunk' && file.isEntry)?.fileName;
  if (!qrChunk) throw new Error('the QR chunk was not built');

  await build({
    ...common(version),
    define: { ...common(version).define, __CASHIER_QR_CHUNK__: JSON.stringify(`./${qrChunk}`) },
    build: {
      ...common(version).build,
      outDir: dist,
      lib: { entry: join(root, 'widget/script-tag.ts'), formats: ['iife'], name: 'Cashier', fileName: () => 'cashier.js' },
    },
  });

  await build({
    ...common(version),
    build: {
      ...common(version).build,
      outDir: join(dist, 'esm'),
      emptyOutDir: true,
      // Not lib mode: lib mode leaves ES output unminified (for bundlers); these files are served to browsers as is.
      rolldownOptions: {
        input: { index: join(root, 'widget/index.ts') },
        preserveEntrySignatures: 'strict',
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name].[hash].js' },
      },
    },
  });
  return { qrChunk };
}

/** Builds the widget once the demo page is written (each time, in watch mode too). */
export function widgetBuild(): Plugin {
  return {
    name: 'cashier-widget',
    apply: 'build',
    async closeBundle() {
      await buildWidget();
    },
  };
}
