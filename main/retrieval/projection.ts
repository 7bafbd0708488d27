/**
 * A 2-D PCA projection of embeddings for the explorer's map: the top two principal directions of the centred
 * vectors by power iteration on the d × d covariance (d ≤ a few thousand; the covariance costs n·d², the
 * iterations d² each), with deflation for the second. Signs are fixed (largest coordinate positive) so the map
 * does not flip between two computations of the same vectors.
 */
import type { Embeddings } from './knn';
import { scatterUpper } from './scatter';

export interface Projection {
  /** n × 2, row-major. */
  xy: Float32Array;
  /** Share of the total variance along each axis. */
  explained: [number, number];
}

function covariance(e: Embeddings, mean: Float64Array): Float64Array {
  const { dim, count, data } = e;
  const cov = scatterUpper(data, count, dim, mean);
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b]! /= Math.max(1, count - 1);
  return cov;
}

/** The dominant eigenvector of a symmetric matrix (power iteration from a fixed start), and its eigenvalue. */
function dominant(m: Float64Array, dim: number, iterations = 300): { v: Float64Array; value: number } {
  let v = Float64Array.from({ length: dim }, (_, i) => 1 / Math.sqrt(dim) + (i % 7) * 1e-3);
  let value = 0;
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(dim);
    for (let a = 0; a < dim; a++) {
      let s = 0;
      for (let b = 0; b < dim; b++) s += m[a * dim + b]! * v[b]!;
      next[a] = s;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return { v, value: 0 };
    for (let a = 0; a < dim; a++) next[a]! /= norm;
    const moved = next.reduce((s, x, a) => s + Math.abs(x - v[a]!), 0);
    v = next;
    value = norm;
    if (moved < 1e-10) break;
  }
  const big = v.reduce((best, x, a) => (Math.abs(x) > Math.abs(v[best]!) ? a : best), 0);
  if (v[big]! < 0) for (let a = 0; a < dim; a++) v[a] = -v[a]!;
  return { v, value };
}

export function pca2(e: Embeddings): Projection {
  const { dim, count, data } = e;
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let a = 0; a < dim; a++) mean[a]! += data[i * dim + a]!;
  for (let a = 0; a < dim; a++) mean[a]! /= Math.max(1, count);
  const cov = covariance(e, mean);
  let total = 0;
  for (let a = 0; a < dim; a++) total += cov[a * dim + a]!;
  const first = dominant(cov, dim);
  // Deflate: remove the first direction, then find the next.
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b]! -= first.value * first.v[a]! * first.v[b]!;
  const second = dominant(cov, dim);
  const xy = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    let x = 0;
    let y = 0;
    for (let a = 0; a < dim; a++) {
      const c = data[i * dim + a]! - mean[a]!;
      x += c * first.v[a]!;
      y += c * second.v[a]!;
    }
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
  }
  return { xy, explained: total > 0 ? [first.value / total, second.value / total] : [0, 0] };
}
