// StrykerJS over the core (npm run test:mutation; docs/TESTING.md). MUTATION_FOLDER picks one folder, so each
// gets its own report as soon as it is done: reports/mutation/<folder>.html and .json.
export const FOLDERS = {
  losses: ['main/engine/losses/**/*.ts'],
  miners: ['main/engine/miners/**/*.ts'],
  samplers: ['main/engine/samplers/**/*.ts'],
  optim: ['main/engine/train/optim.ts'],
  metrics: ['main/metrics/**/*.ts'],
  retrieval: ['main/retrieval/**/*.ts'],
  validate: ['main/dataset/validate.ts'],
};
const folder = process.env.MUTATION_FOLDER ?? 'all';

export default {
  testRunner: 'vitest',
  // Only the in-process unit tests: a mutant lives in this process, so tests of child processes cannot see it.
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  // The mutated folders and their tests only: type-checking the whole project per mutant took most of the time.
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  mutate: folder === 'all' ? Object.values(FOLDERS).flat() : FOLDERS[folder],
  ignorePatterns: ['datasets', '.scratch', 'dist', 'test/artifacts', 'reports', 'data', '.cache', 'coverage'],
  reporters: ['progress-append-only', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${folder}.html` },
  jsonReporter: { fileName: `reports/mutation/${folder}.json` },
  thresholds: { high: 90, low: 80, break: null },
  // Stryker gives checkers half the processes: 4 → two type-checkers (idle most of the time) and two test runners.
  concurrency: 4,
  timeoutMS: 5000,
  // A rerun tests only the mutants whose code or covering tests changed since the last run of that folder.
  incremental: true,
  incrementalFile: `reports/mutation/${folder}.incremental.json`,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
