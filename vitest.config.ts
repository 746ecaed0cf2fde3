import { defineConfig } from 'vitest/config';

// Two projects: `unit` tests sit next to the code they test; `integration` tests cross components
// (BFF + sandbox + store) and live in test/integration. End-to-end browser tests run under Playwright.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'bff/**/*.test.ts', 'widget/**/*.test.{ts,tsx}', 'demo/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
    ],
  },
});
