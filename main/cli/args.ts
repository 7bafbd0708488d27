import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A failure the user caused (bad flag, bad file): printed without a stack, exit code 2 unless said otherwise. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A command's body: loaded only when it runs (its module may import TensorFlow.js, sharp or sqlite3). */
export interface Command {
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** A command as `metric-studio --help` lists it: its name and summary, and how to load the rest. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\nusage: ${usage}`);
  }
}

export const out = (line = '') => process.stdout.write(`${line}\n`);
export const err = (line = '') => process.stderr.write(`${line}\n`);
