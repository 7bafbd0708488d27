/**
 * One interface for "the k nearest gallery items of these queries", whatever answers it: the exact blocked search
 * (the default, and the metrics' own), an HNSW graph from `usearch` for galleries past a size, or — for galleries
 * beyond one machine — a vector database (docs/ARCHITECTURE.md sketches a Qdrant adapter of this shape).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { batchedKnn, type Embeddings, type ProductsFactory } from './knn';

export type IndexKind = 'exact' | 'hnsw';

/** Positions into the gallery and Euclidean distances, `k` per query (fewer where the gallery is smaller), best first. */
export interface Neighbours {
  offsets: Int32Array;
  ids: Int32Array;
  distances: Float32Array;
}

export interface GalleryIndex {
  readonly kind: IndexKind;
  /** How many gallery items it holds. */
  readonly size: number;
  search(queries: Embeddings, k: number): Neighbours;
  dispose(): void;
}

/** The exact search: every distance computed (on the GEMM when one is given), ties broken by gallery order. */
export function exactIndex(gallery: Embeddings, products?: ProductsFactory): GalleryIndex {
  return {
    kind: 'exact',
    size: gallery.count,
    search(queries, k) {
      const rr = batchedKnn({ queries, gallery, nItems: Math.min(k, gallery.count), products });
      return { offsets: rr.offsets, ids: rr.retrieved, distances: rr.distances };
    },
    dispose() {},
  };
}

export interface HnswOptions {
  /** Edges per node (HNSW's M). */
  connectivity: number;
  /** Candidate list while building (efConstruction) and while searching (ef). */
  expansionAdd: number;
  expansionSearch: number;
  /** 0 = every core. */
  threads: number;
}

/**
 * Measured on 100k random unit vectors in 128-d (the hardest case: no cluster structure), 2 cores, recall@10 over
 * 500 queries: M 16 / ef 64 / ef 1024 builds in 40 s but finds 0.86; M 32 / ef 200 / ef 512 0.94 in 337 s;
 * M 32 / ef 128 / ef 1024 0.989 in 152 s; these, M 32 / ef 64 / ef 1024, 0.979 in 126 s at ~10–18 ms a query
 * (all on one thread: see `threads` below; two halve the build).
 * Connectivity buys recall; a wide search list is cheaper than a wide build list. At 1M random vectors the same
 * settings took 2,170 s to build on two threads and found 0.63 (22 ms a query, exact 36 ms): random 128-d vectors are
 * the worst case, real embeddings cluster.
 */
export const HNSW_DEFAULTS: HnswOptions = { connectivity: 32, expansionAdd: 64, expansionSearch: 1024, threads: 0 };

type UsearchIndex = {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vectors: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
};
type Usearch = { Index: new (dims: number, metric: string, quantization: string, m: number, efa: number, efs: number) => UsearchIndex };

/** usearch, an optional dependency (prebuilt for Linux and macOS): null where it did not install or load. */
export function loadUsearch(): Usearch | null {
  try {
    return createRequire(import.meta.url)('usearch') as Usearch;
  } catch {
    return null;
  }
}

/** An HNSW graph over the gallery (squared L2, float32). Building is the cost: ~1–3k items a second per core here. */
export function hnswIndex(gallery: Embeddings, options: Partial<HnswOptions> = {}): GalleryIndex {
  const usearch = loadUsearch();
  if (!usearch) throw new Error('The approximate index needs the usearch package, which is not installed on this platform');
  const o = { ...HNSW_DEFAULTS, ...options };
  // usearch's own "0 = automatic" built on one thread here (17 s where 2 threads took 9 s), and a search on more
  // threads than the build reserved for throws: name the count for both.
  const threads = o.threads > 0 ? o.threads : availableParallelism();
  const index = new usearch.Index(gallery.dim, 'l2sq', 'f32', o.connectivity, o.expansionAdd, o.expansionSearch);
  if (gallery.count > 0) {
    const keys = BigUint64Array.from({ length: gallery.count }, (_, i) => BigInt(i));
    index.add(keys, gallery.data.subarray(0, gallery.count * gallery.dim), threads);
  }
  return {
    kind: 'hnsw',
    size: gallery.count,
    search(queries, k) {
      const kk = Math.min(k, gallery.count);
      const offsets = new Int32Array(queries.count + 1);
      const ids: number[] = [];
      const distances: number[] = [];
      if (kk > 0 && queries.count > 0) {
        const m = index.search(queries.data.subarray(0, queries.count * queries.dim), kk, threads);
        for (let q = 0; q < queries.count; q++) {
          const found = queries.count === 1 && !m.counts ? kk : Number(m.counts![q]!);
          for (let t = 0; t < Math.min(found, kk); t++) {
            ids.push(Number(m.keys[q * kk + t]!));
            distances.push(Math.sqrt(Math.max(0, m.distances[q * kk + t]!)));
          }
          offsets[q + 1] = ids.length;
        }
      }
      return { offsets, ids: Int32Array.from(ids), distances: Float32Array.from(distances) };
    },
    dispose() {},
  };
}

/** From this many gallery items an HNSW index answers (where usearch loads): below it the exact GEMM search is as fast. */
export const ANN_FROM = 1_000_000;

/** The index a gallery gets: exact below `annFrom` items (or without usearch), HNSW from there on. */
export function galleryIndex(
  gallery: Embeddings,
  opts: { annFrom?: number; products?: ProductsFactory; hnsw?: Partial<HnswOptions> } = {},
): GalleryIndex {
  if (gallery.count >= (opts.annFrom ?? ANN_FROM) && loadUsearch()) return hnswIndex(gallery, opts.hnsw);
  return exactIndex(gallery, opts.products);
}
