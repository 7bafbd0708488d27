import { type Rng, sampleWithoutReplacement } from '../../random';
import { indicesByLabel, smartSample, weightedSampleWithoutReplacement } from './smart-sample';
import type { BatchSampler } from '../interfaces/samplers';
import { SamplerError, requireInt, requireTwoPerLabel } from './types';

export type Label2Category = Map<number, string>;

function checkCommon(
  byLabel: Map<number, number[]>,
  label2category: Label2Category,
  nCategories: number,
  nLabels: number,
  nInstances: number,
) {
  requireInt('n_categories', nCategories);
  requireInt('n_labels', nLabels);
  requireInt('n_instances', nInstances);
  const categories = new Set(label2category.values());
  if (!(nCategories >= 1 && nCategories <= categories.size))
    throw new SamplerError(`must be 1 <= n_categories <= ${categories.size}, ${nCategories} given`);
  if (!(nLabels > 1 && nLabels <= byLabel.size)) throw new SamplerError(`must be 1 < n_labels <= ${byLabel.size}, ${nLabels} given`);
  if (nInstances <= 1) throw new SamplerError(`must be n_instances > 1, ${nInstances} given`);
  if ([...byLabel.keys()].some((l) => !label2category.has(l))) throw new SamplerError('All the labels must have category');
  if ([...label2category.keys()].some((l) => !byLabel.has(l)))
    throw new SamplerError('All the labels from label2category mapping must be in the labels');
  requireTwoPerLabel(byLabel);
  const category2labels = new Map<string, number[]>();
  for (const c of [...categories].sort()) category2labels.set(c, []);
  for (const [l, c] of [...label2category.entries()].sort((a, b) => a[0] - b[0])) category2labels.get(c)!.push(l);
  return category2labels;
}

/**
 * OML's CategoryBalanceSampler: batches of n_categories × n_labels × n_instances, each batch drawn
 * independently (categories weighted by their label count when weight_categories); ceil(L / n_labels) batches.
 */
export class CategoryBalanceSampler implements BatchSampler {
  readonly batchSize: number;
  readonly length: number;
  private readonly byLabel: Map<number, number[]>;
  private readonly category2labels: Map<string, number[]>;
  private readonly weights: number[];

  constructor(
    labels: ArrayLike<number>,
    label2category: Label2Category,
    readonly nCategories: number,
    readonly nLabels: number,
    readonly nInstances: number,
    readonly resampleLabels = false,
    readonly weightCategories = true,
  ) {
    this.byLabel = indicesByLabel(labels);
    this.category2labels = checkCommon(this.byLabel, label2category, nCategories, nLabels, nInstances);
    if (!resampleLabels && [...this.category2labels.values()].some((ls) => ls.length < nLabels)) {
      throw new SamplerError(`All the categories must have at least ${nLabels} unique labels`);
    }
    const L = this.byLabel.size;
    this.weights = [...this.category2labels.values()].map((ls) => (weightCategories ? ls.length / L : 1));
    this.batchSize = nCategories * nLabels * nInstances;
    this.length = Math.ceil(L / nLabels);
  }

  epoch(rng: Rng): number[][] {
    const cats = [...this.category2labels.keys()];
    const batches: number[][] = [];
    for (let b = 0; b < this.length; b++) {
      const chosen = weightedSampleWithoutReplacement(cats, this.weights, this.nCategories, rng);
      batches.push(
        chosen.flatMap((c) =>
          smartSample(this.category2labels.get(c)!, this.nLabels, rng).flatMap((l) =>
            smartSample(this.byLabel.get(l)!, this.nInstances, rng),
          ),
        ),
      );
    }
    return batches;
  }
}

/**
 * OML's DistinctCategoryBalanceSampler: like category_balance, but labels are not reused until every category
 * runs out; epoch_size batches. A category short of unused labels tops up from its used ones.
 */
export class DistinctCategoryBalanceSampler implements BatchSampler {
  readonly batchSize: number;
  readonly length: number;
  private readonly byLabel: Map<number, number[]>;
  private readonly category2labels: Map<string, number[]>;

  constructor(
    labels: ArrayLike<number>,
    label2category: Label2Category,
    readonly nCategories: number,
    readonly nLabels: number,
    readonly nInstances: number,
    epochSize: number,
  ) {
    this.byLabel = indicesByLabel(labels);
    this.category2labels = checkCommon(this.byLabel, label2category, nCategories, nLabels, nInstances);
    if ([...this.category2labels.values()].some((ls) => ls.length < nLabels))
      throw new SamplerError(`All the categories must have at least ${nLabels} unique labels`);
    requireInt('epoch_size', epochSize);
    if (epochSize < 1) throw new SamplerError(`epoch_size must be >= 1, ${epochSize} given`);
    this.batchSize = nCategories * nLabels * nInstances;
    this.length = epochSize;
  }

  epoch(rng: Rng): number[][] {
    const fresh = () => new Map([...this.category2labels].map(([c, ls]) => [c, new Set(ls)]));
    let available = fresh();
    let used = new Map<string, Set<number>>();
    const batches: number[][] = [];
    for (let b = 0; b < this.length; b++) {
      if (available.size < this.nCategories) {
        available = fresh();
        used = new Map();
      }
      const cats = sampleWithoutReplacement([...available.keys()], Math.min(this.nCategories, available.size), rng);
      const batch: number[] = [];
      for (const c of cats) {
        const free = [...available.get(c)!];
        const labels =
          this.nLabels <= free.length
            ? sampleWithoutReplacement(free, this.nLabels, rng)
            : [...free, ...sampleWithoutReplacement([...(used.get(c) ?? [])], this.nLabels - free.length, rng)];
        for (const l of labels) batch.push(...smartSample(this.byLabel.get(l)!, this.nInstances, rng));
        for (const l of labels) available.get(c)!.delete(l);
        if (!used.has(c)) used.set(c, new Set());
        for (const l of labels) used.get(c)!.add(l);
        if (available.get(c)!.size === 0) available.delete(c);
      }
      batches.push(batch);
    }
    return batches;
  }
}
