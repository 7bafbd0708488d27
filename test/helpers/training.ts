import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainConfigInput } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { SAMPLE_CSV } from './tmp';

export const SAMPLE_ROOT = path.dirname(SAMPLE_CSV);

/**
 * A seen-labels dataset from the shipped sample: its validation labels 5–9, the first 30 images of each label
 * for training and the other 30 as 1-vs-rest validation. Returns the CSV path (images stay in the sample).
 */
export function seenLabelsCsv(dir: string): string {
  const [header, ...lines] = readFileSync(SAMPLE_CSV, 'utf8').trim().split('\n');
  const count = new Map<string, number>();
  const out = [header];
  for (const line of lines) {
    const [label, p, split, , , category] = line.split(',');
    if (split !== 'validation') continue;
    const n = count.get(label!) ?? 0;
    count.set(label!, n + 1);
    out.push(n < 30 ? [label, p, 'train', '', '', category].join(',') : [label, p, 'validation', 'True', 'True', category].join(','));
  }
  const file = path.join(dir, 'seen.csv');
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
}

/** A fast, deterministic config on that dataset: small CNN, all-triplets, 2 steps of 20 images per epoch. */
export function smallConfig(csv: string, overrides: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    seed: 7,
    backend: 'wasm',
    dataset: csv,
    dataset_root: SAMPLE_ROOT,
    image_size: 28,
    channels: 1,
    sampler: { name: 'balance', args: { n_labels: 2, n_instances: 10 } },
    max_epochs: 15,
    valid_period: 15,
    bs_val: 150,
    metric_args: { cmc_top_k: [1], precision_top_k: [], map_top_k: [5], pcf_variance: [] },
    extractor: { name: 'small_cnn', args: { emb_dim: 64, normalise_features: true } },
    criterion: { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets', args: {} } } },
    optimizer: { name: 'adam', args: { lr: 0.001 } },
    ...overrides,
  };
}

/** Every logged point of a run's events, in order (the worker coalesces step points into windows). */
export function metricPoints(events: TrainEvent[]) {
  return events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
}
