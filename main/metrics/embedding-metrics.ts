import { batchedKnn, type Embeddings, type ProductsFactory, type RetrievalResults } from '../retrieval/knn';
import { assertTopK, cmcAtK, fnmrAtFmr, mapAtK, ndcgAtK, precisionAtK } from './functional';
import { pcf } from './pcf';
import { OVERALL, metricKey } from '../../shared/metric-key';
import type { TrainConfig } from '../../shared/schemas/config';

export interface MetricArgs {
  cmc: number[];
  precision: number[];
  map: number[];
  ndcg: number[];
  /** FMR values as fractions (0.01 = 1 %). Needs the full ranking: memory grows with queries × gallery. */
  fmr: number[];
  pcf: number[];
}

export const DEFAULT_METRIC_ARGS: MetricArgs = { cmc: [1, 5], precision: [5], map: [5], ndcg: [], fmr: [], pcf: [0.5] };

/** A config's `metric_args` (OML's names) as the metrics take them. */
export function metricArgsOf(m: TrainConfig['metric_args']): MetricArgs {
  return { cmc: m.cmc_top_k, precision: m.precision_top_k, map: m.map_top_k, ndcg: m.ndcg_top_k, fmr: m.fmr_vals, pcf: m.pcf_variance };
}

/** Each metric's name in the keys it logs (`OVERALL/<name>/<k>`) with the k values these args compute. */
export function computedMetrics(a: MetricArgs): Map<string, string[]> {
  return new Map([
    ['cmc', a.cmc.map(String)],
    ['precision', a.precision.map(String)],
    ['map', a.map.map(String)],
    ['ndcg', a.ndcg.map(String)],
    ['fnmr@fmr', a.fmr.map(String)],
    ['pcf', a.pcf.map(String)],
  ]);
}

/** `{ OVERALL: { cmc: { "1": 0.9 } }, "<category>": {...} }` — OML's nested output. */
export type MetricsTree = Record<string, Record<string, Record<string, number>>>;

/** Flat metric keys (shared/metric-key.ts), as OML logs them. */
export function flattenMetrics(tree: MetricsTree): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cat, metrics] of Object.entries(tree)) {
    for (const [name, byK] of Object.entries(metrics)) for (const [k, v] of Object.entries(byK)) out[metricKey(name, k, cat)] = v;
  }
  return out;
}

export interface ValidationSet {
  embeddings: Embeddings;
  labels: Float64Array | Int32Array;
  isQuery: Uint8Array;
  isGallery: Uint8Array;
  /** −1 = no sequence. */
  sequence?: Int32Array;
  categories?: (string | null)[];
}

function subset(e: Embeddings, ids: Int32Array): Embeddings {
  const data = new Float32Array(ids.length * e.dim);
  ids.forEach((id, i) => {
    data.set(e.data.subarray(id * e.dim, (id + 1) * e.dim), i * e.dim);
  });
  return { data, count: ids.length, dim: e.dim };
}

const pick = <T extends Float64Array | Int32Array>(a: T, ids: Int32Array): T => {
  const out = new (a.constructor as { new (n: number): T })(ids.length);
  ids.forEach((id, i) => {
    out[i] = a[id]!;
  });
  return out;
};

/**
 * Retrieval for a validation set: queries vs galleries, the item itself and its sequence excluded. `products` (a
 * fast GEMM from the engine) changes only the speed, never the result.
 */
/** A validation set's two sides: the query rows and the gallery rows, each with its embeddings. */
export function retrievalSides(set: ValidationSet) {
  const n = set.embeddings.count;
  const queryIds = Int32Array.from({ length: n }, (_, i) => i).filter((i) => set.isQuery[i] === 1);
  const galleryIds = Int32Array.from({ length: n }, (_, i) => i).filter((i) => set.isGallery[i] === 1);
  return { queryIds, galleryIds, queries: subset(set.embeddings, queryIds), gallery: subset(set.embeddings, galleryIds) };
}

export function retrieve(
  set: ValidationSet,
  nItems: number,
  products?: ProductsFactory,
): { rr: RetrievalResults; queryIds: Int32Array; galleryIds: Int32Array } {
  const { queryIds, galleryIds, queries, gallery } = retrievalSides(set);
  const rr = batchedKnn({
    queries,
    gallery,
    nItems,
    queryIds,
    galleryIds,
    querySequence: set.sequence ? pick(set.sequence, queryIds) : undefined,
    gallerySequence: set.sequence ? pick(set.sequence, galleryIds) : undefined,
    queryLabels: pick(set.labels, queryIds),
    galleryLabels: pick(set.labels, galleryIds),
    products,
  });
  return { rr, queryIds, galleryIds };
}

