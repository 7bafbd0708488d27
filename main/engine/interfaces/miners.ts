import type { Rng } from '../../random';

/**
 * Triplets as indices into a pool of feature rows: rows [0, batch) are the current batch (they carry
 * gradients), rows after that are the miner's memory bank (`bank`, detached). In-batch miners have no bank.
 */
export interface MinedTriplets {
  a: Int32Array;
  p: Int32Array;
  n: Int32Array;
  bank: { features: Float32Array; count: number } | null;
  /** For triplets_with_memory: 1 where the triplet came from the batch alone. */
  isOriginal?: Uint8Array;
  logs: Record<string, number>;
}

export interface TripletMiner {
  readonly name: string;
  /** `features`: the batch's detached features (batch × dim, row-major). */
  mine(features: Float32Array, dim: number, labels: Int32Array, rng: Rng): MinedTriplets;
}
