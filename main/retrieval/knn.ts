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
  /**
   * A fast float32 matrix product (the engine's wasm GEMM, on every core) for the gallery. It only chooses
   * candidates: their distances are recomputed exactly, so the results are bit-identical with and without it.
   */
  products?: ProductsFactory;
}

/** q·g for a block of queries against the whole gallery, approximately (a float32 GEMM in any summation order). */
export interface ApproxProducts {
  /** p[(i − start)·n + j] ≈ q_i · g_j for i in [start, end); the array may be a view, valid until the next call. */
  block(queries: Embeddings, start: number, end: number): Float32Array;
  dispose(): void;
}
export type ProductsFactory = (gallery: Embeddings) => ApproxProducts | null;

/** Whether a search is big enough to repay starting a tfjs backend for its GEMM (~0.2 s; 4e8 multiply-adds take ~0.3 s here). */
export const worthAGemm = (queries: number, gallery: number, dim: number): boolean => queries * gallery * dim >= 4e8;

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

/** ‖q‖² + ‖g‖² − 2 q·g exactly as distanceBlock computes it (same float64 sum order, rounded to float32). */
function exactSquared(q: Embeddings, i: number, g: Embeddings, j: number, qNorm: Float64Array, gNorm: Float64Array): number {
  const dim = q.dim;
  const qb = i * dim;
  const gb = j * dim;
  let s = 0;
  for (let t = 0; t < dim; t++) s += q.data[qb + t]! * g.data[gb + t]!;
  return Math.fround(qNorm[i]! + gNorm[j]! - 2 * s);
}

/**
 * How far an approximate squared distance may lie from the exact one: a float32 dot product of length d is within
 * γ·Σ|q_t g_t| ≤ γ·‖q‖‖g‖ of the true one for any summation order (γ ≈ d·2⁻²⁴; taken 4× with d + 2), and each side
 * is rounded to float32 once more (2⁻²⁴ of a value at most (‖q‖ + ‖g‖)²).
 */
function approxError(dim: number, qLen: number, gMaxLen: number): number {
  const u = 2 ** -24;
  return 4 * (dim + 2) * u * qLen * gMaxLen + 4 * u * (qLen + gMaxLen) ** 2;
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
    // Full heap: j is larger than every kept index, so only a strictly smaller value gets in (the common reject).
    if (size === k && !(v < row[start + out[0]!]!)) continue;
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
    } else {
      out[0] = j;
      siftDown(0);
    }
  }
  const kept = Array.from(out.subarray(0, size));
  kept.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
  out.set(kept);
  return size;
}

/** Item indices per value, ascending (NaN and −1 "none" skipped): who shares a query's id, sequence or label. */
function indexLists(values: ArrayLike<number>, skip?: number): Map<number, number[]> {
  const lists = new Map<number, number[]>();
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    if (Number.isNaN(v) || v === skip) continue;
    let list = lists.get(v);
    if (!list) lists.set(v, (list = []));
    list.push(j);
  }
  return lists;
}

/**
 * A power of two that brings the largest |value| of both sets near 1, or 1 when squared distances already fit
 * float32 comfortably. Embeddings near 1e19 are valid float32 but their squared distances are not (they become
 * Infinity, and every ranking a tie); near 1e-20 they underflow to 0. A power of two scales exactly, so rankings
 * and (scaled back) distances are those of the original vectors.
 */
export function distanceScale(...sets: Embeddings[]): number {
  let maxAbs = 0;
  for (const e of sets)
    for (let i = 0; i < e.data.length; i++) {
      const a = Math.abs(e.data[i]!);
      if (a > maxAbs && a !== Infinity) maxAbs = a;
    }
  if (maxAbs === 0 || (maxAbs < 2 ** 32 && maxAbs > 2 ** -32)) return 1;
  return 2 ** -Math.round(Math.log2(maxAbs));
}

