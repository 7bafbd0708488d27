import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    // Every engine in the suite (and every worker process it starts) runs one wasm thread: no result or timing
    // depends on the machine's core count. The threads test asks for its counts explicitly.
    env: { METRIC_STUDIO_THREADS: '1' },
    // Two test files at a time, also on CI's two cores (vitest's default there is one): most of a file's time is
    // spent waiting on the processes it starts (CLI commands, workers, chromium), which the other file fills.
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-data-dir.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      { extends: true, test: { name: 'renderer', include: ['test/renderer/**/*.test.ts'], environment: 'happy-dom' } },
      // Runs after every other project (groupOrder), so its long CPU-bound work — the packaged app built around a
      // stand-in Electron and checked from its archive (needs `npm run build`), an HNSW graph over 100k vectors —
      // never starves a browser test of the cores.
      {
        extends: true,
        test: {
          name: 'heavy',
          include: ['test/packaging/**/*.test.ts', 'test/heavy/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      // The browser test drives Debian's chromium against web mode; it needs `npm run build` first (npm test does it).
      {
        extends: true,
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 60_000 },
      },
    ],
  },
});
