// Fuzz class 2 of issue #30 — no late failures: whatever a run would trip on later (an image cut short, with a bad
// CRC, a BMP, a 0×0 or 50,000-px header, a folder or a device where an image should be; a size no model or machine
// can take) is refused by `train` before a run exists, naming the row or the config key — and `check --images`
// flags the same images.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mulberry32, randInt, type Rng } from '../../main/random';
import { tempDir, writePng } from '../helpers/tmp';
import { smallConfig } from '../helpers/training';
import { pool, runCli } from './run-cli';
import { FUZZ_SEED, Tally, fuzzCases, outcomeOf } from './tally';

const tally = new Tally();
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-fuzz-late-'));
});
afterAll(() => {
  console.log(`fuzz late failures (seed ${FUZZ_SEED})\n${tally.report()}`);
  cleanup();
});

/** A PNG chunk with its CRC (`bad` flips one bit of it). */
function chunk(type: string, data: Buffer, bad = false): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(body) ^ (bad ? 1 : 0)) >>> 0);
  return Buffer.concat([len, body, crc]);
}
const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');
function ihdr(w: number, h: number, bad = false): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(w, 0);
  d.writeUInt32BE(h, 4);
  d.set([8, 0, 0, 0, 0], 8);
  return chunk('IHDR', d, bad);
}

type Broken = { name: string; make: (at: string, good: Buffer, rng: Rng) => void };
const BROKEN: Broken[] = [
  { name: 'cut short', make: (at, good, rng) => writeFileSync(at, good.subarray(0, 20 + Math.floor(rng() * (good.length - 30)))) },
  {
    name: 'bad CRC in IDAT',
    make: (at, good) => {
      const b = Buffer.from(good);
      const idat = b.indexOf('IDAT');
      const len = b.readUInt32BE(idat - 4);
      b[idat + 4 + len]! ^= 0xff; // the chunk's CRC
      writeFileSync(at, b);
    },
  },
  {
    name: 'bad CRC in IHDR',
    make: (at) => writeFileSync(at, Buffer.concat([PNG_SIGNATURE, ihdr(8, 8, true), chunk('IEND', Buffer.alloc(0))])),
  },
  { name: '0×0 header', make: (at) => writeFileSync(at, Buffer.concat([PNG_SIGNATURE, ihdr(0, 0), chunk('IEND', Buffer.alloc(0))])) },
  {
    name: '50,000-px header',
    make: (at) => writeFileSync(at, Buffer.concat([PNG_SIGNATURE, ihdr(50_000, 50_000), chunk('IEND', Buffer.alloc(0))])),
  },
  {
    name: 'a BMP',
    make: (at) => {
      const b = Buffer.alloc(70);
      b.write('BM', 0);
      b.writeUInt32LE(70, 2);
      b.writeUInt32LE(54, 10);
      b.writeUInt32LE(40, 14);
      b.writeInt32LE(2, 18);
      b.writeInt32LE(2, 22);
      b.writeUInt16LE(1, 26);
      b.writeUInt16LE(24, 28);
      writeFileSync(at, b);
    },
  },
  { name: 'a folder', make: (at) => mkdirSync(at) },
  { name: '/dev/urandom', make: (at) => symlinkSync('/dev/urandom', at) },
];

