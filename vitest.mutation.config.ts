import { defineConfig } from 'vitest/config';

// The tests StrykerJS runs against each mutant of the core (npm run test:mutation): the in-process unit tests of
// losses, miners, samplers, optimizers, metrics, retrieval and the dataset checker. Tests that start child
// processes or workers are left out: a mutant lives only in this process, so they could neither kill nor keep one.
export default defineConfig({
  test: {
    env: { METRIC_STUDIO_THREADS: '1' },
    include: [
      'test/unit/losses.test.ts',
      'test/unit/miners.test.ts',
      'test/unit/samplers.test.ts',
      'test/unit/optim.test.ts',
      'test/unit/metrics.test.ts',
      'test/unit/knn.test.ts',
      'test/unit/retrieval-files.test.ts',
      'test/unit/dataset-table.test.ts',
      'test/unit/dataset-validate.test.ts',
      'test/unit/evaluate-dataset.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
  },
});
