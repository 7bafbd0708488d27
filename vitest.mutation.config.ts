import { defineConfig } from 'vitest/config';
import mutation from './tsconfig.mutation.json';

// The tests StrykerJS runs against each mutant of the core (npm run test:mutation): the in-process unit tests of
// losses, miners, samplers, optimizers, metrics, retrieval and the dataset checker, listed once in
// tsconfig.mutation.json (which type-checks each mutant against them). Tests that start child processes or workers
// are left out: a mutant lives only in this process, so they could neither kill nor keep one.
export default defineConfig({
  test: {
    env: { METRIC_STUDIO_THREADS: '1' },
    include: mutation.include.filter((p) => p.startsWith('test/')),
    environment: 'node',
    testTimeout: 30_000,
  },
});
