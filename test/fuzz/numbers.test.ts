// Fuzz class 6 of issue #30 — the CLI and numbers: closed pipes, embeddings at float32's extremes (the metrics of
// x·10^e must be those of x), metric arguments past any sense, high-dimensional PCF, two vectors for one image,
// and dataset tables with a byte-order mark mid-file or thousands of columns.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randInt, type Rng } from '../../main/random';
import { BIN } from '../helpers/cli';
import { SAMPLE_CSV, tempDir, writePng } from '../helpers/tmp';
import { pool, runCli } from './run-cli';
import { FUZZ_SEED, Tally, fuzzCases, outcomeOf } from './tally';

const tally = new Tally();
let dir: string;
let cleanup: () => void;
let csv: string;
const HEADER = 'label,path,split,is_query,is_gallery';
/** 12 validation rows over 3 labels, and their vectors: 3 clusters with noise, so rankings are neither trivial nor all ties. */
const ROWS = Array.from({ length: 12 }, (_, i) => ({ label: i % 3, path: `v${i}.png` }));
let base: number[][];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-fuzz-num-'));
  for (const r of ROWS) await writePng(path.join(dir, r.path), 8, 8, r.path.charCodeAt(1));
  csv = path.join(dir, 'df.csv');
  writeFileSync(csv, `${HEADER}\n${ROWS.map((r) => `${r.label},${r.path},validation,True,True`).join('\n')}\n`);
  const rng = mulberry32(FUZZ_SEED);
  base = ROWS.map((r) => Array.from({ length: 6 }, (_, j) => (j === r.label ? 1 : 0) + (rng() - 0.5) * 1.2));
});
afterAll(() => {
  console.log(`fuzz numbers (seed ${FUZZ_SEED})\n${tally.report()}`);
  cleanup();
});

const predictions = (vectors: number[][]) => Object.fromEntries(ROWS.map((r, i) => [r.path, vectors[i]]));
function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}
const metricsOf = (output: string) =>
  JSON.parse(output.slice(output.indexOf('{'))) as Record<string, Record<string, Record<string, number | null>>>;

