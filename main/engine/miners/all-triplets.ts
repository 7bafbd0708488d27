import { type Rng, sampleWithoutReplacement } from '../../random';
import type { MinedTriplets, TripletMiner } from '../interfaces/miners';
import { checkInBatch, triplets } from './types';

/** Number of triplets all_triplets yields: Σ over labels of c·(c−1)·(N−c). */
export function countAllTriplets(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let total = 0;
  for (const c of counts.values()) total += c * (c - 1) * (labels.length - c);
  return total;
}

/** OML's AllTripletsMiner: every ordered (anchor, positive) pair of a label × every negative; a random subset above max. */
export class AllTripletsMiner implements TripletMiner {
  readonly name = 'all_triplets';
  constructor(readonly maxOutputTriplets = Number.MAX_SAFE_INTEGER) {}

  mine(_features: Float32Array, _dim: number, labels: Int32Array, rng: Rng): MinedTriplets {
    checkInBatch(labels);
    const total = countAllTriplets(labels);
    const keep =
      total > this.maxOutputTriplets
        ? new Set(
            sampleWithoutReplacement(
              Array.from({ length: total }, (_, i) => i),
              this.maxOutputTriplets,
              rng,
            ),
          )
        : null;
    const a: number[] = [],
      p: number[] = [],
      n: number[] = [];
    let k = 0;
    for (let i = 0; i < labels.length; i++) {
      for (let j = 0; j < labels.length; j++) {
        if (i === j || labels[i] !== labels[j]) continue;
        for (let m = 0; m < labels.length; m++) {
          if (labels[m] === labels[i]) continue;
          if (!keep || keep.has(k)) {
            a.push(i);
            p.push(j);
            n.push(m);
          }
          k++;
        }
      }
    }
    return { ...triplets(a, p, n), bank: null, logs: {} };
  }
}