/** Per-query correctness flags and ground-truth counts of a RetrievalResults. */
export function perQuery(rr: RetrievalResults): { correct: Uint8Array[]; nGt: Int32Array } {
  if (!rr.gtOffsets || !rr.gtIds) throw new Error('Retrieval results carry no ground truth (labels missing)');
  const correct: Uint8Array[] = [];
  const nGt = new Int32Array(rr.nQueries);
  for (let q = 0; q < rr.nQueries; q++) {
    const gt = new Set(rr.gtIds.subarray(rr.gtOffsets[q]!, rr.gtOffsets[q + 1]!));
    nGt[q] = gt.size;
    const ids = rr.retrieved.subarray(rr.offsets[q]!, rr.offsets[q + 1]!);
    correct.push(Uint8Array.from(ids, (id) => (gt.has(id) ? 1 : 0)));
  }
  return { correct, nGt };
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * OML's EmbeddingMetrics: per-query metrics averaged over all queries (OVERALL) and over the queries of each
 * category; FNMR@FMR over the retrieved pairs of each group; PCF over all validation items of each group.
 */
export function computeMetrics(
  set: ValidationSet,
  args: MetricArgs,
  products?: ProductsFactory,
): { tree: MetricsTree; rr: RetrievalResults; queryIds: Int32Array } {
  assertTopK(args.cmc, 'cmc');
  assertTopK(args.precision, 'precision');
  assertTopK(args.map, 'map');
  assertTopK(args.ndcg, 'ndcg');
  const nGallery = set.isGallery.reduce((a, b) => a + b, 0);
  const maxK = Math.max(0, ...args.cmc, ...args.precision, ...args.map, ...args.ndcg);
  const nItems = args.fmr.length > 0 ? nGallery : maxK;
  const { rr, queryIds } = retrieve(set, nItems, products);
  const { correct, nGt } = perQuery(rr);

  const groups = new Map<string, number[]>([[OVERALL, []]]);
  queryIds.forEach((id, q) => {
    groups.get(OVERALL)!.push(q);
    const c = set.categories?.[id];
    if (c) {
      if (!groups.has(c)) groups.set(c, []);
      groups.get(c)!.push(q);
    }
  });

  const tree: MetricsTree = {};
  for (const [group, qs] of groups) {
    const m: Record<string, Record<string, number>> = {};
    const perK = (name: string, ks: number[], f: (c: Uint8Array, n: number, k: number) => number) => {
      if (ks.length) m[name] = Object.fromEntries(ks.map((k) => [String(k), mean(qs.map((q) => f(correct[q]!, nGt[q]!, k)))]));
    };
    perK('cmc', args.cmc, cmcAtK);
    perK('precision', args.precision, precisionAtK);
    perK('map', args.map, mapAtK);
    perK('ndcg', args.ndcg, ndcgAtK);
    if (args.fmr.length) {
      const pos: number[] = [];
      const neg: number[] = [];
      for (const q of qs) {
        const d = rr.distances.subarray(rr.offsets[q]!, rr.offsets[q + 1]!);
        d.forEach((v, i) => {
          (correct[q]![i] ? pos : neg).push(v);
        });
      }
      const vals = fnmrAtFmr(Float64Array.from(pos), Float64Array.from(neg), args.fmr);
      m['fnmr@fmr'] = Object.fromEntries(args.fmr.map((f, i) => [String(f), vals[i]!]));
    }
    if (args.pcf.length) {
      const items = group === OVERALL ? null : new Set<number>();
      if (items) {
        set.categories!.forEach((c, i) => {
          if (c === group) items.add(i);
        });
      }
      const ids = items ? Int32Array.from(items) : Int32Array.from({ length: set.embeddings.count }, (_, i) => i);
      const e = subset(set.embeddings, ids);
      const vals = pcf(e.data, e.count, e.dim, args.pcf);
      m.pcf = Object.fromEntries(args.pcf.map((v, i) => [String(v), vals[i]!]));
    }
    tree[group] = m;
  }
  return { tree, rr, queryIds };
}
