import { type Rng, sampleWithoutReplacement } from '../../random';
import { indicesByLabel, smartSample } from './smart-sample';
import type { BatchSampler } from '../interfaces/samplers';
import { SamplerError, requireInt, requireTwoPerLabel } from './types';

/**
 * OML's BalanceSampler: batches of n_labels × n_instances. Each epoch picks labels without replacement across the
 * epoch, so every label appears at most once; L // n_labels batches, the leftover labels dropped.
 */
export class BalanceSampler implements BatchSampler {
  readonly batchSize: number;
  readonly length: number;
  private readonly byLabel: Map<number, number[]>;

  constructor(
    labels: ArrayLike<number>,
    readonly nLabels: number,
    readonly nInstances: number,
  ) {
    requireInt('n_labels', nLabels);
    requireInt('n_instances', nInstances);
    this.byLabel = indicesByLabel(labels);
    const L = this.byLabel.size;
    if (!(nLabels > 1 && nLabels <= L)) throw new SamplerError(`must be 1 < n_labels <= ${L}, ${nLabels} given`);
    if (!(nInstances > 1)) throw new SamplerError(`must be n_instances > 1, ${nInstances} given`);
    requireTwoPerLabel(this.byLabel);
    this.batchSize = nLabels * nInstances;
    this.length = Math.floor(L / nLabels);
  }

  epoch(rng: Rng): number[][] {
    let rest = [...this.byLabel.keys()];
    const batches: number[][] = [];
    for (let b = 0; b < this.length; b++) {
      const chosen = sampleWithoutReplacement(rest, Math.min(this.nLabels, rest.length), rng);
      const picked = new Set(chosen);
      rest = rest.filter((l) => !picked.has(l));
      batches.push(chosen.flatMap((l) => smartSample(this.byLabel.get(l)!, this.nInstances, rng)));
    }
    return batches;
  }
}
