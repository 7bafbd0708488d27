// Export to OML: every recipe and every combination of our {name, args} blocks becomes configs whose names and keys
// are OML's own (read from OML's repository, kept as data), every name we accept is in the docs' mapping table, and
// the folder holds a dataset OML can read from its dataset_root. The model comes back with zoo import --oml.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CriterionConfig,
  ExtractorConfig,
  MinerConfig,
  SamplerConfig,
  SchedulerConfig,
  TrainConfig,
  type TrainConfigInput,
} from '../../shared/schemas/config';
import { listRecipes } from '../../main/services/train-requests';
import { exportOml, omlPreprocessing } from '../../main/services/oml/export';
import { OML_NAMES, omlProblems, toOml } from '../../main/services/oml/mapping';
import catalog from '../../main/zoo/catalog.json';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-oml-'));
});
afterAll(() => cleanup());

const ctx = { numClasses: 5, datasetRoot: '/data/images', dataframe: '/data/exp/df.csv', devices: 1 };
const base: TrainConfigInput = {
  dataset: 'df.csv',
  sampler: { name: 'balance', args: { n_labels: 4, n_instances: 4 } },
  max_epochs: 3,
  extractor: { name: 'small_cnn' },
  criterion: { name: 'triplet_with_miner', args: { margin: 0.2 } },
  optimizer: { name: 'adam', args: { lr: 0.001 } },
};
const names = (schema: { options: { shape: { name: { value: string } } }[] }) => schema.options.map((o) => o.shape.name.value);
const samplerArgs: Record<string, object> = {
  balance: { n_labels: 4, n_instances: 4 },
  category_balance: { n_categories: 2, n_labels: 2, n_instances: 4 },
  distinct_category_balance: { n_categories: 2, n_labels: 2, n_instances: 4, epoch_size: 10 },
};
const schedulerArgs: Record<string, object> = {
  step: { step_size: 2 },
  multi_step: { milestones: [2] },
  cosine_annealing: { T_max: 3 },
  one_cycle: { max_lr: 0.01, total_steps: 30 },
  reduce_on_plateau: {},
};
const minerArgs: Record<string, object> = {
  all_triplets: { max_output_triplets: 500 },
  hard_triplets: {},
  n_hard_triplets: { n_positive: 2, n_negative: [1, 3] },
  miner_with_bank: { bank_size_in_batches: 5 },
  triplets_with_memory: { bank_size_in_batches: 5, tri_expand_k: 2 },
};
const criterionArgs: Record<string, object> = { triplet_with_miner: { margin: 0.2 }, arcface: {}, surrogate_precision: { k: 3 } };
const zooKeys = (catalog as { entries: { key: string }[] }).entries.map((e) => e.key);

