import { Growable } from '../dataset/growable';

/**
 * Batched exact k-nearest-neighbour search with OML's exclusion rules (oml/functional/knn.py): Euclidean
 * distances computed one block of queries at a time — never the whole query × gallery matrix — with the
 * query itself (same dataset item) and gallery items of the query's `sequence` dropped from both the ranking
 * and the ground truth.
 */

export interface Embeddings {
  /** count × dim, row-major. */
  data: Float32Array;
  count: number;
  dim: number;
}

export interface KnnInput {
  queries: Embeddings;
  gallery: Embeddings;
  /** How many items to keep per query (clipped to the gallery size). */
  nItems: number;
  /** Dataset index of each query / gallery item: equal ids are the same item (1-vs-rest), excluded. */
  queryIds?: Int32Array;
  galleryIds?: Int32Array;
  /** Sequence id per item (−1 = none): gallery items sharing the query's sequence are excluded. */
  querySequence?: Int32Array;
  gallerySequence?: Int32Array;
  /** Labels, for the ground truth (gt ids = every non-excluded gallery item with the query's label). */
  queryLabels?: Float64Array | Int32Array;
  galleryLabels?: Float64Array | Int32Array;
  /** Queries per block (OML's BS_KNN is 5000; the default bounds the block to ~64 MB of distances). */
  blockSize?: number;
}

/** Variable-length, sorted retrieval lists in CSR form (offsets into flat arrays). */
export interface RetrievalResults {
  nQueries: number;
  offsets: Int32Array;
  retrieved: Int32Array;
  distances: Float32Array;
  /** Ground truth per query (gallery numbering), when labels were given. */
  gtOffsets: Int32Array | null;
  gtIds: Int32Array | null;
}

export function squaredNorms(e: Embeddings): Float64Array {
  const out = new Float64Array(e.count);
  for (let i = 0; i < e.count; i++) {
    let s = 0;
    const base = i * e.dim;
    for (let j = 0; j < e.dim; j++) s += e.data[base + j]! * e.data[base + j]!;
    out[i] = s;
  }
  return out;
}

/**
 * Squared distances for a block of queries against the whole gallery, via ‖q‖² + ‖g‖² − 2 q·g, four gallery
 * rows per pass so each query value is loaded once per four products.
 */
export function distanceBlock(
  q: Embeddings,
  qStart: number,
  qEnd: number,
  g: Embeddings,
  qNorm: Float64Array,
  gNorm: Float64Array,
  out: Float32Array,
): void {
  const dim = q.dim;
  const ng = g.count;
  const qd = q.data;
  const gd = g.data;
  for (let i = qStart; i < qEnd; i++) {
    const qb = i * dim;
    const row = (i - qStart) * ng;
    let j = 0;
    for (; j + 4 <= ng; j += 4) {
      const g0 = j * dim;
      const g1 = g0 + dim;
      const g2 = g1 + dim;
      const g3 = g2 + dim;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let t = 0; t < dim; t++) {
        const v = qd[qb + t]!;
        s0 += v * gd[g0 + t]!;
        s1 += v * gd[g1 + t]!;
        s2 += v * gd[g2 + t]!;
        s3 += v * gd[g3 + t]!;
      }
      out[row + j] = qNorm[i]! + gNorm[j]! - 2 * s0;
      out[row + j + 1] = qNorm[i]! + gNorm[j + 1]! - 2 * s1;
      out[row + j + 2] = qNorm[i]! + gNorm[j + 2]! - 2 * s2;
      out[row + j + 3] = qNorm[i]! + gNorm[j + 3]! - 2 * s3;
    }
    for (; j < ng; j++) {
      let s = 0;
      const gb = j * dim;
      for (let t = 0; t < dim; t++) s += qd[qb + t]! * gd[gb + t]!;
      out[row + j] = qNorm[i]! + gNorm[j]! - 2 * s;
    }
  }
}

/** Indices of the k smallest values of row[0..n) (ties broken by lower index), sorted ascending. */
export function topKSmallest(row: Float32Array, start: number, n: number, k: number, out: Int32Array): number {
  if (k <= 0) return 0;
  // A max-heap of the best k seen so far; root = worst kept.
  let size = 0;
  const less = (a: number, b: number) => row[start + a]! < row[start + b]! || (row[start + a] === row[start + b] && a < b);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && less(out[m]!, out[l]!)) m = l;
      if (r < size && less(out[m]!, out[r]!)) m = r;
      if (m === i) return;
      const t = out[i]!;
      out[i] = out[m]!;
      out[m] = t;
      i = m;
    }
  };
  for (let j = 0; j < n; j++) {
    const v = row[start + j]!;
    if (v === Infinity) continue;
    if (size < k) {
      out[size] = j;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!less(out[p]!, out[c]!)) break;
        const t = out[p]!;
        out[p] = out[c]!;
        out[c] = t;
        c = p;
      }
    } else if (less(j, out[0]!)) {
      out[0] = j;
      siftDown(0);
    }
  }
  const kept = Array.from(out.subarray(0, size));
  kept.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
  out.set(kept);
  return size;
}

export function batchedKnn(input: KnnInput): RetrievalResults {
  const { queries: q, gallery: g } = input;
  if (q.dim !== g.dim) throw new Error(`Query embeddings are ${q.dim}-d but gallery embeddings are ${g.dim}-d`);
  const ng = g.count;
  const k = Math.min(input.nItems, ng);
  const block = Math.max(1, input.blockSize ?? Math.max(1, Math.floor((16 << 20) / Math.max(ng, 1))));
  const qNorm = squaredNorms(q);
  const gNorm = squaredNorms(g);
  const dist = new Float32Array(Math.min(block, q.count) * ng);
  const top = new Int32Array(Math.max(k, 1));

  const offsets = new Int32Array(q.count + 1);
  const retrieved = new Growable(Int32Array, Math.max(16, q.count * k));
  const distances = new Growable(Float32Array, Math.max(16, q.count * k));
  const withGt = input.queryLabels !== undefined && input.galleryLabels !== undefined;
  const gtOffsets = withGt ? new Int32Array(q.count + 1) : null;
  const gtIds = new Growable(Int32Array);

  for (let start = 0; start < q.count; start += block) {
    const end = Math.min(q.count, start + block);
    distanceBlock(q, start, end, g, qNorm, gNorm, dist);
    for (let i = start; i < end; i++) {
      const row = (i - start) * ng;
      const qid = input.queryIds?.[i];
      const seq = input.querySequence?.[i] ?? -1;
      for (let j = 0; j < ng; j++) {
        const ignored = (qid !== undefined && input.galleryIds?.[j] === qid) || (seq !== -1 && input.gallerySequence?.[j] === seq);
        if (ignored) dist[row + j] = Infinity;
        else if (withGt && input.queryLabels![i] === input.galleryLabels![j]) gtIds.push(j);
      }
      if (gtOffsets) gtOffsets[i + 1] = gtIds.length;
      const n = topKSmallest(dist, row, ng, k, top);
      for (let t = 0; t < n; t++) {
        retrieved.push(top[t]!);
        // Rounding can make ‖q‖²+‖g‖²−2q·g slightly negative for near-identical vectors.
        distances.push(Math.sqrt(Math.max(0, dist[row + top[t]!]!)));
      }
      offsets[i + 1] = retrieved.length;
    }
  }
  return {
    nQueries: q.count,
    offsets,
    retrieved: retrieved.finish(),
    distances: distances.finish(),
    gtOffsets,
    gtIds: gtOffsets ? gtIds.finish() : null,
  };
}
