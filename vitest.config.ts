import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one local stack; running files in parallel on a 2-core box only adds contention.
    fileParallelism: false,
    setupFiles: ['test/setup/quiet-runtime.ts'],
  },
});
