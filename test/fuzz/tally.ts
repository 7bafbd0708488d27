// One tally for the fuzz classes of issue #30: every case ends in one of these outcomes, and only "clean" is fine.
import { type CliResult, type Expectation, judge } from './run-cli';
export const OUTCOMES = ['clean', 'crash', 'hang', 'memory blow-up', 'wrong accept', 'wrong refusal', 'data loss'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Cases per generator: a fixed, quick number in `npm test`; FUZZ_CASES=N runs more (same seed, longer streams). */
export function fuzzCases(quick: number): number {
  const n = Number(process.env.FUZZ_CASES);
  return Number.isInteger(n) && n > 0 ? n : quick;
}

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261207);

export class Tally {
  private readonly counts = new Map<string, Record<Outcome, number>>();
  readonly failures: string[] = [];

  add(cls: string, name: string, outcome: Outcome, why = ''): void {
    const c = this.counts.get(cls) ?? (Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
    c[outcome]++;
    this.counts.set(cls, c);
    if (outcome !== 'clean') this.failures.push(`${cls} / ${name}: ${outcome}${why ? `: ${why}` : ''}`);
  }

  failuresOf(cls: string): string[] {
    return this.failures.filter((f) => f.startsWith(`${cls} /`));
  }

  report(): string {
    return [...this.counts]
      .map(([cls, c]) => {
        const total = OUTCOMES.reduce((a, o) => a + c[o], 0);
        return `${cls.padEnd(16)} ${String(total).padStart(4)} cases: ${OUTCOMES.map((o) => `${c[o]} ${o}`).join(', ')}`;
      })
      .join('\n');
  }
}

/** A CLI run's outcome against what a correct command does (run-cli's judge, with hangs and blow-ups apart). */
export function outcomeOf(r: CliResult, want: Expectation): { outcome: Outcome; why: string } {
  const { verdict, why } = judge(r, want);
  if (verdict !== 'crash') return { outcome: verdict, why };
  if (r.timedOut) return { outcome: 'hang', why };
  if (/heap out of memory|Allocation failed/.test(r.output)) return { outcome: 'memory blow-up', why };
  return { outcome: 'crash', why };
}
