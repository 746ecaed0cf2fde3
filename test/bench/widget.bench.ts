// The widget in real Chromium, loaded by script tag from the BFF on a merchant's page (demo/widget-test), on this
// machine: how long from the moment the browser starts fetching cashier.js until the options are on screen, and
// until a QR code is (Pay pressed the moment the options show, so the figure is the widget's, not a person's).
// Each run is a first visit (a fresh browser context, nothing cached). Medians; reported, never asserted.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = 7;

interface Timing {
  readonly scriptStart: number;
  readonly ready: number;
  readonly clicked: number;
  readonly qr: number;
}

/**
 * Runs in the page before anything else. A string, not a function: tsx's transform would add helpers to a
 * function's source that do not exist in the page.
 */
const MEASURE = `
document.addEventListener('cashier:ready', (event) => {
  window.__ready = performance.now();
  const shadow = event.target.shadowRoot;
  shadow.querySelector('button.primary').click();
  window.__clicked = performance.now();
  const poll = () => {
    if (shadow.querySelector('[data-part="qr"][data-ready="true"] svg')) window.__qr = performance.now();
    else requestAnimationFrame(poll);
  };
  poll();
}, { once: true });
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function waitFor(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

export async function run(): Promise<void> {
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  const port = Number(process.env.BENCH_PORT ?? 3400);
  const demo = spawn(process.execPath, ['--import', 'tsx', 'demo/start.ts', '--no-build', '--reset'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      BFF_PORT: String(port + 1),
      SANDBOX_PORT: String(port + 2),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cashier-widget-bench-')),
    },
    stdio: 'ignore',
  });
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const browser = await chromium.launch({ ...(executablePath ? { executablePath } : {}), args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = `http://127.0.0.1:${port}`;
    await waitFor(`${page}/`, 90_000);
    const timings: Timing[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const tab = await context.newPage();
      await tab.addInitScript(MEASURE);
      await tab.goto(`${page}/widget-test.html`);
      // Not waitForFunction: its predicate is evaluated in a way the page's strict CSP (no eval) refuses.
      await tab.waitForSelector('#w1 [data-part="qr"][data-ready="true"] svg', { timeout: 30_000 });
      while ((await tab.evaluate(() => (window as unknown as { __qr?: number }).__qr)) === undefined) await tab.waitForTimeout(20);
      const timing = await tab.evaluate(() => {
        const w = window as unknown as Record<string, number>;
        const script = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('/cashier.js'));
        return { scriptStart: script?.startTime ?? Number.NaN, ready: w.__ready ?? Number.NaN, clicked: w.__clicked ?? Number.NaN, qr: w.__qr ?? Number.NaN };
      });
      if (i > 0) timings.push(timing); // the first run warms the servers up
      await context.close();
    }
    console.log(`bench widget-options-visible-ms: ${Math.round(median(timings.map((t) => t.ready - t.scriptStart)))} ms`);
    console.log(`bench widget-qr-visible-ms: ${Math.round(median(timings.map((t) => t.qr - t.scriptStart)))} ms`);
    console.log(`bench widget-qr-after-pay-ms: ${Math.round(median(timings.map((t) => t.qr - t.clicked)))} ms`);
  } finally {
    await browser.close();
    demo.kill('SIGTERM');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
