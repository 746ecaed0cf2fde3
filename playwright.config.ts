import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Real Chromium. Here (Debian, no browser downloads) that is the system's /usr/bin/chromium, or CHROMIUM_PATH;
// on an ordinary machine `npx playwright install chromium` provides Playwright's own build instead.
const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const port = Number(process.env.E2E_PORT ?? 3100);

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  fullyParallel: true,
  ...(process.env.CI ? { workers: 2 } : {}),
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // The demo as `npm start` runs it (sandbox, BFF, page), from an empty data directory, on ports of its own.
    command: 'node --import tsx demo/start.ts --no-build --reset',
    url: `http://127.0.0.1:${port}/`,
    env: {
      PORT: String(port),
      BFF_PORT: String(port + 1),
      SANDBOX_PORT: String(port + 2),
      HOST: '127.0.0.1',
      DATA_DIR: 'test-results/e2e-data',
    },
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