describe('our configs as OML’s', () => {
  it('every recipe exports to names and keys OML has', () => {
    const recipes = listRecipes();
    expect(recipes.length).toBeGreaterThanOrEqual(6);
    for (const r of recipes) {
      const e = toOml(TrainConfig.parse(YAML.parse(r.yaml)), ctx);
      expect(omlProblems(e), r.name).toEqual([]);
    }
  });

  it('every sampler, optimizer × scheduler × interval, loss × miner, extractor × head × pooling, zoo model and transform', () => {
    const configs: [string, TrainConfigInput][] = [];
    for (const s of names(SamplerConfig as never))
      configs.push([s, { ...base, sampler: { name: s, args: samplerArgs[s] } } as TrainConfigInput]);
    for (const o of ['adam', 'adamw', 'sgd'] as const)
      for (const s of names(SchedulerConfig as never))
        for (const interval of ['epoch', 'step'] as const)
          configs.push([
            `${o} ${s} ${interval}`,
            {
              ...base,
              optimizer: { name: o, args: { lr: 0.01, weight_decay: 0.1 } },
              scheduling: { scheduler_interval: interval, scheduler: { name: s, args: schedulerArgs[s] } },
            } as TrainConfigInput,
          ]);
    for (const c of names(CriterionConfig as never))
      for (const m of c === 'triplet_with_miner' ? names(MinerConfig as never) : ['-'])
        configs.push([
          `${c} ${m}`,
          {
            ...base,
            criterion: { name: c, args: { ...criterionArgs[c], ...(m !== '-' ? { miner: { name: m, args: minerArgs[m] } } : {}) } },
          } as TrainConfigInput,
        ]);
    for (const x of ['small_cnn', 'mobilenet_v2', 'resnet18'] as const)
      for (const head of ['none', 'linear', 'mlp'] as const)
        for (const pooling of ['avg', 'gem'] as const)
          configs.push([`${x} ${head} ${pooling}`, { ...base, extractor: { name: x, args: { head, pooling } } } as TrainConfigInput]);
    for (const key of zooKeys)
      for (const train_from of [null, 'some_layer'])
        configs.push([
          `zoo ${key} ${train_from}`,
          { ...base, extractor: { name: 'zoo', args: { model: key, train_from } } } as TrainConfigInput,
        ]);
    configs.push(['augs', { ...base, transforms_train: { name: 'augs', args: { hflip: true } }, steps_per_epoch: 7 } as TrainConfigInput]);
    expect(configs.length).toBeGreaterThan(60);
    for (const [what, c] of configs) {
      const e = toOml(TrainConfig.parse(c), ctx);
      expect(omlProblems(e), what).toEqual([]);
      // What OML's pipeline needs besides: a criterion with ArcFace's sizes, a scheduler it can monitor.
      const crit = e.train.criterion as { name: string; args: Record<string, unknown> };
      if (crit.name === 'arcface') expect(crit.args).toMatchObject({ in_features: 128, num_classes: 5 });
      const s = e.train.scheduling as { scheduler: { name: string }; monitor_metric?: string } | null;
      if (s?.scheduler.name === 'reduce_on_plateau') expect(s.monitor_metric).toBe('OVERALL/cmc/1');
    }
  });

  it('says what it could not carry over, and catches a name OML does not have', () => {
    const cfg = TrainConfig.parse({
      ...base,
      backend: 'wasm',
      micro_batch: 4,
      warmup_steps: 10,
      backbone_lr_scale: 0.1,
      early_stopping_patience: 3,
      metric_args: { ndcg_top_k: [5] },
      extractor: { name: 'zoo', args: { model: 'mobilenetv2_nsfwjs', train_from: 'block_11_expand', cached_views: 4, bn_frozen: true } },
    });
    const e = toOml(cfg, ctx);
    for (const word of [
      'backend',
      'micro_batch',
      'warmup_steps',
      'backbone_lr_scale',
      'early_stopping_patience',
      'ndcg_top_k',
      'mobilenetv2_nsfwjs',
      'train_from',
      'cached_views',
      'bn_frozen',
    ])
      expect(
        e.warnings.some((w) => w.includes(word)),
        word,
      ).toBe(true);
    expect((e.train.extractor as { args: { train_backbone: boolean } }).args.train_backbone).toBe(true);
    // The checker fails on names and keys OML lacks.
    const broken = structuredClone(e);
    (broken.train.optimizer as { name: string }).name = 'adamx';
    (broken.train.sampler as { args: Record<string, unknown> }).args.n_lables = 3;
    broken.train.steps_per_epoch = 5;
    ((broken.train.extractor as { args: { extractor: { args: { weights: string } } } }).args.extractor.args.weights as string) =
      'resnet50_imagenet';
    expect(omlProblems(broken)).toEqual([
      'train: "steps_per_epoch" is not a key OML reads',
      'train.extractor.args.extractor.args.weights: "resnet50_imagenet" is not a pretrained key of OML\'s resnet',
      'train.sampler.args: "n_lables" is not a key OML reads',
      'train.optimizer.name: "adamx" is not in OML\'s optimizers registry',
      // The validation config embeds with the same extractor.
      'validation.extractor.args.extractor.args.weights: "resnet50_imagenet" is not a pretrained key of OML\'s resnet',
    ]);
  });

  it("lists every name our config accepts in the docs' mapping table", () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/SCALING.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## What maps to what'), doc.indexOf('## Galleries past one machine'));
    const firstColumn = table
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.split('|')[1]!);
    const ours = [
      ...ExtractorConfig.shape.name.options,
      ...zooKeys,
      ...names(SamplerConfig as never),
      ...names(CriterionConfig as never),
      ...names(MinerConfig as never),
      'adam',
      'adamw',
      'sgd',
      ...names(SchedulerConfig as never),
      'norm_resize',
      'augs',
      'train_from',
      'cache_activations',
      'cached_views',
      'bn_frozen',
      'backbone_lr_scale',
      'warmup_steps',
      'micro_batch',
      'early_stopping_patience',
      'steps_per_epoch',
      'ndcg_top_k',
    ];
    for (const name of ours)
      expect(
        firstColumn.some((c) => c.includes(`\`${name}\``)),
        name,
      ).toBe(true);
    // Every OML name the table points to is OML's.
    const omlColumn = table
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.split('|')[2]!);
    const all = Object.values(OML_NAMES).flat();
    for (const cell of omlColumn.slice(2)) for (const [, name] of cell.matchAll(/^ `([a-z_0-9]+)`/g)) expect(all, cell).toContain(name);
  });
});

