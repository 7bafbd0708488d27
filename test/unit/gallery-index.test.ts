import { describe, expect, it } from 'vitest';
import { exactIndex, galleryIndex, loadUsearch } from '../../main/retrieval/gallery-index';
import { unitVectors } from '../helpers/vectors';

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
