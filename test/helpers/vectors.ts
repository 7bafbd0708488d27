import type { Embeddings } from '../../main/retrieval/knn';
import { mulberry32 } from '../../main/random';

/** Random unit vectors: no cluster structure, the hardest case for an approximate index. */
export function unitVectors(count: number, dim: number, seed: number): Embeddings {
  const r = mulberry32(seed);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = r() * 2 - 1;
      data[i * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) data[i * dim + j]! /= Math.sqrt(norm);
  }
  return { data, count, dim };
}