describe('fuzz class 2: what a run would fail on is refused before it exists', () => {
  it('broken images: train refuses with the row, check --images flags it', async () => {
    const rng = mulberry32(FUZZ_SEED);
    const n = Math.max(BROKEN.length, fuzzCases(BROKEN.length));
    const cases = Array.from({ length: n }, (_, i) => BROKEN[i < BROKEN.length ? i : randInt(rng, BROKEN.length)]!);
    const results = await pool(
      cases.map((broken, i) => async () => {
        const work = path.join(dir, `images-${i}`);
        mkdirSync(work);
        const rows: string[] = [];
        for (let k = 0; k < 12; k++) {
          const split = k < 6 ? 'train' : 'validation';
          await writePng(path.join(work, `i${k}.png`), 16, 16, k * 7 + 1);
          rows.push(`${k % 3},i${k}.png,${split},${split === 'validation' ? 'True' : ''},${split === 'validation' ? 'True' : ''}`);
        }
        const at = randInt(rng, rows.length);
        const good = readFileSync(path.join(work, `i${at}.png`));
        const target = path.join(work, `broken-${at}.png`);
        broken.make(target, good, rng);
        rows[at] = rows[at]!.replace(`i${at}.png`, `broken-${at}.png`);
        const csv = path.join(work, 'df.csv');
        writeFileSync(csv, `label,path,split,is_query,is_gallery\n${rows.join('\n')}\n`);
        const cfg = path.join(work, 'c.yaml');
        writeFileSync(
          cfg,
          YAML.stringify(
            smallConfig(csv, { dataset_root: work, image_size: 16, sampler: { name: 'balance', args: { n_labels: 2, n_instances: 2 } } }),
          ),
        );
        const data = path.join(work, 'data');
        const train = await runCli(['train', cfg, '--data-dir', data], 60_000);
        const check = await runCli(['check', csv, '--images'], 60_000);
        return { train, check, row: at + 2, ranRun: existsSync(path.join(data, 'runs')) };
      }),
      2,
    );
    results.forEach((r, i) => {
      const name = cases[i]!.name;
      const t = outcomeOf(r.train, { outcome: 'reject', row: r.row });
      tally.add(
        'broken images',
        `train: ${name}`,
        r.ranRun && t.outcome === 'clean' ? 'wrong accept' : t.outcome,
        `${t.why}: ${r.train.output.slice(-300)}`,
      );
      const c = outcomeOf(r.check, { outcome: 'reject', row: r.row, field: 'path' });
      tally.add('broken images', `check --images: ${name}`, c.outcome, `${c.why}: ${r.check.output.slice(-300)}`);
    });
    expect(tally.failuresOf('broken images')).toEqual([]);
  }, 600_000);

  it('sizes past what the data and models allow are refused naming the key; bs_val past the rows is fine', async () => {
    const csv = path.join(dir, 'sizes.csv');
    const work = path.dirname(csv);
    const rows: string[] = [];
    for (let k = 0; k < 8; k++) {
      await writePng(path.join(work, `s${k}.png`), 16, 16, k + 3);
      rows.push(`${k % 2},s${k}.png,${k < 4 ? 'train' : 'validation'},${k < 4 ? '' : 'True'},${k < 4 ? '' : 'True'}`);
    }
    writeFileSync(csv, `label,path,split,is_query,is_gallery\n${rows.join('\n')}\n`);
    const base = smallConfig(csv, {
      dataset_root: work,
      sampler: { name: 'balance', args: { n_labels: 2, n_instances: 2 } },
      max_epochs: 1,
    });
    const cases: { name: string; set: string[]; key: string | null }[] = [
      { name: 'image_size 1', set: ['image_size=1'], key: 'image_size' },
      { name: 'image_size 3', set: ['image_size=3'], key: 'image_size' },
      { name: 'emb_dim 100000', set: ['extractor.args.emb_dim=100000'], key: 'emb_dim' },
      {
        name: 'tri_expand_k 1e9',
        set: [
          'criterion.args.miner.name=triplets_with_memory',
          'criterion.args.miner.args={bank_size_in_batches: 2, tri_expand_k: 1000000000}',
        ],
        key: 'tri_expand_k',
      },
      { name: 'max_epochs 1e9', set: ['max_epochs=1000000000'], key: 'max_epochs' },
      { name: 'missing weights', set: ['extractor.args.weights=/nowhere/checkpoint'], key: 'extractor.args.weights' },
      { name: 'a dataset_root without the images', set: ['dataset_root=/tmp'], key: 'dataset' },
      { name: 'bs_val 1e9 (30 rows)', set: ['bs_val=1000000000'], key: null },
    ];
    for (const [i, c] of cases.entries()) {
      const cfg = path.join(work, `size-${i}.yaml`);
      writeFileSync(cfg, YAML.stringify(base));
      const data = path.join(work, `size-data-${i}`);
      const r = await runCli(['train', cfg, ...c.set.flatMap((s) => ['--set', s]), '--data-dir', data], 120_000);
      const { outcome, why } = outcomeOf(r, c.key ? { outcome: 'reject', field: c.key } : { outcome: 'accept' });
      const late = c.key && existsSync(path.join(data, 'runs'));
      tally.add('config sizes', c.name, late && outcome === 'clean' ? 'wrong accept' : outcome, `${why}: ${r.output.slice(-300)}`);
    }
    expect(tally.failuresOf('config sizes')).toEqual([]);
  }, 600_000);
});
