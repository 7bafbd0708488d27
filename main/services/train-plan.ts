import type { TrainConfig } from '../../shared/schemas/config';
import type { TrainPlan } from '../../shared/schemas/train-plan';
import type { BatchSampler } from '../engine/interfaces/samplers';
import { FLAG_TRUE, type DatasetTable, SPLIT_VALIDATION } from '../dataset/table';

/** Labels one batch holds: the sampler's n_labels (times n_categories for the category samplers). */
function labelsPerBatch(cfg: TrainConfig['sampler']): number {
  return cfg.name === 'balance' ? cfg.args.n_labels : cfg.args.n_categories * cfg.args.n_labels;
}

const hardCount = (h: number | [number, number]) => (typeof h === 'number' ? h : h[1] - h[0]);

/**
 * Triplets a batch of B = labels × n images yields: all_triplets pairs each anchor with its n − 1 positives and
 * B − n negatives; hard miners keep one (or n_positive × n_negative) per anchor. Null where it depends on a bank.
 */
export function tripletsPerBatch(cfg: TrainConfig, batch: number, instances: number): number | null {
  if (cfg.criterion.name !== 'triplet_with_miner') return null;
  const m = cfg.criterion.args.miner;
  switch (m.name) {
    case 'all_triplets': {
      const all = batch * (instances - 1) * (batch - instances);
      return m.args.max_output_triplets ? Math.min(all, m.args.max_output_triplets) : all;
    }
    case 'hard_triplets':
      return batch;
    case 'n_hard_triplets':
      return batch * hardCount(m.args.n_positive) * hardCount(m.args.n_negative);
    default:
      return null;
  }
}

export function trainPlan(
  cfg: TrainConfig,
  table: DatasetTable,
  sampler: BatchSampler,
  train: { rows: number; labels: number },
): TrainPlan {
  const batchesPerEpoch = Math.min(sampler.length, cfg.steps_per_epoch ?? Number.POSITIVE_INFINITY);
  const galleryByLabel = new Map<number, number>();
  const labels = new Set<number>();
  let queries = 0;
  let galleries = 0;
  let relevant = 0;
  for (let i = 0; i < table.size; i++) {
    if (table.split[i] !== SPLIT_VALIDATION) continue;
    labels.add(table.label[i]!);
    if (table.isGallery[i] === FLAG_TRUE) {
      galleries++;
      galleryByLabel.set(table.label[i]!, (galleryByLabel.get(table.label[i]!) ?? 0) + 1);
    }
  }
  for (let i = 0; i < table.size; i++) {
    if (table.split[i] !== SPLIT_VALIDATION || table.isQuery[i] !== FLAG_TRUE) continue;
    queries++;
    relevant += (galleryByLabel.get(table.label[i]!) ?? 0) - (table.isGallery[i] === FLAG_TRUE ? 1 : 0);
  }
  return {
    batchSize: sampler.batchSize,
    batchesPerEpoch,
    totalSteps: batchesPerEpoch * cfg.max_epochs,
    trainLabels: train.labels,
    trainImages: train.rows,
    labelsPerEpoch: Math.min(train.labels, batchesPerEpoch * labelsPerBatch(cfg.sampler)),
    tripletsPerBatch: tripletsPerBatch(cfg, sampler.batchSize, cfg.sampler.args.n_instances),
    validation: { queries, galleries, labels: labels.size, relevantPerQuery: queries ? relevant / queries : 0 },
  };
}
