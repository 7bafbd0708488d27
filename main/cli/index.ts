import { storageMessage } from '../disk-errors';
import { appVersion } from '../paths';
import { type CommandEntry, UsageError, err, out } from './args';

/**
 * Every command, loaded when it runs: `serve` never loads TensorFlow.js, and `--help` loads no command at all
 * (test/unit/layers.test.ts checks both on the real entry, bin/metric-studio.mjs).
 */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'app',
    summary: 'Start the desktop app (falls back to web mode where Electron cannot start)',
    load: async () => (await import('./commands/app')).appCommand,
  },
  {
    name: 'serve',
    summary: 'Run web mode: the UI and API on http://127.0.0.1 (for headless boxes and browsers)',
    load: async () => (await import('./commands/serve')).serve,
  },
  {
    name: 'check',
    summary: 'Validate an OML dataset CSV and print its summary and every problem',
    load: async () => (await import('./commands/check')).check,
  },
  {
    name: 'convert',
    summary: 'Turn a folder of images or a table into a validated OML dataset CSV (label-disjoint split)',
    load: async () => (await import('./commands/convert')).convertCommand,
  },
  {
    name: 'train',
    summary: 'Train an embedding model from a YAML config (OML layout), in a worker process',
    load: async () => (await import('./commands/train')).trainCommand,
  },
  {
    name: 'evaluate',
    summary: 'Compute retrieval metrics (CMC, precision, mAP, NDCG, FNMR@FMR, PCF) from embeddings',
    load: async () => (await import('./commands/evaluate')).evaluate,
  },
  {
    name: 'leaderboard',
    summary: "Raw pixels, every installed zoo model and every run's best checkpoint on a dataset's validation rows, best first",
    load: async () => (await import('./commands/leaderboard')).leaderboardCommand,
  },
  {
    name: 'quality',
    summary: "Find near duplicates and leaks across splits, likely mislabels, outliers and overlapping labels from a model's embeddings",
    load: async () => (await import('./commands/quality')).qualityCommand,
  },
  {
    name: 'predict',
    summary: 'Embed every image under a folder with a checkpoint or a zoo model; writes OML-format predictions.json',
    load: async () => (await import('./commands/predict')).predict,
  },
  {
    name: 'search',
    summary: 'Find the k nearest gallery items of a dataset for your own images (a query by new image)',
    load: async () => (await import('./commands/search')).search,
  },
  {
    name: 'runs',
    summary: 'List, show, compare and delete runs in the run store',
    load: async () => (await import('./commands/runs')).runs,
  },
  {
    name: 'export-oml',
    summary: "Write a run's (or a config's) experiment for OML: dataset, train/validation configs, entry scripts, a README",
    load: async () => (await import('./commands/export-oml')).exportOmlCommand,
  },
  {
    name: 'zoo',
    summary: 'Pretrained models: list the catalogue, download (verified), import your own, or remove a model',
    load: async () => (await import('./commands/zoo')).zoo,
  },
  {
    name: 'backends',
    summary: 'Probe the compute backends: which load, which one training uses, and on which GPU',
    load: async () => (await import('./commands/backends')).backends,
  },
];

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Metric Studio ${appVersion()} — train and evaluate embedding models for retrieval`,
    '',
    'usage: metric-studio <command> [options]     (metric-studio <command> --help for its options)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'environment: METRIC_STUDIO_DATA_DIR overrides where runs and downloads are kept.',
  ].join('\n');
}

/**
 * `metric-studio zoo list | head`: the reader has gone, so there is nobody left to tell — the command ends quietly,
 * as Unix tools do, instead of throwing an unhandled EPIPE with a stack.
 */
const guarded = new WeakSet<NodeJS.WriteStream>();
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    out(appVersion());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`Unknown command "${name}".\n\n${helpText()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`metric-studio ${name}: ${e.message}`);
      return e.exitCode;
    }
    // A message, not a stack trace: users read it. METRIC_STUDIO_DEBUG=1 adds the stack for bug reports.
    const full = storageMessage(e, 'the data folder');
    if (full) {
      err(`metric-studio ${name}: ${full.replace(', then resume the run', '')}`);
      return 1;
    }
    const debug = process.env.METRIC_STUDIO_DEBUG === '1';
    err(`metric-studio ${name} failed: ${e instanceof Error ? ((debug ? e.stack : null) ?? e.message) : String(e)}`);
    return 1;
  }
}
