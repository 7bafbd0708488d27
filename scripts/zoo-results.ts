/**
 * `npm run results:zoo` — the README's Fashion-MNIST table for pretrained features: for each protocol, raw
 * pixels, the small CNN from scratch (the shipped recipe), each zoo model frozen, and frozen + a trained head, all
 * through the real CLI, with wall times. Subsets keep it to minutes on a laptop CPU:
 *   RESULTS_PER_LABEL (default 100)   images per label in each split
 *   RESULTS_ZOO (default mobilenetv2_nsfwjs)   comma-separated zoo keys
 *   RESULTS_BASELINES (default 1)   0 skips the raw-pixels and from-scratch rows (to add zoo rows to a table)
 *   RESULTS_FINETUNE (default none)   KEY:LAYER,… fine-tunes KEY from LAYER on images (100 steps) as a further row
 *   RESULTS_PROTOCOLS (default seen,unseen)
 */
import path from 'node:path';
import { appRoot } from '../main/paths';
import { evaluate, fashionMnist, trainRun, writeConfig, zooSizes } from './results-cli';

const root = appRoot();
const perLabel = Number(process.env.RESULTS_PER_LABEL ?? 100);
const zooKeys = (process.env.RESULTS_ZOO ?? 'mobilenetv2_nsfwjs').split(',').filter(Boolean);
const baselines = process.env.RESULTS_BASELINES !== '0';
const fineTunes = (process.env.RESULTS_FINETUNE ?? '')
  .split(',')
  .filter(Boolean)
  .map((s) => s.split(':') as [string, string]);
const protocols = (process.env.RESULTS_PROTOCOLS ?? 'seen,unseen').split(',') as ('seen' | 'unseen')[];
const dataDir = path.join(root, 'datasets', 'results-data');
const evaluateRow = (csv: string, source: string[]) => evaluate(csv, source, dataDir);
const trainRow = (config: string, sets: string[]) => trainRun(config, sets, dataDir);

/** A training config on `csv` for zoo model `key` at its input size: the shared keys, then the row's own. */
function writeZooConfig(file: string, csv: string, key: string, own: Record<string, string>): void {
  writeConfig(file, {
    dataset: csv,
    image_size: String(sizes.get(key)),
    channels: '3',
    ...own,
    metric_args: '{ cmc_top_k: [1], precision_top_k: [], map_top_k: [10], pcf_variance: [] }',
    criterion: '{ name: triplet_with_miner, args: { margin: 0.2, miner: { name: all_triplets, args: {} } } }',
  });
}

const sizes = zooSizes([...new Set([...zooKeys, ...fineTunes.map(([k]) => k)])], dataDir);
const rows: string[] = [];
for (const protocol of protocols) {
  const csv = fashionMnist(protocol, perLabel);
  const out = path.dirname(csv);
  const line = (what: string, r: { cmc: number; map: number; seconds: number }) => {
    rows.push(
      `| (${protocol === 'seen' ? 1 : 2}) ${protocol} | ${what} | ${r.cmc.toFixed(3)} | ${r.map.toFixed(3)} | ${r.seconds.toFixed(0)} s |`,
    );
    console.log(rows.at(-1));
  };
  if (baselines) {
    line('raw pixels (28×28 grey)', evaluateRow(csv, ['--baseline', 'raw-pixels']));
    line(
      'small CNN from scratch (shipped recipe, 1,000 steps)',
      trainRow(path.join(root, 'recipes', `fashion-mnist-${protocol}.yaml`), [`dataset=${csv}`]),
    );
  }
  for (const key of zooKeys) {
    line(`${key} frozen (no training)`, evaluateRow(csv, ['--zoo', key]));
    const cfg = path.join(out, `zoo-head-${key}.yaml`);
    writeZooConfig(cfg, csv, key, {
      sampler: '{ name: balance, args: { n_labels: 5, n_instances: 16 } }',
      max_epochs: '400',
      valid_period: '100',
      extractor: `{ name: zoo, args: { model: ${key}, head: linear, emb_dim: 128, normalise_features: true } }`,
      optimizer: '{ name: adam, args: { lr: 0.001 } }',
    });
    line(`${key} frozen + linear head trained on cached features (400 steps)`, trainRow(cfg, []));
  }
  for (const [key, layer] of fineTunes) {
    const cfg = path.join(out, `zoo-finetune-${key}.yaml`);
    writeZooConfig(cfg, csv, key, {
      cache_images: 'false',
      transforms_train: '{ name: augs, args: { hflip: true } }',
      // 8 images of 224 px: the wasm backend's 32-bit heap runs out after a few steps at 12 and at once at 20.
      sampler: '{ name: balance, args: { n_labels: 4, n_instances: 2 } }',
      max_epochs: '50',
      valid_period: '25',
      bs_val: '64',
      extractor: `{ name: zoo, args: { model: ${key}, train_from: ${layer}, head: linear, emb_dim: 128, normalise_features: true } }`,
      optimizer: '{ name: adam, args: { lr: 0.0001 } }',
    });
    line(`${key} fine-tuned from ${layer} on images (${protocol === 'seen' ? 100 : 50} steps)`, trainRow(cfg, []));
  }
}
console.log(`\n${perLabel} images per label per split; CMC@1 and mAP@10 of the best checkpoint (1-vs-rest validation).\n`);
console.log(['| protocol | model | CMC@1 | mAP@10 | wall time |', '|---|---|---|---|---|', ...rows].join('\n'));
