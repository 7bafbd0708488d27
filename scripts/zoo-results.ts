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
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from '../main/paths';

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
const cli = (args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'metric-studio.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`metric-studio ${args.join(' ')} failed:\n${r.stderr}`);
  return { out: r.stdout, seconds: (performance.now() - t0) / 1000 };
};
const evaluate = (csv: string, source: string[]) => {
  const r = cli(['evaluate', '--dataset', csv, ...source, '--cmc', '1', '--map', '10', '--json']);
  const m = JSON.parse(r.out).OVERALL;
  return { cmc: m.cmc['1'] as number, map: m.map['10'] as number, seconds: r.seconds };
};
const trainRun = (config: string, sets: string[]) => {
  const r = cli(['train', config, '--data-dir', dataDir, ...sets.flatMap((s) => ['--set', s])]);
  const id = /^run (\d+) /m.exec(r.out)![1]!;
  const show = JSON.parse(cli(['runs', 'show', id, '--json', '--data-dir', dataDir]).out);
  const best = show.checkpoints.find((c: { kind: string }) => c.kind === 'best');
  const ev = evaluate(show.datasetCsv, ['--checkpoint', best.path]);
  return { cmc: ev.cmc, map: ev.map, seconds: r.seconds };
};

/** A training config on `csv` for zoo model `key` at its input size: the shared keys, then the row's own. */
function writeZooConfig(file: string, csv: string, key: string, own: Record<string, string>): void {
  const keys = {
    dataset: csv,
    image_size: String(sizes.get(key)),
    channels: '3',
    ...own,
    metric_args: '{ cmc_top_k: [1], precision_top_k: [], map_top_k: [10], pcf_variance: [] }',
    criterion: '{ name: triplet_with_miner, args: { margin: 0.2, miner: { name: all_triplets, args: {} } } }',
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    Object.entries(keys)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  );
}

for (const key of new Set([...zooKeys, ...fineTunes.map(([k]) => k)])) cli(['zoo', 'download', key, '--data-dir', dataDir]);
const sizes = new Map(
  (JSON.parse(cli(['zoo', 'list', '--json', '--data-dir', dataDir]).out) as { key: string; inputSize: number }[]).map((e) => [
    e.key,
    e.inputSize,
  ]),
);
const rows: string[] = [];
for (const protocol of protocols) {
  const out = path.join(root, 'datasets', `fmnist-${protocol}-${perLabel}`);
  cli(['convert', '--help']); // the CLI loads
  spawnSync(
    process.execPath,
    [path.join(root, 'bin', 'run-ts.mjs'), 'scripts/make-sample.ts', '--protocol', protocol, '--per-label', String(perLabel), '--out', out],
    { stdio: 'ignore' },
  );
  const csv = path.join(out, 'df.csv');
  const line = (what: string, r: { cmc: number; map: number; seconds: number }) => {
    rows.push(
      `| (${protocol === 'seen' ? 1 : 2}) ${protocol} | ${what} | ${r.cmc.toFixed(3)} | ${r.map.toFixed(3)} | ${r.seconds.toFixed(0)} s |`,
    );
    console.log(rows.at(-1));
  };
  if (baselines) {
    line('raw pixels (28×28 grey)', evaluate(csv, ['--baseline', 'raw-pixels']));
    line(
      'small CNN from scratch (shipped recipe, 1,000 steps)',
      trainRun(path.join(root, 'recipes', `fashion-mnist-${protocol}.yaml`), [`dataset=${csv}`]),
    );
  }
  for (const key of zooKeys) {
    line(`${key} frozen (no training)`, evaluate(csv, ['--zoo', key, '--data-dir', dataDir]));
    const cfg = path.join(out, `zoo-head-${key}.yaml`);
    writeZooConfig(cfg, csv, key, {
      sampler: '{ name: balance, args: { n_labels: 5, n_instances: 16 } }',
      max_epochs: '400',
      valid_period: '100',
      extractor: `{ name: zoo, args: { model: ${key}, head: linear, emb_dim: 128, normalise_features: true } }`,
      optimizer: '{ name: adam, args: { lr: 0.001 } }',
    });
    line(`${key} frozen + linear head trained on cached features (400 steps)`, trainRun(cfg, []));
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
    line(`${key} fine-tuned from ${layer} on images (${protocol === 'seen' ? 100 : 50} steps)`, trainRun(cfg, []));
  }
}
console.log(`\n${perLabel} images per label per split; CMC@1 and mAP@10 of the best checkpoint (1-vs-rest validation).\n`);
console.log(['| protocol | model | CMC@1 | mAP@10 | wall time |', '|---|---|---|---|---|', ...rows].join('\n'));
