import { describe, expect, it } from 'vitest';
import { pca2 } from '../../main/retrieval/projection';
import { mulberry32 } from '../../main/random';

describe('pca2', () => {
  it('finds the two directions of largest spread, orthogonal, with their share of the variance', () => {
    // Points spread 10 along (1,1,0,0)/√2, 3 along (0,0,1,0), and 0.1 elsewhere, around an offset centre.
    const r = mulberry32(9);
    const n = 2000;
    const data = new Float32Array(n * 4);
    const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
    for (let i = 0; i < n; i++) {
      const a = 10 * gauss();
      const b = 3 * gauss();
      data.set([5 + a / Math.SQRT2 + 0.1 * gauss(), -2 + a / Math.SQRT2 + 0.1 * gauss(), 1 + b, 0.1 * gauss()], i * 4);
    }
    const { xy, explained } = pca2({ data, count: n, dim: 4 });
    const col = (c: number) => Array.from({ length: n }, (_, i) => xy[2 * i + c]!);
    const variance = (v: number[]) => v.reduce((s, x) => s + x * x, 0) / (n - 1);
    expect(Math.sqrt(variance(col(0)))).toBeGreaterThan(9);
    expect(Math.sqrt(variance(col(1)))).toBeGreaterThan(2.7);
    expect(Math.sqrt(variance(col(1)))).toBeLessThan(3.3);
    // Projections are centred and uncorrelated.
    const mean0 = col(0).reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(mean0)).toBeLessThan(1e-3);
    const cross = col(0).reduce((s, x, i) => s + x * col(1)[i]!, 0) / (n - 1);
    expect(Math.abs(cross)).toBeLessThan(0.05);
    expect(explained[0]).toBeGreaterThan(0.9);
    expect(explained[0] + explained[1]).toBeGreaterThan(0.99);
    // The same vectors give the same map (no sign flips).
    expect(Array.from(pca2({ data, count: n, dim: 4 }).xy)).toEqual(Array.from(xy));
  });

  it('survives degenerate input: one point, identical points', () => {
    expect(Array.from(pca2({ data: Float32Array.of(1, 2), count: 1, dim: 2 }).xy)).toEqual([0, 0]);
    const same = pca2({ data: Float32Array.of(1, 2, 1, 2, 1, 2), count: 3, dim: 2 });
    expect(Array.from(same.xy)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(same.explained).toEqual([0, 0]);
  });
});
