// Fuzz class 1 of issue #30 — special files and huge inputs: a FIFO, a device, a folder, a link to one of them or a
// sparse file of gigabytes, put wherever a user or a file names a path (a config, a dataset's image, a zoo model's
// description and weights, the catalogue, a thumbnail), and a table line of 200 MB. Every command must refuse in
// words naming the file — no hang (each has 45 s), no memory blow-up (768 MB heap), no stack.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mulberry32, randInt } from '../../main/random';
import { SAMPLE_CSV, tempDir, writePng } from '../helpers/tmp';
import { smallConfig } from '../helpers/training';
import { pool, runCli } from './run-cli';
import { FUZZ_SEED, Tally, fuzzCases, outcomeOf } from './tally';

const tally = new Tally();
let dir: string;
let cleanup: () => void;

/** The kinds of path that are not a readable regular file of sane size; each made fresh under `dir`. */
const mkfifo = (at: string) => {
  execFileSync('mkfifo', [at]);
  return at;
};
const linkTo = (target: string) => (at: string) => {
  symlinkSync(target, at);
  return at;
};
const SPECIALS: { name: string; make: (at: string) => string }[] = [
  { name: 'fifo', make: mkfifo },
  { name: '/dev/zero', make: linkTo('/dev/zero') },
  { name: '/dev/urandom', make: linkTo('/dev/urandom') },
  {
    name: 'folder',
    make: (at) => {
      mkdirSync(at);
      return at;
    },
  },
  {
    name: 'link to a fifo',
    make: (at) => {
      execFileSync('mkfifo', [`${at}.real`]);
      symlinkSync(`${at}.real`, at);
      return at;
    },
  },
  {
    name: 'sparse 6 GB',
    make: (at) => {
      writeFileSync(at, '');
      truncateSync(at, 6 * 2 ** 30);
      return at;
    },
  },
];

type Place = { name: string; run: (special: string, work: string) => Promise<{ args: string[]; env?: Record<string, string> }> };
const PLACES: Place[] = [
  { name: 'train config', run: async (special, work) => ({ args: ['train', special, '--data-dir', path.join(work, 'data')] }) },
  {
    name: 'image of a dataset (check --images)',
    run: async (special, work) => ({ args: ['check', await datasetWith(special, work), '--images'] }),
  },
  {
    name: 'image of a dataset (evaluate --baseline raw-pixels)',
    run: async (special, work) => ({
      args: ['evaluate', '--dataset', await datasetWith(special, work), '--baseline', 'raw-pixels', '--data-dir', path.join(work, 'data')],
    }),
  },
  {
    name: 'zoo model description (zoo import)',
    run: async (special, work) => {
      const folder = path.join(work, 'model');
      mkdirSync(folder, { recursive: true });
      symlinkSync(special, path.join(folder, 'model.json'));
      return { args: ['zoo', 'import', folder, '--key', 'fuzzed', '--data-dir', path.join(work, 'data')] };
    },
  },
  {
    name: 'zoo weights (zoo import)',
    run: async (special, work) => {
      const folder = path.join(work, 'model');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        path.join(folder, 'model.json'),
        JSON.stringify({
          modelTopology: { class_name: 'Sequential', config: { layers: [] } },
          weightsManifest: [{ paths: ['w.bin'], weights: [] }],
        }),
      );
      symlinkSync(special, path.join(folder, 'w.bin'));
      return { args: ['zoo', 'import', folder, '--key', 'fuzzed', '--data-dir', path.join(work, 'data')] };
    },
  },
  {
    name: 'zoo catalogue',
    run: async (special, work) => ({
      args: ['zoo', 'list', '--data-dir', path.join(work, 'data')],
      env: { METRIC_STUDIO_ZOO_CATALOG: special },
    }),
  },
];

/** A valid 4-row dataset whose second validation image is `special`. */
async function datasetWith(special: string, work: string): Promise<string> {
  mkdirSync(work, { recursive: true });
  for (const n of ['a', 'b', 'c']) await writePng(path.join(work, `${n}.png`), 8, 8, n.charCodeAt(0));
  symlinkSync(special, path.join(work, 'd.png'));
  const csv = path.join(work, 'df.csv');
  writeFileSync(
    csv,
    'label,path,split,is_query,is_gallery\n0,a.png,validation,True,True\n0,b.png,validation,True,True\n1,c.png,validation,True,True\n1,d.png,validation,True,True\n',
  );
  return csv;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-fuzz-special-'));
});
afterAll(() => {
  console.log(`fuzz special files (seed ${FUZZ_SEED})\n${tally.report()}`);
  cleanup();
});

describe('fuzz class 1: special files and huge inputs', () => {
  it('a special file wherever a path is named: refused in words, never read', async () => {
    const rng = mulberry32(FUZZ_SEED);
    // Every place and every kind at least twice (two shifted diagonals of the place × kind square, 12 cases), then
    // random pairs up to FUZZ_CASES (36 covers the whole square on average).
    const pairs = [0, 1].flatMap((shift) => PLACES.map((p, i) => [p, SPECIALS[(i + shift * 3) % SPECIALS.length]!] as const));
    const extra = Math.max(0, fuzzCases(pairs.length) - pairs.length);
    for (let i = 0; i < extra; i++) pairs.push([PLACES[randInt(rng, PLACES.length)]!, SPECIALS[randInt(rng, SPECIALS.length)]!]);
    const results = await pool(
      pairs.map(([place, special], i) => async () => {
        const work = path.join(dir, `case-${i}`);
        mkdirSync(work, { recursive: true });
        const file = special.make(path.join(work, `special-${special.name.replace(/\W+/g, '-')}`));
        const { args, env } = await place.run(file, work);
        return runCli(args, 45_000, 768, env);
      }),
      2,
    );
    results.forEach((r, i) => {
      const [place, special] = pairs[i]!;
      const { outcome, why } = outcomeOf(r, { outcome: 'reject' });
      tally.add('special files', `${special.name} as ${place.name}`, outcome, `${why}: ${r.output.slice(-300)}`);
    });
    expect(tally.failuresOf('special files')).toEqual([]);
  }, 600_000);

  it('a 200 MB line with no line break, and a config of 50 MB, are refused quickly', async () => {
    const long = path.join(dir, 'long.csv');
    writeFileSync(long, `label,path,split,is_query,is_gallery\n${'x'.repeat(200 * 2 ** 20)}`);
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, `${YAML.stringify(smallConfig(SAMPLE_CSV))}# ${'y'.repeat(50 * 2 ** 20)}\n`);
    const cases = [
      { name: '200 MB line (check)', args: ['check', long], want: { outcome: 'reject' as const, file: 'long.csv', row: 2 } },
      {
        name: '50 MB config (train)',
        args: ['train', big, '--data-dir', path.join(dir, 'd')],
        want: { outcome: 'reject' as const, file: 'big.yaml' },
      },
    ];
    for (const c of cases) {
      const r = await runCli(c.args, 30_000);
      const { outcome, why } = outcomeOf(r, c.want);
      tally.add('huge inputs', c.name, outcome, `${why}: ${r.output.slice(-300)}`);
    }
    expect(tally.failuresOf('huge inputs')).toEqual([]);
  }, 120_000);
});
