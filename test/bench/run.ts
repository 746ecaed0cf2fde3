// `npm run bench`: every benchmark, one figure per line (`bench <name>: <number> <unit>`), after a line that says
// which machine the figures are from. Figures are reported, never asserted: performance is not a timed test.

import { cpus, totalmem } from 'node:os';
import * as bills from './bills.bench.ts';

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(`# machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
// Bills first: their peak-memory figures are the process's maximum so far, so nothing heavier may run before them.
await bills.run();
// Imported only now: loading Vite, Playwright and PGlite alone raises the peak memory the bill figures report.
const [shared, bff, notify, reconcile, widget] = await Promise.all([
  import('./shared.bench.ts'),
  import('./bff.bench.ts'),
  import('./notify.bench.ts'),
  import('./reconcile.bench.ts'),
  import('./widget.bench.ts'),
]);
shared.run();
await bff.run();
await notify.run();
// In child processes of its own (peak memory per size).
await reconcile.run();
// Last: it builds the bundles, starts the demo and drives Chromium.
await widget.run();
