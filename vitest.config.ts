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
    // A worker's files share its modules, so each file skips importing the
    // app anew (import time summed 72 s -> 9 s on PostgreSQL). Every file
    // still opens its own database and builds its own app.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