const scaled = (e: Embeddings, s: number): Embeddings => ({ ...e, data: e.data.map((v) => v * s) });

export function batchedKnn(input: KnnInput): RetrievalResults {
  const scale = distanceScale(input.queries, input.gallery);
  if (scale !== 1) {
    const r = batchedKnn({ ...input, queries: scaled(input.queries, scale), gallery: scaled(input.gallery, scale) });
    for (let i = 0; i < r.distances.length; i++) r.distances[i] = r.distances[i]! / scale;
    return r;
  }
  const { queries: q, gallery: g } = input;
  if (q.dim !== g.dim) throw new Error(`Query embeddings are ${q.dim}-d but gallery embeddings are ${g.dim}-d`);
  const ng = g.count;
  const k = Math.min(input.nItems, ng);
  const block = Math.max(1, input.blockSize ?? Math.max(1, Math.floor((16 << 20) / Math.max(ng, 1))));
  const qNorm = squaredNorms(q);
  const gNorm = squaredNorms(g);
  const top = new Int32Array(Math.max(k, 1));
  // Candidates from a fast GEMM pay off while k is a small part of the gallery (FNMR@FMR needs it all: exact).
  const approx = k > 0 && k * 8 <= ng ? (input.products?.(g) ?? null) : null;
  const rescore = approx ? new ExactRescoring(q, g, qNorm, gNorm, k) : null;
  const dist = new Float32Array(approx ? ng : Math.min(block, q.count) * ng);

  const offsets = new Int32Array(q.count + 1);
  const retrieved = new Growable(Int32Array, Math.max(16, q.count * k));
  const distances = new Growable(Float32Array, Math.max(16, q.count * k));
  const withGt = input.queryLabels !== undefined && input.galleryLabels !== undefined;
  const gtOffsets = withGt ? new Int32Array(q.count + 1) : null;
  const gtIds = new Growable(Int32Array);
  const byId = input.queryIds && input.galleryIds ? indexLists(input.galleryIds) : null;
  const bySequence = input.querySequence && input.gallerySequence ? indexLists(input.gallerySequence, -1) : null;
  const byLabel = withGt ? indexLists(input.galleryLabels!) : null;
  const isExcluded = new Uint8Array(ng);

  try {
    for (let start = 0; start < q.count; start += block) {
      const end = Math.min(q.count, start + block);
      const products = approx ? approx.block(q, start, end) : null;
      if (!approx) distanceBlock(q, start, end, g, qNorm, gNorm, dist);
      for (let i = start; i < end; i++) {
        // Excluded: the query's own item and its sequence; looked up, not scanned (a scan is queries × gallery).
        const qid = input.queryIds?.[i];
        const seq = input.querySequence?.[i] ?? -1;
        const excluded = [...((qid !== undefined && byId?.get(qid)) || []), ...((seq !== -1 && bySequence?.get(seq)) || [])];
        for (const j of excluded) isExcluded[j] = 1;
        if (byLabel) for (const j of byLabel.get(input.queryLabels![i]!) ?? []) if (!isExcluded[j]) gtIds.push(j);
        if (gtOffsets) gtOffsets[i + 1] = gtIds.length;

        let n: number;
        let values: Float32Array;
        let row = 0;
        if (products && rescore!.bounded(i)) {
          n = rescore!.topK(i, products, (i - start) * ng, isExcluded, top);
          values = rescore!.values;
        } else {
          // NaN or infinite embeddings void the error bound: such a query's row is scored exactly, as without products.
          if (products) distanceBlock(q, i, i + 1, g, qNorm, gNorm, dist);
          else row = (i - start) * ng;
          for (const j of excluded) dist[row + j] = Infinity;
          n = topKSmallest(dist, row, ng, k, top);
          values = dist;
        }
        for (const j of excluded) isExcluded[j] = 0;
        for (let t = 0; t < n; t++) {
          retrieved.push(top[t]!);
          // Rounding can make ‖q‖²+‖g‖²−2q·g slightly negative for near-identical vectors.
          distances.push(Math.sqrt(Math.max(0, values === dist ? dist[row + top[t]!]! : values[t]!)));
        }
        offsets[i + 1] = retrieved.length;
      }
    }
  } finally {
    approx?.dispose();
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

/**
 * The exact top k of a query from approximate products: the k-th smallest approximate key ‖g‖² − 2 q·g (‖q‖² is
 * the same for the whole row) plus twice the error bound admits a superset of the exact top k; those candidates
 * are rescored as distanceBlock scores them and the k smallest by (exact value, index) kept, so ties break as on
 * the exact path.
 */
class ExactRescoring {
  /** The kept items' exact squared distances, in order (after topK). */
  readonly values: Float32Array;
  private readonly gMaxLen: number;
  private readonly heap: Float64Array;
  private readonly candidates: Int32Array;
  private readonly candidateKeys: Float64Array;

  constructor(
    private readonly q: Embeddings,
    private readonly g: Embeddings,
    private readonly qNorm: Float64Array,
    private readonly gNorm: Float64Array,
    private readonly k: number,
  ) {
    this.values = new Float32Array(k);
    this.heap = new Float64Array(k);
    this.candidates = new Int32Array(g.count);
    this.candidateKeys = new Float64Array(g.count);
    this.gMaxLen = Math.sqrt(gNorm.reduce((a, b) => Math.max(a, b), 0));
  }

  bounded(i: number): boolean {
    return Number.isFinite(this.qNorm[i]!) && Number.isFinite(this.gMaxLen);
  }

  topK(i: number, products: Float32Array, offset: number, isExcluded: Uint8Array, top: Int32Array): number {
    const { gNorm, heap, k, candidates, candidateKeys } = this;
    const ng = this.g.count;
    const margin = 2 * approxError(this.q.dim, Math.sqrt(this.qNorm[i]!), this.gMaxLen);
    // One pass: a max-heap of the k smallest keys so far, and every item within the margin of its current worst.
    // The worst only falls, so what is collected is a superset of the final candidates (typically ~k·ln(n/k)).
    let size = 0;
    let worst = Number.POSITIVE_INFINITY;
    let count = 0;
    for (let j = 0; j < ng; j++) {
      const v = gNorm[j]! - 2 * products[offset + j]!;
      if (v > worst + margin || isExcluded[j]) continue;
      candidates[count] = j;
      candidateKeys[count++] = v;
      if (size < k) {
        let c = size++;
        heap[c] = v;
        while (c > 0) {
          const parent = (c - 1) >> 1;
          if (!(heap[parent]! < heap[c]!)) break;
          [heap[parent], heap[c]] = [heap[c]!, heap[parent]!];
          c = parent;
        }
        if (size === k) worst = heap[0]!;
      } else if (v < worst) {
        heap[0] = v;
        siftDownValues(heap, size, 0);
        worst = heap[0]!;
      }
    }
    if (size === 0) return 0;
    const threshold = heap[0]! + margin;
    const ids: number[] = [];
    for (let c = 0; c < count; c++) if (candidateKeys[c]! <= threshold) ids.push(candidates[c]!);
    const exact = Float32Array.from(ids, (j) => exactSquared(this.q, i, this.g, j, this.qNorm, gNorm));
    const order = Array.from(ids.keys()).sort((a, b) => exact[a]! - exact[b]! || ids[a]! - ids[b]!);
    const kept = Math.min(size, order.length);
    for (let t = 0; t < kept; t++) {
      top[t] = ids[order[t]!]!;
      this.values[t] = exact[order[t]!]!;
    }
    return kept;
  }
}

function siftDownValues(heap: Float64Array, size: number, i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < size && heap[m]! < heap[l]!) m = l;
    if (r < size && heap[m]! < heap[r]!) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}