describe('the exported folder', () => {
  it('holds a dataset OML reads from its dataset_root, both configs, the scripts and the README; it writes only there', async () => {
    const out = path.join(dir, 'exp');
    const cfg = TrainConfig.parse(
      YAML.parse(readFileSync(path.resolve(import.meta.dirname, '../../recipes/fashion-mnist-mini.yaml'), 'utf8')),
    );
    const r = await exportOml(cfg, path.resolve(import.meta.dirname, '../../recipes'), out, { devices: 4 });
    expect(r.files.sort()).toEqual([
      'README.md',
      'df.csv',
      'export_onnx.py',
      'metric-studio.json',
      'train.py',
      'train.yaml',
      'validate.py',
      'validate.yaml',
    ]);
    const train = YAML.parse(readFileSync(path.join(out, 'train.yaml'), 'utf8'));
    expect(train.devices).toBe(4);
    expect(train.dataframe_name).toBe(path.join(out, 'df.csv'));
    const [header, ...rows] = parse(readFileSync(path.join(out, 'df.csv'))) as string[][];
    const original = parse(readFileSync(SAMPLE_CSV)) as string[][];
    expect(header).toEqual(original[0]);
    expect(rows.length).toBe(original.length - 1);
    // Every image where OML will look for it: dataset_root / path.
    const col = header!.indexOf('path');
    for (const row of rows) expect(existsSync(path.join(train.dataset_root, row[col]!)), row[col]).toBe(true);
    expect(readFileSync(path.join(out, 'train.py'), 'utf8')).toContain(
      'from oml.lightning.pipelines.train import extractor_training_pipeline',
    );
    expect(readFileSync(path.join(out, 'validate.py'), 'utf8')).toContain('config_name="validate.yaml"');
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('python train.py devices=4');
    for (const w of r.warnings) expect(readme).toContain(w);
    // Validation takes the checkpoint as the outer weights: OML refuses a second set inside extractor_with_mlp.
    const val = YAML.parse(readFileSync(path.join(out, 'validate.yaml'), 'utf8'));
    expect(val.extractor.args.extractor.args.weights).toBeNull();
    expect(omlProblems({ train, validation: val })).toEqual([]);
    // Again into the same export: fine; into a folder of someone else's files: refused, nothing written.
    await exportOml(cfg, path.resolve(import.meta.dirname, '../../recipes'), out);
    const foreign = path.join(dir, 'foreign');
    await exportOml(cfg, path.resolve(import.meta.dirname, '../../recipes'), path.join(foreign, 'sub'));
    writeFileSync(path.join(dir, 'mine.txt'), 'keep');
    await expect(exportOml(cfg, path.resolve(import.meta.dirname, '../../recipes'), dir)).rejects.toThrow(
      /is not empty and holds no earlier export/,
    );
    expect(existsSync(path.join(dir, 'train.yaml'))).toBe(false);
  });

  it('the CLI exports a config or a run, and zoo import --oml takes size and normalisation from the export', async () => {
    const out = path.join(dir, 'cli-exp');
    const recipe = path.resolve(import.meta.dirname, '../../recipes/fashion-mnist-mini-zoo-head.yaml');
    const r = cli(['export-oml', recipe, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).warnings.some((w: string) => w.includes('mobilenetv2_nsfwjs'))).toBe(true);
    const pre = await omlPreprocessing(out);
    expect(pre).toEqual({ inputSize: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], name: 'fmnist_mini_zoo_head' });
    expect(cli(['export-oml', '987654', '--out', path.join(dir, 'none'), '--data-dir', path.join(dir, 'data')]).stderr).toMatch(
      /No run with id 987654/,
    );
    // An OML model comes back: the tiny ONNX fixture takes 32 px, so an export of a 32-px config.
    const small = path.join(dir, 'small.yaml');
    writeFileSync(small, YAML.stringify({ ...YAML.parse(readFileSync(recipe, 'utf8')), dataset: SAMPLE_CSV, image_size: 32 }));
    const exp32 = path.join(dir, 'exp32');
    expect(cli(['export-oml', small, '--out', exp32]).code).toBe(0);
    const fixture = path.resolve(import.meta.dirname, '../fixtures/tiny-vit.onnx');
    const imported = cli(['zoo', 'import', fixture, '--key', 'from_oml', '--oml', exp32, '--json', '--data-dir', path.join(dir, 'data')]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      key: 'from_oml',
      name: 'fmnist_mini_zoo_head (trained with OML)',
      inputSize: 32,
      normalisation: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    });
    const clash = cli(['zoo', 'import', fixture, '--key', 'x', '--oml', exp32, '--input-size', '40', '--data-dir', path.join(dir, 'data')]);
    expect(clash.stderr).toMatch(/--oml sets the size and normalisation/);
  }, 60_000);

  it('the app imports an OML model from the export folder in a worker, and refuses what is not an export', async () => {
    const { startCore } = await import('../../main/services/core');
    const core = await startCore(path.join(dir, 'app-data'), 'web', () => {});
    try {
      const exp = path.join(dir, 'exp-app');
      const recipe = path.resolve(import.meta.dirname, '../../recipes/fashion-mnist-mini-zoo-head.yaml');
      const cfg = TrainConfig.parse({ ...YAML.parse(readFileSync(recipe, 'utf8')), dataset: SAMPLE_CSV, image_size: 32 });
      await exportOml(cfg, dir, exp);
      const fixture = path.resolve(import.meta.dirname, '../fixtures/tiny-vit.onnx');
      const ok = await core.dispatch('zoo.importOml', { onnx: fixture, exportDir: exp, key: 'oml_app' });
      expect(ok).toMatchObject({ ok: true, result: { key: 'oml_app', inputSize: 32 } });
      const list = await core.dispatch('zoo.list', {});
      const entry = (list as { result: { key: string; name: string; normalisation: unknown }[] }).result.find((e) => e.key === 'oml_app');
      expect(entry).toMatchObject({ name: 'fmnist_mini_zoo_head (trained with OML)', normalisation: { mean: [0.485, 0.456, 0.406] } });
      const refused = async (input: object, message: RegExp) => {
        const r = (await core.dispatch('zoo.importOml', input)) as { ok: boolean; error?: { code: string; message: string } };
        expect(r.ok).toBe(false);
        expect(r.error!.code).toBe('invalid_input');
        expect(r.error!.message).toMatch(message);
      };
      await refused({ onnx: fixture, exportDir: dir, key: 'other' }, /not a folder Export to OML wrote/);
      await refused({ onnx: fixture, exportDir: exp, key: 'oml_app' }, /exists already/);
      await refused({ onnx: SAMPLE_CSV, exportDir: exp, key: 'csv' }, /not an ONNX file/);
    } finally {
      await core.close();
    }
  }, 60_000);
});
