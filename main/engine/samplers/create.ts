import type { SamplerConfig } from '../../../shared/schemas/config';
import type { BatchSampler } from '../interfaces/samplers';
import { BalanceSampler } from './balance';
import { CategoryBalanceSampler, DistinctCategoryBalanceSampler } from './category-balance';

/**
 * OML's sampler registry: a `{name, args}` block → a sampler over the train labels. Plain TypeScript (no tensors),
 * so the pre-flight check builds the same sampler the run will, and fails where the run would.
 */
export function createSampler(cfg: SamplerConfig, labels: Int32Array, label2category: Map<number, string>): BatchSampler {
  const needCategories = () => {
    if (label2category.size === 0) throw new Error(`Sampler "${cfg.name}" needs a category column in the dataset`);
    return label2category;
  };
  switch (cfg.name) {
    case 'balance':
      return new BalanceSampler(labels, cfg.args.n_labels, cfg.args.n_instances);
    case 'category_balance':
      return new CategoryBalanceSampler(
        labels,
        needCategories(),
        cfg.args.n_categories,
        cfg.args.n_labels,
        cfg.args.n_instances,
        cfg.args.resample_labels,
        cfg.args.weight_categories,
      );
    case 'distinct_category_balance':
      return new DistinctCategoryBalanceSampler(
        labels,
        needCategories(),
        cfg.args.n_categories,
        cfg.args.n_labels,
        cfg.args.n_instances,
        cfg.args.epoch_size,
      );
  }
}
