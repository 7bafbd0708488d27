/**
 * `npm run results:finetune` — the README's fine-tuning table: on each dataset, the ways to get an embedding from a
 * pretrained backbone, from no training to fine-tuning the whole network at full resolution, each through the real
 * CLI with its CMC@1 and mAP@10 (best checkpoint, re-evaluated on images), wall time, training images/s and peak
 * memory (the CLI and its worker, by GNU time):
 *   raw pixels · the zoo model frozen · a head on its cached features · a partial fine-tune on cached activations
 *   (layers from FT_FROM on, 4 augmented views cached) · a two-pass fine-tune of the whole network on images at
 *   224 px (micro_batch auto: 32 labels × 4 images a step in chunks the wasm heap holds). Fine-tunes keep their
 *   batch norms frozen (the network's averages move with momentum 0.999: over a few hundred steps they would not
 *   follow the weights), train the head alone for 3 epochs, then the backbone at a tenth of the head's rate.
 * Settings (environment):
 *   RESULTS_DATASETS (default icons,unseen)   icons = `npm run icons`'s set (built first if missing); seen / unseen =
 *                                             Fashion-MNIST protocols, RESULTS_PER_LABEL (default 100) images per label
 *   RESULTS_ZOO (default mobilenetv2_nsfwjs), FT_FROM (default block_11_expand), FT_EPOCHS (default 60),
 *   FULL_STEPS (default 48: steps of the whole-network fine-tune, whole epochs of the sampler)
 *   RESULTS_ROWS (default raw,frozen,head,partial,full)   which rows to measure
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { formatBytes } from '../shared/format';
import { appRoot } from '../main/paths';
import { readDatasetCsv, SPLIT_TRAIN } from '../main/dataset/table';
import { evaluate, fashionMnist, type Measured, trainRun, writeConfig, zooSizes } from './results-cli';

const root = appRoot();
const datasets = (process.env.RESULTS_DATASETS ?? 'icons,unseen').split(',').filter(Boolean);
const perLabel = Number(process.env.RESULTS_PER_LABEL ?? 100);
const key = process.env.RESULTS_ZOO ?? 'mobilenetv2_nsfwjs';
const from = process.env.FT_FROM ?? 'block_11_expand';
const epochs = Number(process.env.FT_EPOCHS ?? 60);
const fullSteps = Number(process.env.FULL_STEPS ?? 48);
const only = new Set((process.env.RESULTS_ROWS ?? 'raw,frozen,head,partial,full').split(','));
const dataDir = path.join(root, 'datasets', 'results-data');
const size = zooSizes([key], dataDir).get(key)!;

function csvOf(name: string): string {
  if (name === 'seen' || name === 'unseen') return fashionMnist(name, perLabel);
  const csv = path.join(root, 'datasets', 'icons', 'df.csv');
  if (!existsSync(csv))
    spawnSync(process.execPath, [path.join(root, 'bin', 'run-ts.mjs'), 'scripts/make-icon-set.ts'], { stdio: 'inherit' });
  return csv;
}

/** The keys every training row shares: the dataset at the zoo model's size, 32 labels × 4 a batch, triplets. */
const shared = (csv: string, postfix: string) => ({
  postfix,
  seed: '42',
  dataset: csv,
  image_size: String(size),
  channels: '3',
  bs_val: '64',
  metric_args: '{ cmc_top_k: [1], precision_top_k: [], map_top_k: [10], pcf_variance: [] }',
  criterion: '{ name: triplet_with_miner, args: { margin: 0.2, miner: { name: all_triplets, args: {} } } }',
});
const AUGS = '{ name: augs, args: { hflip: true, pad_crop: 16, brightness: 0.2 } }';

const rows: string[] = [];
for (const name of datasets) {
  const csv = csvOf(name);
  const dir = path.dirname(csv);
  // Fewer training labels than 32 (Fashion-MNIST's protocols have 5 or 10): as many as there are.
  const labels = name === 'icons' ? 32 : name === 'seen' ? 10 : 5;
  const sampler = `{ name: balance, args: { n_labels: ${labels}, n_instances: 4 } }`;
  // A balance sampler's epoch is (training labels ÷ n_labels) batches.
  const { table } = await readDatasetCsv(csv);
  const perEpoch = Math.max(1, Math.floor(new Set(table.label.filter((_, i) => table.split[i] === SPLIT_TRAIN)).size / labels));
  const line = (what: string, r: Measured) => {
    const ips = r.imgPerSec === null ? '—' : r.imgPerSec.toFixed(0);
    const mem = r.peakBytes === null ? '—' : formatBytes(r.peakBytes);
    rows.push(`| ${name} | ${what} | ${r.cmc.toFixed(3)} | ${r.map.toFixed(3)} | ${r.seconds.toFixed(0)} s | ${ips} | ${mem} |`);
    console.log(rows.at(-1));
  };
  if (only.has('raw')) line('raw pixels (28×28 grey)', evaluate(csv, ['--baseline', 'raw-pixels'], dataDir));
  if (only.has('frozen')) line(`${key} frozen`, evaluate(csv, ['--zoo', key], dataDir));
  const head = writeConfig(path.join(dir, 'ft-head.yaml'), {
    ...shared(csv, 'head'),
    sampler,
    max_epochs: String(epochs),
    valid_period: String(Math.max(1, epochs / 10)),
    extractor: `{ name: zoo, args: { model: ${key}, head: linear, emb_dim: 128 } }`,
    optimizer: '{ name: adam, args: { lr: 0.001 } }',
  });
  if (only.has('head')) line('head on cached features', trainRun(head, [], dataDir));
  const partial = writeConfig(path.join(dir, 'ft-partial.yaml'), {
    ...shared(csv, 'partial'),
    sampler,
    transforms_train: AUGS,
    max_epochs: String(epochs),
    valid_period: String(Math.max(1, epochs / 10)),
    freeze_n_epochs: '3',
    backbone_lr_scale: '0.1',
    warmup_steps: '30',
    extractor: `{ name: zoo, args: { model: ${key}, train_from: ${from}, cached_views: 4, bn_frozen: true, head: linear, emb_dim: 128 } }`,
    optimizer: '{ name: adam, args: { lr: 0.001 } }',
  });
  if (only.has('partial')) line(`fine-tuned from ${from} on cached activations (4 views)`, trainRun(partial, [], dataDir));
  const fullEpochs = Math.max(1, Math.round(fullSteps / perEpoch));
  const full = writeConfig(path.join(dir, 'ft-full.yaml'), {
    ...shared(csv, 'full'),
    sampler,
    cache_images: 'false',
    transforms_train: AUGS,
    max_epochs: String(fullEpochs),
    valid_period: String(fullEpochs),
    backbone_lr_scale: '0.1',
    warmup_steps: '10',
    micro_batch: 'auto',
    extractor: `{ name: zoo, args: { model: ${key}, train_from: Conv1, cache_activations: false, bn_frozen: true, head: linear, emb_dim: 128 } }`,
    optimizer: '{ name: adam, args: { lr: 0.001 } }',
  });
  if (only.has('full')) line(`whole network fine-tuned on images, two-pass (${fullEpochs * perEpoch} steps)`, trainRun(full, [], dataDir));
}
console.log(`\n${key} at ${size} px; CMC@1 and mAP@10 of the best checkpoint on images (1-vs-rest validation); img/s while training.\n`);
console.log(
  ['| dataset | model | CMC@1 | mAP@10 | wall time | img/s | peak memory |', '|---|---|---|---|---|---|---|', ...rows].join('\n'),
);
