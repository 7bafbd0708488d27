import type { Rng } from '../../random';
import type { MinedTriplets, TripletMiner } from '../interfaces/miners';
import { checkInBatch, MinerError, pairwiseDistances, triplets } from './types';

/** An int n = the n hardest; [from, to] = 1-based inclusive slice of the hardness ranking (OML's NHardTripletsMiner). */
export type HardnessRange = number | [number, number];

export function toSlice(n: HardnessRange, name: string): [number, number] {
  const [from, to] = typeof n === 'number' ? [0, n] : [n[0] - 1, n[1]];
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to <= from) {
    throw new MinerError(`${name} must be a positive int or a [from, to] range with 1 <= from <= to, got ${JSON.stringify(n)}`);
  }
  return [from, to];
}

/**
 * For each anchor (not masked out): positives ranked by descending distance, negatives by ascending distance
 * (ties by index), sliced, and every positive × negative pair emitted.
 */
export function nHardFromDistances(
  dist: Float32Array,
  labels: Int32Array,
  pos: [number, number],
  neg: [number, number],
  ignoreAnchor?: Uint8Array,
) {
  const count = labels.length;
  const a: number[] = [],
    p: number[] = [],
    n: number[] = [];
  for (let i = 0; i < count; i++) {
    if (ignoreAnchor?.[i]) continue;
    const row = i * count;
    const positives: number[] = [];
    const negatives: number[] = [];
    for (let j = 0; j < count; j++) {
      if (j === i) continue;
      (labels[j] === labels[i] ? positives : negatives).push(j);
    }
    positives.sort((x, y) => dist[row + y]! - dist[row + x]! || x - y);
    negatives.sort((x, y) => dist[row + x]! - dist[row + y]! || x - y);
    for (const pp of positives.slice(pos[0], pos[1])) {
      for (const nn of negatives.slice(neg[0], neg[1])) {
        a.push(i);
        p.push(pp);
        n.push(nn);
      }
    }
  }
  return triplets(a, p, n);
}

export class NHardTripletsMiner implements TripletMiner {
  readonly name: string = 'n_hard_triplets';
  readonly positive: [number, number];
  readonly negative: [number, number];
  constructor(nPositive: HardnessRange = 1, nNegative: HardnessRange = 1) {
    this.positive = toSlice(nPositive, 'n_positive');
    this.negative = toSlice(nNegative, 'n_negative');
  }
  mine(features: Float32Array, dim: number, labels: Int32Array, _rng?: Rng): MinedTriplets {
    checkInBatch(labels);
    const dist = pairwiseDistances(features, labels.length, dim);
    return { ...nHardFromDistances(dist, labels, this.positive, this.negative), bank: null, logs: {} };
  }
}

/** OML's HardTripletsMiner: the farthest positive and the nearest negative of every anchor. */
export class HardTripletsMiner extends NHardTripletsMiner {
  override readonly name = 'hard_triplets';
  constructor() {
    super(1, 1);
  }
}
