import { describe, expect, it } from 'vitest';
import { pca2 } from '../../main/retrieval/projection';
import { pickRows, sampleRows } from '../../main/retrieval/sample';
import { umap2 } from '../../main/retrieval/umap';
import { mulberry32 } from '../../main/random';

/** The share of points whose nearest other point on the 2-D map has the same label. */
function mapPurity(xy: Float32Array, labels: number[]): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < labels.length; j++) {
      const d = (xy[2 * i]! - xy[2 * j]!) ** 2 + (xy[2 * i + 1]! - xy[2 * j + 1]!) ** 2;
      if (j !== i && d < bestD) [best, bestD] = [j, d];
    }
    if (labels[best] === labels[i]) same++;
  }
  return same / labels.length;
}

describe('sampleRows', () => {
  it('picks distinct ascending positions, the same for the same seed, all of them when few', () => {
    const a = sampleRows(10_000, 500, 3);
    expect(a.length).toBe(500);
    expect(new Set(a).size).toBe(500);
    expect(Array.from(a).every((v, i) => v >= 0 && v < 10_000 && (i === 0 || v > a[i - 1]!))).toBe(true);
    expect(Array.from(sampleRows(10_000, 500, 3))).toEqual(Array.from(a));
    expect(Array.from(sampleRows(10_000, 500, 4))).not.toEqual(Array.from(a));
    expect(Array.from(sampleRows(7, 500))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('pickRows copies exactly the chosen rows', () => {
    const e = { data: Float32Array.from({ length: 12 }, (_, i) => i), count: 4, dim: 3 };
    expect(Array.from(pickRows(e, Int32Array.of(1, 3)).data)).toEqual([3, 4, 5, 9, 10, 11]);
  });
});

describe('umap2', () => {
  // Twenty classes around random centres in 32-d: any two directions (PCA's) show a fraction of what sets
  // them apart, so classes overlap on the PCA map; UMAP keeps each class's neighbourhood.
  const n = 600;
  const dim = 32;
  const r = mulberry32(5);
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 20 }, () => Array.from({ length: dim }, () => gauss()));
  const labels = Array.from({ length: n }, (_, i) => i % 20);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) data[i * dim + d] = centres[labels[i]!]![d]! + 0.5 * gauss();
  }
  const e = { data, count: n, dim };

  it('keeps classes apart where PCA mixes them, and the same seed gives the same map', () => {
    const xy = umap2(e, 0);
    expect(xy.length).toBe(2 * n);
    expect(xy.every(Number.isFinite)).toBe(true);
    expect(mapPurity(xy, labels)).toBeGreaterThan(0.95);
    expect(mapPurity(pca2(e).xy, labels)).toBeLessThan(0.75);
    expect(Array.from(umap2(e, 0))).toEqual(Array.from(xy));
  }, 60_000);

  it('lays out tiny sets without failing: one or two points sit at the origin, three or more spread', () => {
    expect(Array.from(umap2({ data: Float32Array.of(1, 2), count: 1, dim: 2 }))).toEqual([0, 0]);
    expect(Array.from(umap2({ data: Float32Array.of(1, 2, 3, 4), count: 2, dim: 2 }))).toEqual([0, 0, 0, 0]);
    const few = umap2({ data: Float32Array.from({ length: 10 }, (_, i) => i * i), count: 5, dim: 2 });
    expect(few.every(Number.isFinite)).toBe(true);
    expect(new Set(Array.from(few)).size).toBeGreaterThan(2);
  });
});
