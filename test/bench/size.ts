// `npm run size`: the gzip size of each named bundle in dist/, against its budget; exits 1 when one is over.
// The widget's critical bundle is dist/cashier.js plus everything it loads before the options show: an IIFE that
// pulls nothing else in (its only import() is the chunk loader, used when a QR code, the hand-off sheet or an in-app
// bridge is needed, checked below), so cashier.js alone. Each lazily loaded chunk has a budget of its own
// (DESIGN.md §12); the ES module build's entry counts with whatever it imports statically.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Budget {
  readonly name: string;
  readonly dir: string;
  readonly pattern: RegExp;
  readonly bytes: number;
  /** Count the static imports of the matched files too (an ES entry's critical path). */
  readonly withImports?: boolean;
}

const chunk = (name: string, bytes: number): Budget => ({
  name: `cashier-${name}-chunk`,
  dir: 'dist',
  pattern: new RegExp(`^cashier-${name}\\.[\\w-]+\\.js$`),
  bytes,
});

const BUDGETS: readonly Budget[] = [
  // The preview page with Preact, the rulebook and the eligibility display: everything it loads.
  { name: 'demo-page', dir: 'dist/demo/assets', pattern: /\.(js|css)$/, bytes: 30 * 1024 },
  // The script tag's bundle: Preact, signals, the model, the views, both languages, the styles.
  { name: 'cashier-critical', dir: 'dist', pattern: /^cashier\.js$/, bytes: 25 * 1024 },
  // The QR encoder (the qrcode package) and the QR view, loaded only when a QR code is shown.
  chunk('qr', 10 * 1024),
  // The hand-off sheet: its views, the picture hints, both languages, its styles.
  chunk('handoff', 4 * 1024),
  // WeixinJSBridge and AlipayJSBridge pay sheets.
  chunk('jsapi', 1536),
  // wx.miniProgram.navigateTo to the mini-program's pay page.
  chunk('miniprogram', 1024),
  // The merchant app bridge.
  chunk('app', 1536),
  // The ES module build's entry and whatever it imports statically (its chunks are the same code as the above).
  { name: 'cashier-esm', dir: 'dist/esm', pattern: /^index\.js$/, bytes: 25 * 1024, withImports: true },
];

// The critical bundle must not load anything but its chunks, and those only through one import(): the loader.
const script = readFileSync(join(root, 'dist/cashier.js'), 'utf8');
const loads = [...script.matchAll(/\bimport\s*\(|<script|\.src\s*=|importScripts/g)].length;
if (loads !== 1 || /\bimport\s*[{*"'`]/.test(script)) {
  console.error(`dist/cashier.js loads ${loads} other resources: the critical-path budget would not count them`);
  process.exit(1);
}

/** A file and, transitively, the files it imports statically (`import … from "./x.js"`, `import "./x.js"`). */
function withStaticImports(dir: string, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(join(dir, file), 'utf8');
  for (const match of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["'`]\.\/([\w.-]+\.js)["'`]/g)) {
    if (match[1]) withStaticImports(dir, match[1], seen);
  }
  return seen;
}

let over = false;
for (const budget of BUDGETS) {
  const dir = join(root, budget.dir);
  const matched = readdirSync(dir).filter((file) => budget.pattern.test(file));
  if (matched.length === 0) throw new Error(`no files for ${budget.name} in ${budget.dir}: run npm run build`);
  const files = budget.withImports ? [...new Set(matched.flatMap((file) => [...withStaticImports(dir, file)]))] : matched;
  const gzip = files.reduce((total, file) => total + gzipSync(readFileSync(join(dir, file)), { level: 9 }).length, 0);
  const ok = gzip <= budget.bytes;
  over ||= !ok;
  console.log(`size ${budget.name}: ${gzip} B gzip (budget ${budget.bytes} B, ${files.length} files)${ok ? '' : '  OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
