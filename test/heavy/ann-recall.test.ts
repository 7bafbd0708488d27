// The approximate index at the issue's own size. Building the graph keeps both cores busy for over a minute, so
// this file runs in the 'heavy' project, after the others (vitest.config.ts), where it slows no browser test.
import { describe, expect, it } from 'vitest';
import { exactIndex, hnswIndex, loadUsearch } from '../../main/retrieval/gallery-index';
import { unitVectors } from '../helpers/vectors';

describe('HNSW gallery index at scale', () => {
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
});
