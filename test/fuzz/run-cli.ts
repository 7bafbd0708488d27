import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

/** The CLI in its own process, with a heap cap so a memory blow-up shows as a crash instead of eating the machine. */
export function runCli(args: string[], timeoutMs = 60_000, heapMb = 768, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${heapMb}`, METRIC_STUDIO_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** Runs `jobs` with at most `concurrency` in flight, results in job order. */
export async function pool<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

/** Signs that a command died of a bug rather than refusing its input: a stack frame, a JS error class, a blow-up. */
const CRASH_SIGNS =
  /\n\s+at |\b(RangeError|TypeError|ReferenceError|EvalError|URIError)\b|Maximum call stack|Cannot read propert|is not a function|heap out of memory|Segmentation fault|core dumped/;

export type Verdict = 'clean' | 'crash' | 'wrong accept' | 'wrong refusal';

export interface Expectation {
  /** reject: must fail naming the file (and row/field when given); accept: must succeed; either: any clean end. */
  outcome: 'reject' | 'accept' | 'either';
  file?: string;
  row?: number;
  field?: string;
}

export function judge(r: CliResult, want: Expectation): { verdict: Verdict; why: string } {
  if (r.timedOut) return { verdict: 'crash', why: 'hung (killed after the time limit)' };
  if (r.signal || r.code === null || r.code > 2) return { verdict: 'crash', why: `ended by ${r.signal ?? `exit code ${r.code}`}` };
  const sign = CRASH_SIGNS.exec(r.output);
  if (sign) return { verdict: 'crash', why: `output shows "${sign[0].trim()}"` };
  if (want.outcome === 'reject') {
    if (r.code === 0) return { verdict: 'wrong accept', why: 'exit code 0' };
    for (const [what, needle] of [
      ['file', want.file],
      ['row', want.row === undefined ? undefined : `row ${want.row}`],
      ['field', want.field],
    ] as const)
      if (needle !== undefined && !r.output.includes(needle))
        return { verdict: 'wrong accept', why: `the message does not name the ${what} (${needle})` };
  }
  if (want.outcome === 'accept' && r.code !== 0) return { verdict: 'wrong refusal', why: `a valid input was refused (exit ${r.code})` };
  return { verdict: 'clean', why: '' };
}
