import { storageMessage } from '../disk-errors';
import { appVersion } from '../paths';
import { type Command, UsageError, err, out } from './args';
import { appCommand } from './commands/app';
import { backends } from './commands/backends';
import { check } from './commands/check';
import { convertCommand } from './commands/convert';
import { evaluate } from './commands/evaluate';
import { exportOmlCommand } from './commands/export-oml';
import { leaderboardCommand } from './commands/leaderboard';
import { qualityCommand } from './commands/quality';
import { predict } from './commands/predict';
import { search } from './commands/search';
import { trainCommand } from './commands/train';
import { runs } from './commands/runs';
import { serve } from './commands/serve';
import { zoo } from './commands/zoo';

export const COMMANDS: Command[] = [
  appCommand,
  serve,
  check,
  convertCommand,
  trainCommand,
  evaluate,
  leaderboardCommand,
  qualityCommand,
  predict,
  search,
  runs,
  exportOmlCommand,
  zoo,
  backends,
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
    return await command.run(rest);
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
