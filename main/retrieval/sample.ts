/**
 * Seeded samples of embeddings: the explorer lays out at most UMAP_SAMPLE items with UMAP (retrieval/umap.ts), and
 * the same seed must pick the same items so that a map does not change between two requests.
 */
import { mulberry32, sampleWithoutReplacement } from '../random';
import type { Embeddings } from './knn';

/** At most this many items are laid out by UMAP (~25 s on one core of this 2-core machine at 128-d). */
export const UMAP_SAMPLE = 5000;

/** `size` distinct positions out of `n` (all of them when n ≤ size), ascending, the same for the same seed. */
export function sampleRows(n: number, size: number, seed = 0): Int32Array {
  const all = Array.from({ length: n }, (_, i) => i);
  return Int32Array.from(n <= size ? all : sampleWithoutReplacement(all, size, mulberry32(seed))).sort();
}

/** The rows at these positions, as their own (copied) embeddings. */
export function pickRows(e: Embeddings, rows: Int32Array): Embeddings {
  const data = new Float32Array(rows.length * e.dim);
  rows.forEach((r, i) => {
    data.set(e.data.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim);
  });
  return { data, count: rows.length, dim: e.dim };
}
