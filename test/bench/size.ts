// `npm run size`: the gzip size of each named bundle in dist/, against its budget; exits 1 when one is over.
// Budgets grow a line per bundle as bundles appear (the widget's dist/cashier.js comes with the widget).

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
];

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
