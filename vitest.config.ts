import { defineConfig } from 'vitest/config';

// One project per test folder, so `vitest run --project unit` runs one layer.
// Integration suites start real servers in their own globalSetup.
export default defineConfig({
  test: {
    reporters: ['default'],
    // The runtime re-validates the events it builds only when asked: the tests ask (sagaStream.ts).
    env: { SAGAFLOW_VALIDATE_EVENTS: '1' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'property', include: ['test/property/**/*.test.ts'] } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      // Packs the package and installs it into a fresh project (compiles better-sqlite3 there).
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
      // The console in Debian's Chromium (playwright-core); the setup installs it when missing.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/support/chromiumGlobalSetup.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/postgresGlobalSetup.ts'],
        },
      },
    ],
  },
});