/** Runs the CLI and closes its stdout after `keep` bytes, as `| head -c keep` does. */
function runClosingPipe(args: string[], keep: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let got = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= keep) child.stdout.destroy();
    });
    if (keep === 0) child.stdout.destroy();
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('fuzz class 6: CLI and numbers', () => {
  it('a reader that goes away (| head) ends the command quietly', async () => {
    const rng = mulberry32(FUZZ_SEED + 1);
    const commands = [
      ['zoo', 'list'],
      ['check', SAMPLE_CSV],
      ['--help'],
      ['runs', 'list', '--data-dir', path.join(dir, 'd')],
      ['evaluate', '--help'],
    ];
    const cases = Array.from({ length: fuzzCases(4) }, (_, i) => ({
      args: commands[i % commands.length]!,
      keep: rng() < 0.5 ? 0 : randInt(rng, 40),
    }));
    const results = await pool(
      cases.map((c) => () => runClosingPipe(c.args, c.keep)),
      2,
    );
    results.forEach((r, i) => {
      const name = `${cases[i]!.args.join(' ')} | head -c ${cases[i]!.keep}`;
      const stack = /\n\s+at |Unhandled|EPIPE/.exec(r.stderr);
      tally.add('cli pipes', name, stack || r.code === null || r.code > 2 ? 'crash' : 'clean', `exit ${r.code}: ${r.stderr.slice(0, 200)}`);
    });
    expect(tally.failuresOf('cli pipes')).toEqual([]);
  }, 300_000);

  it('embeddings at float32 extremes score as their unscaled selves', async () => {
    const reference = await runCli(['evaluate', '--dataset', csv, '--embeddings', writeJson('base.json', predictions(base)), '--json']);
    expect(reference.code).toBe(0);
    const want = metricsOf(reference.output);
    const rng = mulberry32(FUZZ_SEED + 2);
    const exponents = Array.from({ length: fuzzCases(4) }, (_, i) => [19, -37, 37, -20, 30, -30][i] ?? randInt(rng, 75) - 37);
    const results = await pool(
      exponents.map((e, i) => () => {
        const s = 10 ** e;
        // Representable in float32 (below 3.4e38 and not flushed to zero), so the input itself is valid.
        const vectors = base.map((v) => v.map((x) => Math.fround(x * s)));
        return runCli(['evaluate', '--dataset', csv, '--embeddings', writeJson(`scaled-${i}.json`, predictions(vectors)), '--json']);
      }),
      2,
    );
    results.forEach((r, i) => {
      const { outcome, why } = outcomeOf(r, { outcome: 'accept' });
      if (outcome !== 'clean') {
        tally.add('float extremes', `×1e${exponents[i]}`, outcome, why);
        return;
      }
      const got = metricsOf(r.output);
      const differ = Object.entries(want).flatMap(([g, ms]) =>
        Object.entries(ms).flatMap(([m, ks]) =>
          Object.entries(ks)
            .filter(
              ([k, v]) =>
                Math.abs((got[g]?.[m]?.[k] ?? Number.NaN) - (v ?? Number.NaN)) > 1e-4 && !(v === null && got[g]?.[m]?.[k] === null),
            )
            .map(([k, v]) => `${m}@${k} ${got[g]?.[m]?.[k]} ≠ ${v}`),
        ),
      );
      tally.add('float extremes', `×1e${exponents[i]}`, differ.length ? 'wrong accept' : 'clean', differ.slice(0, 3).join(', '));
    });
    expect(tally.failuresOf('float extremes')).toEqual([]);
  }, 300_000);

  it('metric arguments: what no metric means is refused naming the flag; high-dimensional PCF ends', async () => {
    const rng = mulberry32(FUZZ_SEED + 3);
    const file = writeJson('args.json', predictions(base));
    const valuesFor = (flag: string) =>
      ['pcf', 'fmr'].includes(flag)
        ? [
            ['1e300', 'reject'],
            ['-0.5', 'reject'],
            ['2', 'reject'],
            ['NaN', 'reject'],
            ['0.5', 'accept'],
            ['1', 'accept'],
          ]
        : [
            ['1e300', 'reject'],
            ['0', 'reject'],
            ['-3', 'reject'],
            ['1.5', 'reject'],
            ['Infinity', 'reject'],
            ['2000001', 'reject'],
            ['1,5', 'accept'],
            ['100', 'accept'],
          ];
    const flags = ['cmc', 'precision', 'map', 'ndcg', 'fmr', 'pcf'];
    const cases = Array.from({ length: fuzzCases(6) }, () => {
      const flag = flags[randInt(rng, flags.length)]!;
      const options = valuesFor(flag);
      const [value, outcome] = options[randInt(rng, options.length)]!;
      return { flag, value: value!, outcome: outcome as 'reject' | 'accept' };
    });
    const results = await pool(
      cases.map((c) => () => runCli(['evaluate', '--dataset', csv, '--embeddings', file, `--${c.flag}=${c.value}`])),
      2,
    );
    results.forEach((r, i) => {
      const c = cases[i]!;
      const { outcome, why } = outcomeOf(r, c.outcome === 'reject' ? { outcome: 'reject', field: `--${c.flag}` } : { outcome: 'accept' });
      tally.add('metric args', `--${c.flag}=${c.value}`, outcome, why);
    });
    // PCF of a few thousand dimensions over 12 rows: the rank is at most 12, so it is a 12×12 problem.
    for (const dim of [5000, 20000]) {
      const wide = base.map((v, i) => Array.from({ length: dim }, (_, j) => v[j % 6]! + Math.sin(i * 7 + j)));
      const r = await runCli(
        ['evaluate', '--dataset', csv, '--embeddings', writeJson(`wide-${dim}.json`, predictions(wide)), '--json'],
        60_000,
      );
      const { outcome, why } = outcomeOf(r, { outcome: 'accept' });
      tally.add('metric args', `PCF of ${dim}-d`, outcome, why);
    }
    expect(tally.failuresOf('metric args')).toEqual([]);
  }, 300_000);

  it('two vectors for one image are refused; the same vector twice is fine', async () => {
    const rng = mulberry32(FUZZ_SEED + 4);
    const cases = Array.from({ length: fuzzCases(4) }, (_, i) => {
      const at = randInt(rng, ROWS.length);
      const p = ROWS[at]!.path;
      const same = i % 4 === 3;
      const other = same ? base[at]! : base[at]!.map((x) => x + 1);
      const paired = i % 2 === 0;
      const text = paired
        ? JSON.stringify({ paths: [...ROWS.map((r) => r.path), p], embeddings: [...base, other] })
        : `${JSON.stringify(predictions(base)).slice(0, -1)},${JSON.stringify(p)}:${JSON.stringify(other)}}`;
      return { name: `${paired ? 'paths/embeddings' : 'object'} ${same ? 'same' : 'different'} vector for ${p}`, text, same, p };
    });
    const results = await pool(
      cases.map((c, i) => () => runCli(['evaluate', '--dataset', csv, '--embeddings', writeJson(`dup-${i}.json`, c.text)])),
      2,
    );
    results.forEach((r, i) => {
      const c = cases[i]!;
      const { outcome, why } = outcomeOf(r, c.same ? { outcome: 'accept' } : { outcome: 'reject', file: `dup-${i}.json`, field: c.p });
      tally.add('duplicate keys', c.name, outcome, why);
    });
    expect(tally.failuresOf('duplicate keys')).toEqual([]);
  }, 300_000);

  it('dataset tables: a byte-order mark mid-file and thousands of columns are refused with the row', async () => {
    const rng: Rng = mulberry32(FUZZ_SEED + 5);
    const lines = ROWS.map((r) => `${r.label},${r.path},validation,True,True`);
    const cases = Array.from({ length: fuzzCases(4) }, (_, i) => {
      if (i % 2 === 0) {
        const at = randInt(rng, lines.length);
        const cells = lines[at]!.split(',');
        const c = randInt(rng, 2); // at a line's start (a pasted file) or inside a path
        cells[c] = `\uFEFF${cells[c]}`;
        const body = lines.map((l, j) => (j === at ? cells.join(',') : l));
        return { name: `BOM at row ${at + 2}`, text: `${HEADER}\n${body.join('\n')}\n`, row: at + 2 };
      }
      const extra = 1000 + randInt(rng, 99_000);
      const pad = ','.repeat(extra);
      const header = `${HEADER}${Array.from({ length: extra }, (_, j) => `,c${j}`).join('')}`;
      return { name: `${extra + 5} columns`, text: `${header}\n${lines.map((l) => l + pad).join('\n')}\n`, row: 1 };
    });
    const results = await pool(
      cases.map((c, i) => () => {
        const file = path.join(dir, `table-${i}.csv`);
        writeFileSync(file, c.text);
        return runCli(['check', file]);
      }),
      2,
    );
    results.forEach((r, i) => {
      const { outcome, why } = outcomeOf(r, { outcome: 'reject', file: `table-${i}.csv`, row: cases[i]!.row });
      tally.add('table extremes', cases[i]!.name, outcome, why);
    });
    expect(tally.failuresOf('table extremes')).toEqual([]);
  }, 300_000);
});
