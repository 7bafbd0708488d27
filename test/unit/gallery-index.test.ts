import { describe, expect, it } from 'vitest';
import { exactIndex, galleryIndex, hnswIndex, loadUsearch } from '../../main/retrieval/gallery-index';
import type { Embeddings } from '../../main/retrieval/knn';
import { mulberry32 } from '../../main/random';

/** Random unit vectors: no cluster structure, the hardest case for an approximate index. */
function unitVectors(count: number, dim: number, seed: number): Embeddings {
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

describe('gallery indexes', () => {
  it('the exact index ranks as brute force does', () => {
    const g = unitVectors(700, 24, 1);
    const q = unitVectors(30, 24, 2);
    const nn = exactIndex(g).search(q, 7);
    for (let i = 0; i < q.count; i++) {
      const d = Array.from({ length: g.count }, (_, j) => {
        let s = 0;
        for (let t = 0; t < g.dim; t++) s += (q.data[i * g.dim + t]! - g.data[j * g.dim + t]!) ** 2;
        return s;
      });
      const want = Array.from(d.keys())
        .sort((a, b) => d[a]! - d[b]! || a - b)
        .slice(0, 7);
      const got = Array.from(nn.ids.subarray(nn.offsets[i]!, nn.offsets[i + 1]!));
      expect(got).toEqual(want);
      got.forEach((j, t) => {
        expect(nn.distances[nn.offsets[i]! + t]!).toBeCloseTo(Math.sqrt(d[j]!), 5);
      });
    }
  });

  // The issue's own bar, at its size: building the graph takes ~2 minutes on two cores.
  it.skipIf(!loadUsearch())(
    'HNSW finds ≥ 95 % of the exact top 10 among 100,000 random unit vectors in 128-d',
    () => {
      const g = unitVectors(100_000, 128, 3);
      const q = unitVectors(200, 128, 4);
      const exact = exactIndex(g).search(q, 10);
      const ann = hnswIndex(g);
      const got = ann.search(q, 10);
      let found = 0;
      for (let i = 0; i < q.count; i++) {
        const want = new Set(exact.ids.subarray(exact.offsets[i]!, exact.offsets[i + 1]!));
        for (const j of got.ids.subarray(got.offsets[i]!, got.offsets[i + 1]!)) if (want.has(j)) found++;
      }
      expect(found / (q.count * 10)).toBeGreaterThanOrEqual(0.95);
      // One query alone, and a k past the gallery, keep the same shape.
      const one = ann.search({ data: q.data.subarray(0, 128), count: 1, dim: 128 }, 3);
      expect(one.offsets[1]).toBe(3);
      expect(Array.from(one.ids)).toEqual(Array.from(got.ids.subarray(0, 3)));
    },
    600_000,
  );

  it.skipIf(!loadUsearch())('chooses exact below the size and HNSW from it', () => {
    const g = unitVectors(300, 8, 5);
    expect(galleryIndex(g, { annFrom: 301 }).kind).toBe('exact');
    const ann = galleryIndex(g, { annFrom: 300 });
    expect(ann.kind).toBe('hnsw');
    expect(ann.size).toBe(300);
    // Asked for more than it holds: at most every item once per query (a graph walk may miss a few).
    const all = ann.search(unitVectors(2, 8, 6), 500);
    for (let i = 0; i < 2; i++) {
      const ids = all.ids.subarray(all.offsets[i]!, all.offsets[i + 1]!);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThan(280);
      expect(ids.length).toBeLessThanOrEqual(300);
    }
  });
});
