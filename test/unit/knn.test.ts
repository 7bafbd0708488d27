import { describe, expect, it } from 'vitest';
import { batchedKnn, topKSmallest, type Embeddings } from '../../main/retrieval/knn';
import { mulberry32 } from '../../main/random';

function randomEmbeddings(count: number, dim: number, seed: number): Embeddings {
  const rand = mulberry32(seed);
  return { data: Float32Array.from({ length: count * dim }, () => rand() * 2 - 1), count, dim };
}

function bruteForce(q: Embeddings, g: Embeddings, k: number, ignore: (i: number, j: number) => boolean) {
  const out: number[][] = [];
  for (let i = 0; i < q.count; i++) {
    const d: [number, number][] = [];
    for (let j = 0; j < g.count; j++) {
      if (ignore(i, j)) continue;
      let s = 0;
      for (let t = 0; t < q.dim; t++) s += (q.data[i * q.dim + t]! - g.data[j * g.dim + t]!) ** 2;
      d.push([Math.sqrt(s), j]);
    }
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    out.push(d.slice(0, k).map((x) => x[1]));
  }
  return out;
}

describe('batched kNN', () => {
  it('matches brute force for any block size', () => {
    const q = randomEmbeddings(37, 16, 1);
    const g = randomEmbeddings(101, 16, 2);
    const expected = bruteForce(q, g, 7, () => false);
    for (const blockSize of [1, 5, 37, 1000]) {
      const rr = batchedKnn({ queries: q, gallery: g, nItems: 7, blockSize });
      const got = Array.from({ length: q.count }, (_, i) => Array.from(rr.retrieved.subarray(rr.offsets[i]!, rr.offsets[i + 1]!)));
      expect(got).toEqual(expected);
      for (let i = 0; i < rr.distances.length - 1; i++) {
        if (rr.offsets.includes(i + 1)) continue;
        expect(rr.distances[i]!).toBeLessThanOrEqual(rr.distances[i + 1]!);
      }
    }
  });

  it('drops the query itself and its sequence from ranking and ground truth', () => {
    const e = randomEmbeddings(20, 4, 3);
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    const seq = Int32Array.from({ length: 20 }, (_, i) => (i < 4 ? 0 : -1));
    const labels = Int32Array.from({ length: 20 }, (_, i) => i % 3);
    const rr = batchedKnn({
      queries: e,
      gallery: e,
      nItems: 100,
      queryIds: ids,
      galleryIds: ids,
      querySequence: seq,
      gallerySequence: seq,
      queryLabels: labels,
      galleryLabels: labels,
    });
    const listOf = (i: number) => Array.from(rr.retrieved.subarray(rr.offsets[i]!, rr.offsets[i + 1]!));
    expect(listOf(0)).not.toContain(0);
    for (const s of [1, 2, 3]) expect(listOf(0)).not.toContain(s);
    expect(listOf(0)).toHaveLength(16);
    expect(listOf(10)).toHaveLength(19);
    const gt0 = Array.from(rr.gtIds!.subarray(rr.gtOffsets![0]!, rr.gtOffsets![1]!));
    expect(gt0).toEqual([6, 9, 12, 15, 18]); // label 0, not 0 itself or 3 (same sequence)
  });

  it('clips k to the gallery and breaks ties by gallery order', () => {
    const out = new Int32Array(3);
    expect(topKSmallest(Float32Array.from([1, 0, 1, 0]), 0, 4, 3, out)).toBe(3);
    expect(Array.from(out)).toEqual([1, 3, 0]);
    const rr = batchedKnn({ queries: randomEmbeddings(2, 3, 4), gallery: randomEmbeddings(3, 3, 5), nItems: 10 });
    expect(Array.from(rr.offsets)).toEqual([0, 3, 6]);
  });

  it('refuses mismatched dimensions', () => {
    expect(() => batchedKnn({ queries: randomEmbeddings(1, 3, 1), gallery: randomEmbeddings(1, 4, 1), nItems: 1 })).toThrow(/3-d.*4-d/);
  });
});
