import { defineConfig } from 'vitest/config';

// Browser tests (test/e2e): a real server process and Debian's Chromium
// through playwright-core. Run by `npm run test:e2e` after `npm run build`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
