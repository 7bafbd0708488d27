/**
 * Principal components fraction (OML's calc_pcf): the share of dimensions needed to explain `variance` of the
 * embeddings' variance — low values mean the embedding uses few directions (a sign of collapse).
 */

import { scatterUpper } from '../retrieval/scatter';

/** Eigenvalues of a symmetric matrix (Householder tridiagonalisation + implicit QL; Numerical Recipes tred2/tqli). */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]!);
      if (scale === 0) e[i] = a[i * n + l]!;
      else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k]! /= scale;
          h += a[i * n + k]! * a[i * n + k]!;
        }
        const f = a[i * n + l]!;
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        let ff = 0;
        for (let j = 0; j <= l; j++) {
          let gg = 0;
          for (let k = 0; k <= j; k++) gg += a[j * n + k]! * a[i * n + k]!;
          for (let k = j + 1; k <= l; k++) gg += a[k * n + j]! * a[i * n + k]!;
          e[j] = gg / h;
          ff += e[j]! * a[i * n + j]!;
        }
        const hh = ff / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[i * n + j]!;
          const gj = (e[j] = e[j]! - hh * fj);
          for (let k = 0; k <= j; k++) a[j * n + k]! -= fj * e[k]! + gj * a[i * n + k]!;
        }
      }
    } else e[i] = a[i * n + l]!;
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ > 60) throw new Error('eigenvalue iteration did not converge');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i]!;
          const b = c * e[i]!;
          e[i + 1] = r = Math.hypot(f, g);
          if (r === 0) {
            d[i + 1]! -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          d[i + 1] = g + (p = s * r);
          g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l]! -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
  return d;
}

/** PCF for each requested variance share: n / dim with n = searchsorted(cumsum(ratios), v, "right") + 1. */
export function pcf(data: Float32Array, count: number, dim: number, variances: readonly number[]): number[] {
  for (const v of variances) if (!(v > 0 && v <= 1)) throw new Error(`pcf variance values must be in (0, 1], got ${v}`);
  if (count < 2) return variances.map(() => Number.NaN);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += data[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  // The centred data's squared singular values: eigenvalues of XᵀX (dim × dim), or of the Gram matrix XXᵀ
  // (count × count) when there are fewer rows than dimensions — the same non-zero values, the rest zeros, at d³ →
  // n³ work (5,000-d embeddings of 30 rows: 30³, not 5,000³).
  const n = Math.min(count, dim);
  let m: Float64Array;
  if (dim <= count) m = scatterUpper(data, count, dim, mean);
  else {
    m = new Float64Array(n * n);
    const centred = new Float64Array(count * dim);
    for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) centred[i * dim + j] = data[i * dim + j]! - mean[j]!;
    for (let a = 0; a < count; a++)
      for (let b = a; b < count; b++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += centred[a * dim + j]! * centred[b * dim + j]!;
        m[a * n + b] = s;
      }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) m[a * n + b] = m[b * n + a]!;
  let eig: Float64Array;
  try {
    eig = new Float64Array(dim);
    eig.set(symmetricEigenvalues(m, n));
  } catch {
    return variances.map(() => Number.NaN); // OML returns NaN when its SVD fails
  }
  const values = Array.from(eig, (x) => Math.max(0, x)).sort((x, y) => y - x);
  const total = values.reduce((s, x) => s + x, 0);
  if (total === 0) return variances.map(() => Number.NaN);
  const cumsum: number[] = [];
  let acc = 0;
  for (const v of values) cumsum.push((acc += v / total));
  return variances.map((v) => {
    let n = 0;
    while (n < cumsum.length && cumsum[n]! <= v) n++;
    return Math.min(n + 1, dim) / dim;
  });
}
