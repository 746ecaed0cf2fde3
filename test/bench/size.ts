// `npm run size`: the gzip size of each named bundle in dist/, against its budget; exits 1 when one is over.
// The widget's critical bundle is dist/cashier.js plus everything it loads before the options show: an IIFE that
// pulls nothing else in (its only import() is the QR chunk, fetched when a QR code is shown, checked below), so
// cashier.js alone; the QR chunk has a budget of its own (DESIGN.md §12).

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
}

const BUDGETS: readonly Budget[] = [
  // The preview page with Preact, the rulebook and the eligibility display: everything it loads.
  { name: 'demo-page', dir: 'dist/demo/assets', pattern: /\.(js|css)$/, bytes: 30 * 1024 },
  // The script tag's bundle: Preact, signals, the model, the views, both languages, the styles.
  { name: 'cashier-critical', dir: 'dist', pattern: /^cashier\.js$/, bytes: 25 * 1024 },
  // The QR encoder (the qrcode package), loaded only when a QR code is shown.
  { name: 'cashier-qr-chunk', dir: 'dist', pattern: /^cashier-qr\.[\w-]+\.js$/, bytes: 10 * 1024 },
  // The ES module build's entry (its QR chunk is the same code as cashier-qr).
  { name: 'cashier-esm', dir: 'dist/esm', pattern: /^index\.js$/, bytes: 25 * 1024 },
];

// The critical bundle must not load anything but the QR chunk, and that only through import().
const script = readFileSync(join(root, 'dist/cashier.js'), 'utf8');
const loads = [...script.matchAll(/\bimport\s*\(|<script|\.src\s*=|importScripts/g)].length;
if (loads !== 1 || /\bimport\s*[{*"'`]/.test(script)) {
  console.error(`dist/cashier.js loads ${loads} other resources: the critical-path budget would not count them`);
  process.exit(1);
}

let over = false;
for (const budget of BUDGETS) {
  const dir = join(root, budget.dir);
  const files = readdirSync(dir).filter((file) => budget.pattern.test(file));
  if (files.length === 0) throw new Error(`no files for ${budget.name} in ${budget.dir}: run npm run build`);
  const gzip = files.reduce((total, file) => total + gzipSync(readFileSync(join(dir, file)), { level: 9 }).length, 0);
  const ok = gzip <= budget.bytes;
  over ||= !ok;
  console.log(`size ${budget.name}: ${gzip} B gzip (budget ${budget.bytes} B, ${files.length} files)${ok ? '' : '  OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
