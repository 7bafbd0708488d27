// Issue #30 class 6: distances and PCF that do not depend on how large the numbers are or how many dimensions.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { batchedKnn, distanceScale } from '../../main/retrieval/knn';
import { pcf, symmetricEigenvalues } from '../../main/metrics/pcf';

const randomData = (n: number, d: number, seed: number) => {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * d }, () => rng() - 0.5);
};

describe('scale-safe retrieval', () => {
  it('vectors ×2^60 and ×2^-70 rank as the originals, with distances scaled by the same factor', () => {
    const data = randomData(40, 8, 1);
    const e = { data, count: 40, dim: 8 };
    const want = batchedKnn({ queries: e, gallery: e, nItems: 5 });
    for (const p of [60, 64, -70, -80]) {
      const s = 2 ** p;
      const big = { ...e, data: data.map((x) => x * s) };
      expect(distanceScale(big)).not.toBe(1);
      const got = batchedKnn({ queries: big, gallery: big, nItems: 5 });
      expect(got.retrieved).toEqual(want.retrieved);
      for (let i = 0; i < want.distances.length; i++) expect(got.distances[i]! / s).toBeCloseTo(want.distances[i]!, 5);
    }
    expect(distanceScale(e)).toBe(1);
  });
});

describe('PCF from the Gram matrix when there are more dimensions than rows', () => {
  it('equals the eigenvalues of XᵀX taken directly', () => {
    for (const [n, d] of [
      [6, 14],
      [9, 40],
    ] as const) {
      const data = randomData(n, d, n + d);
      const mean = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]! / n;
      const xtx = new Float64Array(d * d);
      for (let i = 0; i < n; i++)
        for (let a = 0; a < d; a++)
          for (let b = 0; b < d; b++) xtx[a * d + b]! += (data[i * d + a]! - mean[a]!) * (data[i * d + b]! - mean[b]!);
      const values = Array.from(symmetricEigenvalues(xtx, d), (x) => Math.max(0, x)).sort((x, y) => y - x);
      const total = values.reduce((s, x) => s + x, 0);
      // Not 1: there the answer turns on rounding noise in the null space (XᵀX has d − n eigenvalues of ±1e-17, the
      // Gram path exact zeros), as it does in OML's SVD.
      const variances = [0.3, 0.5, 0.9, 0.99];
      const cumsum: number[] = [];
      let acc = 0;
      for (const v of values) cumsum.push((acc += v / total));
      // OML: n = searchsorted(cumsum, v, "right") + 1 components, as a share of d.
      const want = variances.map((v) => Math.min(cumsum.filter((c) => c <= v).length + 1, d) / d);
      expect(pcf(data, n, d, variances)).toEqual(want);
    }
  });
});
