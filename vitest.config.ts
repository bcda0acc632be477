import { defineConfig } from 'vitest/config';

// Kept apart from web/vite.config.ts: Vitest would otherwise pick up Vite's
// `root: 'web'` and find no tests (STACK.md, trap 4).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Each integration file opens its own database (a PostgreSQL clone or an
    // embedded PGlite of ~1 GB peak): two at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
