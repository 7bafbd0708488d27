import type { Rng } from '../../random';

/** A batch sampler: one epoch is a list of batches of dataset indices (OML's IBatchSampler). */
export interface BatchSampler {
  readonly batchSize: number;
  /** Batches per epoch. */
  readonly length: number;
  epoch(rng: Rng): number[][];
}
