// Fuzz class 3 of issue #30 — stored artifacts are verified, not trusted: a checkpoint, an installed zoo model and
// a stored embedding set, each truncated, bit-flipped or given a NaN at random. A model file changed on disk is
// refused naming it; a cache (the embedding set) is made again and gives the clean metrics. `zoo import` never
// replaces a catalogue model, nor an installed one without --force.
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mulberry32, randInt, type Rng } from '../../main/random';
import { tempDir } from '../helpers/tmp';
import { SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { runCli } from './run-cli';
import { FUZZ_SEED, Tally, fuzzCases, outcomeOf } from './tally';

const tally = new Tally();
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/tiny-vit.onnx');
let dir: string;
let cleanup: () => void;
let csv: string;
let dataDir: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-fuzz-artifacts-'));
  csv = seenLabelsCsv(dir);
  dataDir = path.join(dir, 'data');
});
afterAll(() => {
  console.log(`fuzz artifacts (seed ${FUZZ_SEED})\n${tally.report()}`);
  cleanup();
});

type Damage = { name: string; apply: (file: string) => void };
/** A damage drawn at random: cut the file short, flip a few bits past its first bytes, or write a NaN float. */
function damage(rng: Rng): Damage {
  const kind = randInt(rng, 3);
  if (kind === 0)
    return {
      name: 'truncated',
      apply: (f) => truncateSync(f, Math.floor(statSync(f).size * (0.1 + 0.8 * rng()))),
    };
  if (kind === 1)
    return {
      name: 'bits flipped',
      apply: (f) => {
        const b = readFileSync(f);
        for (let k = 0; k < 1 + randInt(rng, 4); k++) {
          const at = Math.floor(b.length / 2 + rng() * (b.length / 2 - 1));
          b[at]! ^= 1 << randInt(rng, 8);
        }
        writeFileSync(f, b);
      },
    };
  return {
    name: 'NaN written',
    apply: (f) => {
      const b = readFileSync(f);
      const at = (Math.floor((b.length / 2 + rng() * (b.length / 2 - 8)) / 4) * 4) >>> 0;
      b.writeFloatLE(Number.NaN, at);
      writeFileSync(f, b);
    },
  };
}

const json = (output: string) => output.slice(output.indexOf('{'));

describe('fuzz class 3: stored artifacts are verified', () => {
  it('a damaged checkpoint, zoo model or embedding set is refused or made again, never used', async () => {
    writeFileSync(path.join(dir, 'c.yaml'), YAML.stringify(smallConfig(csv, { max_epochs: 2, valid_period: 1 })));
    expect((await runCli(['train', path.join(dir, 'c.yaml'), '--data-dir', dataDir], 120_000)).code).toBe(0);
    const checkpoint = path.join(dataDir, 'runs', '1', 'checkpoints', 'best');
    const imported = await runCli(
      ['zoo', 'import', FIXTURE, '--key', 'tiny_vit', '--input-size', '32', '--layer', 'last_hidden_state', '--data-dir', dataDir],
      60_000,
    );
    expect(imported.code, imported.output).toBe(0);
    const zooDir = path.join(dataDir, 'zoo', 'models', 'tiny_vit');
    const targets = {
      checkpoint: {
        files: ['weights.bin', 'model.json'].map((f) => path.join(checkpoint, f)),
        args: ['evaluate', '--dataset', csv, '--root', SAMPLE_ROOT, '--checkpoint', checkpoint, '--json'],
        refuse: true,
      },
      'zoo model': {
        files: readdirSync(zooDir)
          .filter((f) => f !== 'manifest.json')
          .map((f) => path.join(zooDir, f)),
        args: ['evaluate', '--dataset', csv, '--root', SAMPLE_ROOT, '--zoo', 'tiny_vit', '--data-dir', dataDir, '--json'],
        refuse: true,
      },
      'embedding set': {
        files: [] as string[], // found after the clean run
        args: ['evaluate', '--dataset', csv, '--root', SAMPLE_ROOT, '--baseline', 'raw-pixels', '--data-dir', dataDir, '--json'],
        refuse: false,
      },
    };
    const clean: Record<string, string> = {};
    for (const [kind, t] of Object.entries(targets)) {
      const r = await runCli(t.args, 120_000);
      expect(r.code, `${kind}: ${r.output}`).toBe(0);
      clean[kind] = json(r.output);
    }
    const embeddings = path.join(dataDir, 'embeddings');
    targets['embedding set'].files = readdirSync(embeddings).map((f) => path.join(embeddings, f));
    expect(targets['embedding set'].files.length).toBeGreaterThan(0);

    const rng = mulberry32(FUZZ_SEED);
    const kinds = Object.keys(targets) as (keyof typeof targets)[];
    for (let i = 0; i < fuzzCases(3); i++) {
      const kind = kinds[i % kinds.length]!;
      const t = targets[kind];
      // The sets in place now (a model's set goes when its model changes, and comes back when it is embedded again).
      if (kind === 'embedding set') t.files = readdirSync(embeddings).map((f) => path.join(embeddings, f));
      const file = t.files[randInt(rng, t.files.length)]!;
      const before = readFileSync(file);
      const d = damage(rng);
      d.apply(file);
      const r = await runCli(t.args, 120_000);
      const name = `${kind}: ${path.basename(file)} ${d.name}`;
      if (t.refuse) {
        // Refused naming the file; or, where the damage changed nothing the model reads, the clean metrics.
        const same = r.code === 0 && json(r.output) === clean[kind];
        const { outcome, why } = same
          ? { outcome: 'clean' as const, why: '' }
          : outcomeOf(r, { outcome: 'reject', file: path.basename(file) });
        tally.add('stored artifacts', name, outcome, `${why}: ${r.output.slice(-300)}`);
      } else {
        const { outcome, why } = outcomeOf(r, { outcome: 'accept' });
        const same = outcome === 'clean' && json(r.output) === clean[kind];
        tally.add(
          'stored artifacts',
          name,
          outcome !== 'clean' ? outcome : same ? 'clean' : 'wrong accept',
          `${why} ${r.output.slice(-300)}`,
        );
      }
      if (t.refuse) writeFileSync(file, before); // mended for the next case (its time moved: it is hashed again)
    }
    expect(tally.failuresOf('stored artifacts')).toEqual([]);
  }, 900_000);

  it('zoo import keeps catalogue keys reserved and an installed model unless --force', async () => {
    const importAs = (key: string, extra: string[] = []) =>
      runCli(['zoo', 'import', FIXTURE, '--key', key, '--input-size', '32', '--data-dir', path.join(dir, 'imports'), ...extra], 60_000);
    const listed = (await runCli(['zoo', 'list', '--json', '--data-dir', path.join(dir, 'imports')])).output;
    const firstKey = (JSON.parse(listed.slice(listed.indexOf('['))) as { key: string }[])[0]!.key;
    const cases: [string, () => Promise<Awaited<ReturnType<typeof runCli>>>, 'accept' | 'reject'][] = [
      ['a catalogue key', () => importAs(firstKey!), 'reject'],
      ['a catalogue key with --force', () => importAs(firstKey!, ['--force']), 'reject'],
      ['a new key', () => importAs('mine'), 'accept'],
      ['the same key again', () => importAs('mine'), 'reject'],
      ['the same key with --force', () => importAs('mine', ['--force']), 'accept'],
    ];
    for (const [name, run, want] of cases) {
      const { outcome, why } = outcomeOf(await run(), { outcome: want });
      tally.add('zoo import', name, outcome, why);
    }
    expect(tally.failuresOf('zoo import')).toEqual([]);
  }, 300_000);
});
