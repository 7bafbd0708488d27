// The pre-flight check of a schema-valid config — the one the Train form, the API's train.start and the CLI's
// train run before a run exists: every problem names its config key, and a refused CLI train leaves no run behind.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { TrainConfig } from '../../shared/schemas/config';
import { preflight } from '../../main/services/preflight';
import { validateYaml } from '../../main/services/train-requests';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir, writeCsv, writePng } from '../helpers/tmp';
import { SAMPLE_ROOT, smallConfig } from '../helpers/training';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-preflight-'));
});
afterAll(() => cleanup());

const config = (overrides: Record<string, unknown> = {}) => TrainConfig.parse({ ...smallConfig(SAMPLE_CSV), ...overrides });

describe('pre-flight check', () => {
  it('passes the shipped sample as the recipes use it', async () => {
    expect(await preflight(config(), dir)).toEqual([]);
  });

  it('names the dataset, the sampler, the checkpoint metric and the zoo model when they cannot work', async () => {
    expect(await preflight(config({ dataset: 'nope.csv' }), dir)).toEqual([
      { path: 'dataset', message: `file not found: ${path.join(dir, 'nope.csv')}` },
    ]);
    // The sample trains on 5 labels: 6 per batch cannot be drawn.
    expect(await preflight(config({ sampler: { name: 'balance', args: { n_labels: 6, n_instances: 4 } } }), dir)).toEqual([
      { path: 'sampler.args', message: 'must be 1 < n_labels <= 5, 6 given (the train split has 5 labels)' },
    ]);
    const noCategory = writeCsv(path.join(dir, 'nocat.csv'), [
      ['label', 'path', 'split', 'is_query', 'is_gallery'],
      ...['a', 'b', 'c'].flatMap((l, i) => [0, 1].map((j) => [i, `${l}${j}.png`, 'train', '', ''])),
      [9, 'q.png', 'validation', 'True', 'True'],
    ]);
    // The pre-flight reads every image the run would: they are real ones.
    for (const f of ['a0', 'a1', 'b0', 'b1', 'c0', 'c1', 'q']) await writePng(path.join(dir, `${f}.png`), 8, 8, f.charCodeAt(0));
    const cat = await preflight(
      config({
        dataset: noCategory,
        dataset_root: dir,
        sampler: { name: 'category_balance', args: { n_categories: 1, n_labels: 2, n_instances: 2 } },
      }),
      dir,
    );
    expect(cat).toEqual([{ path: 'sampler.args', message: expect.stringContaining('needs a category column') }]);
    const metric = await preflight(config({ metric_for_checkpointing: 'OVERALL/cmc/10' }), dir);
    expect(metric).toEqual([
      {
        path: 'metric_for_checkpointing',
        message: expect.stringContaining('"OVERALL/cmc/10" is not a metric this config computes (OVERALL/cmc/1, OVERALL/map/5)'),
      },
    ]);
    // A category's metric is fine when the dataset has that category.
    expect(await preflight(config({ metric_for_checkpointing: 'footwear/cmc/1' }), dir)).toEqual([]);
    const zoo = await preflight(
      config({ image_size: 224, channels: 3, extractor: { name: 'zoo', args: { model: 'mobilenetv2_nsfwjs' } } }),
      dir,
      path.join(dir, 'empty-data'),
    );
    expect(zoo).toEqual([{ path: 'extractor.args.model', message: expect.stringContaining('"mobilenetv2_nsfwjs" is not downloaded') }]);
  });

  it('refuses sizes this machine cannot hold, on the key that makes them large, and passes them where memory allows', async () => {
    const gb = 2 ** 30;
    const machine = { memoryBytes: 8 * gb };
    const recipe = config();
    expect(await preflight(recipe, dir, undefined, machine)).toEqual([]);
    const cases: [Record<string, unknown>, string, RegExp, number?][] = [
      [
        { image_size: 1024 },
        'sampler.args',
        /about \d+\.\d GB \(a train batch of \d+ images: .* GB, .*\), more than 80% of this machine's 8\.0 GB/,
      ],
      [{ sampler: { name: 'balance', args: { n_labels: 2, n_instances: 100_000 } } }, 'sampler.args', /a train batch of 200000 images/],
      [{ extractor: { name: 'small_cnn', args: { emb_dim: 8192 } } }, 'extractor.args.emb_dim', /the embedding head: \d+ MB/, 0.25 * gb],
    ];
    // A validation batch larger than the dataset holds the dataset: no more (it was refused as thousands of GB).
    expect(await preflight(config({ bs_val: 1_000_000 }), dir, undefined, machine)).toEqual([]);
    for (const [overrides, key, message, memoryBytes] of cases) {
      const small = memoryBytes === undefined ? machine : { memoryBytes };
      const issues = await preflight(config(overrides), dir, undefined, small);
      expect(issues, JSON.stringify(overrides)).toEqual([{ path: key, message: expect.stringMatching(message) }]);
      // The same config on a machine 10,000× larger: the estimate is what refused it, not the values themselves.
      expect(
        await preflight(config(overrides), dir, undefined, { memoryBytes: 1e4 * small.memoryBytes }),
        JSON.stringify(overrides),
      ).toEqual([]);
    }
  });

  it('gives the numbers a config implies for its dataset: batch, batches and labels per epoch, triplets, what a query can find', async () => {
    const { readFileSync } = await import('node:fs');
    const rows = readFileSync(SAMPLE_CSV, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const trainLabels = new Set(rows.filter((r) => r[2] === 'train').map((r) => r[0])).size;
    const val = rows.filter((r) => r[2] === 'validation');
    const galleries = val.filter((r) => r[4] === 'True');
    const queries = val.filter((r) => r[3] === 'True');
    const relevant = queries.map((q) => galleries.filter((g) => g[0] === q[0] && g[1] !== q[1]).length);
    const plan = async (overrides: Record<string, unknown>) => (await validateYaml(YAML.stringify(config(overrides)), dir)).plan!;
    // 2 labels × 10 images; the sample's train labels, two per batch, each once per epoch.
    const p = await plan({ max_epochs: 4 });
    expect(p).toEqual({
      batchSize: 20,
      batchesPerEpoch: Math.floor(trainLabels / 2),
      totalSteps: 4 * Math.floor(trainLabels / 2),
      trainLabels,
      trainImages: rows.filter((r) => r[2] === 'train').length,
      labelsPerEpoch: 2 * Math.floor(trainLabels / 2),
      // Each of 20 anchors: 9 positives × 10 negatives.
      tripletsPerBatch: 20 * 9 * 10,
      validation: {
        queries: queries.length,
        galleries: galleries.length,
        labels: new Set(val.map((r) => r[0])).size,
        relevantPerQuery: relevant.reduce((a, b) => a + b, 0) / queries.length,
      },
    });
    expect((await plan({ steps_per_epoch: 1, max_epochs: 3 })).totalSteps).toBe(3);
    const hard = { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'hard_triplets', args: {} } } };
    expect((await plan({ criterion: hard })).tripletsPerBatch).toBe(20);
    const capped = {
      name: 'triplet_with_miner',
      args: { margin: 0.2, miner: { name: 'all_triplets', args: { max_output_triplets: 500 } } },
    };
    expect((await plan({ criterion: capped })).tripletsPerBatch).toBe(500);
    expect((await plan({ criterion: { name: 'arcface', args: {} } })).tripletsPerBatch).toBeNull();
    // The sample's train labels are all in one category: 1 category × 3 labels × 4 images, one batch per epoch.
    const categories = await plan({ sampler: { name: 'category_balance', args: { n_categories: 1, n_labels: 3, n_instances: 4 } } });
    expect([categories.batchSize, categories.tripletsPerBatch]).toEqual([12, 12 * 3 * 8]);
    // No plan when the sampler cannot be built.
    expect(
      (await validateYaml(YAML.stringify(config({ sampler: { name: 'balance', args: { n_labels: 99, n_instances: 2 } } })), dir)).plan,
    ).toBeNull();
  });

  it('reports a dataset with errors by file, row and column', async () => {
    const broken = writeCsv(path.join(dir, 'broken.csv'), [
      ['label', 'path', 'split', 'is_query', 'is_gallery'],
      ['x', 'a.png', 'train', '', ''],
    ]);
    const issues = await preflight(config({ dataset: broken, dataset_root: dir }), dir);
    expect(issues[0]!.path).toBe('dataset');
    expect(issues[0]!.message).toMatch(/error\(s\) in the dataset .*broken\.csv, row 2, column label/);
  });

  it('runs behind the form (train.validate with the config folder) and keeps schema-only checks without it', async () => {
    const yaml = YAML.stringify({ ...smallConfig(SAMPLE_CSV), dataset: 'missing/df.csv' });
    expect((await validateYaml(yaml)).ok).toBe(true);
    expect(await validateYaml(yaml, dir)).toEqual({
      ok: false,
      issues: [{ path: 'dataset', message: expect.stringContaining('file not found') }],
      plan: null,
    });
  });

  it('refuses a CLI train before any run exists', () => {
    const file = path.join(dir, 'bad-sampler.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        ...smallConfig(SAMPLE_CSV),
        dataset_root: SAMPLE_ROOT,
        sampler: { name: 'balance', args: { n_labels: 9, n_instances: 2 } },
      }),
    );
    const dataDir = path.join(dir, 'cli-data');
    const r = cli(['train', file, '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: sampler.args: must be 1 < n_labels <= 5, 9 given`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(cli(['runs', 'list', '--data-dir', dataDir]).stdout).toContain('No runs yet');
  });
});
