import type { MinedTriplets } from '../interfaces/miners';

export class MinerError extends Error {}

/** OML's in-batch miners assert ≥ 2 labels and ≥ 2 instances of every label in a batch. */
export function checkInBatch(labels: Int32Array): void {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  if (counts.size < 2) throw new MinerError('A batch must contain at least 2 labels to form triplets');
  const single = [...counts].filter(([, n]) => n < 2).map(([l]) => l);
  if (single.length)
    throw new MinerError(`Every label in a batch needs at least 2 instances; label ${single[0]} has 1 (use a balance sampler)`);
}

/** Euclidean distances between every pair of rows (OML's pairwise_dist on detached features). */
export function pairwiseDistances(features: Float32Array, count: number, dim: number): Float32Array {
  const d = new Float32Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const x = features[i * dim + t]! - features[j * dim + t]!;
        s += x * x;
      }
      d[i * count + j] = d[j * count + i] = Math.sqrt(s);
    }
  }
  return d;
}

export function triplets(a: number[], p: number[], n: number[]): Pick<MinedTriplets, 'a' | 'p' | 'n'> {
  return { a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
}
