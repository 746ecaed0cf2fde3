// The widget's builds, run after the demo page's (vite.config.ts calls buildWidget from a plugin, so `npm run build`
// and `npm start` build both): one file per lazily loaded chunk (dist/cashier-<name>.<hash>.js: the QR encoder, the
// hand-off sheet, the in-client pay sheets, the mini-program hand-off, the app bridge), the script-tag bundle
// (dist/cashier.js, an IIFE defining `Cashier`, which imports each chunk by its hashed name only when it is needed),
// and the ES module build (dist/esm/, code-split the ordinary way). Separate builds because an IIFE cannot be
// code-split: each chunk is built on its own, and so that it does not carry a second Preact, the modules it shares
// with the main bundle (widget/in-app/runtime.ts) become live bindings the main bundle fills in when it loads it.

import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Plugin } from 'vite';
import type { ChunkName } from './widget/in-app/types.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');

/** Each chunk's entry module. */
export const CHUNK_ENTRIES: Readonly<Record<ChunkName, string>> = {
  qr: 'widget/qr/index.ts',
  handoff: 'widget/handoff/index.tsx',
  jsapi: 'widget/jsapi/index.ts',
  miniprogram: 'widget/miniprogram/index.ts',
  app: 'widget/app-bridge/index.ts',
};

const RUNTIME = join(root, 'widget/in-app/runtime.ts');
const SHARED = '\0cashier-shared-runtime';
const ENTRY = '\0cashier-chunk-entry';

const common = (version: string): InlineConfig => ({
  configFile: false,
  root,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  define: { __CASHIER_VERSION__: JSON.stringify(version) },
  build: { target: 'es2020', minify: true, emptyOutDir: false, copyPublicDir: false, reportCompressedSize: false, modulePreload: false },
});

/** The names runtime.ts re-exports (`export { a, b } from '…'` lines only, which is all it has). */
function runtimeExports(): string[] {
  const source = readFileSync(RUNTIME, 'utf8');
  return [...source.matchAll(/^export \{([^}]+)\} from /gm)].flatMap((match) => (match[1] ?? '').split(',').map((name) => name.trim()).filter(Boolean));
}

/**
 * For a chunk built on its own: runtime.ts (and the JSX runtime the compiler imports) become `let` bindings set by the
 * chunk's `__cashierInit(shared)`, which script-tag.ts calls with its own modules before using the chunk. Any other
 * way into Preact is a build error: a second copy would break hooks, context and signals.
 */
function sharedRuntime(entry: string): Plugin {
  const names = runtimeExports();
  return {
    name: 'cashier-shared-runtime',
    // Before Vite's own resolver, which would find node_modules/preact first.
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source === ENTRY || source === SHARED) return source;
      if (source === 'preact/jsx-runtime') return SHARED;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      if (resolved?.id === RUNTIME) return SHARED;
      if (resolved && /[\\/]node_modules[\\/](?:preact|@preact)[\\/]/.test(resolved.id)) {
        this.error(`${importer ?? '?'} imports ${source}: a chunk takes Preact from widget/in-app/runtime.ts, never its own`);
      }
      return resolved;
    },
    load(id) {
      if (id === SHARED) return `export let ${names.join(', ')};\nexport function __cashierInit(shared) {\n  ({ ${names.join(', ')} } = shared);\n}\n`;
      if (id === ENTRY) return `export * from ${JSON.stringify(join(root, entry))};\nexport { __cashierInit } from ${JSON.stringify(SHARED)};\n`;
      return undefined;
    },
  };
}

async function buildChunk(version: string, name: ChunkName): Promise<string> {
  const result = await build({
    ...common(version),
    plugins: [sharedRuntime(CHUNK_ENTRIES[name])],
    build: {
      ...common(version).build,
      outDir: dist,
      rolldownOptions: {
        input: { [`cashier-${name}`]: ENTRY },
        preserveEntrySignatures: 'strict',
        output: { format: 'es', entryFileNames: '[name].[hash].js' },
      },
    },
  });
  const output = (Array.isArray(result) ? result[0] : result) as { output: { fileName: string; isEntry?: boolean; type: string }[] };
  const chunks = output.output.filter((file) => file.type === 'chunk');
  const file = chunks.find((chunk) => chunk.isEntry)?.fileName;
  if (!file || chunks.length !== 1) throw new Error(`the ${name} chunk was not built as one file`);
  return file;
}

export async function buildWidget(): Promise<{ chunks: Record<ChunkName, string> }> {
  const version = process.env.npm_package_version ?? '0.0.0';
  for (const file of readdirSync(dist, { withFileTypes: true })) {
    if (file.isFile() && /^cashier(-[a-z]+\.[\w-]+)?\.js$/.test(file.name)) rmSync(join(dist, file.name));
  }

  const chunks = {} as Record<ChunkName, string>;
  for (const name of Object.keys(CHUNK_ENTRIES) as ChunkName[]) chunks[name] = await buildChunk(version, name);

  await build({
    ...common(version),
    define: {
      ...common(version).define,
      __CASHIER_CHUNKS__: JSON.stringify(Object.fromEntries(Object.entries(chunks).map(([name, file]) => [name, `./${file}`]))),
    },
    build: {
      ...common(version).build,
      outDir: dist,
      lib: { entry: join(root, 'widget/script-tag.ts'), formats: ['iife'], name: 'Cashier', fileName: () => 'cashier.js' },
    },
  });

  await build({
    ...common(version),
    plugins: [withoutPreloadHelper()],
    build: {
      ...common(version).build,
      outDir: join(dist, 'esm'),
      emptyOutDir: true,
      // Not lib mode: lib mode leaves ES output unminified (for bundlers); these files are served to browsers as is.
      rolldownOptions: {
        input: { index: join(root, 'widget/index.ts') },
        // The entry may export more than its own API: what the lazy chunks share with it stays in it, rather than
        // moving to a common chunk that would be a second request before the options show.
        preserveEntrySignatures: 'allow-extension',
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          // Named after the chunk's folder (handoff, jsapi…), not its file (index).
          chunkFileNames: (chunk) => `${/widget[\\/]([\w-]+)[\\/]index\.tsx?$/.exec(chunk.facadeModuleId ?? '')?.[1] ?? chunk.name}.[hash].js`,
        },
      },
    },
  });
  return { chunks };
}

/**
 * Vite wraps every dynamic import of an app build in its preload helper (about 1 KB, half a kilobyte gzipped, in the
 * entry), which loads a chunk's CSS and preloads its imports. The widget's chunks have neither (styles go into the
 * shadow root; each chunk is one file or imports only the entry), and `modulePreload: false` does not drop it: the
 * plugin that inserts it is removed for the ES build. Should Vite rename it, `npm run size` shows the entry growing.
 */
function withoutPreloadHelper(): Plugin {
  return {
    name: 'cashier-without-preload-helper',
    configResolved(config) {
      const plugins = config.plugins as Plugin[];
      const at = plugins.findIndex((plugin) => plugin.name === 'native:import-analysis-build');
      if (at >= 0) plugins.splice(at, 1);
    },
  };
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
