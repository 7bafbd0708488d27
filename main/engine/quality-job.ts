import { readDatasetCsv, SPLIT_TRAIN } from '../dataset/table';
import { type Neighbours, type QualityReport, qualityReport } from '../quality/report';
import { readEmbeddingFile } from '../retrieval/embedding-file';
import { batchedKnn, worthAGemm } from '../retrieval/knn';
import { startProducts } from './retrieval-products';
import type { QualityRequest } from './worker-protocol';

/**
 * The data-quality report of a dataset (the worker's `quality` job): every row's k nearest other rows (the row itself
 * is excluded by its id, so k are asked for) — exact, on the backend's GEMM when the search is large (candidates
 * rescored exactly) — then quality/report.ts.
 */
export async function runQualityJob(r: QualityRequest): Promise<QualityReport> {
  const { table } = await readDatasetCsv(r.csv, { root: r.root });
  const { header, embeddings } = await readEmbeddingFile(r.file);
  if (header.count !== table.size || header.keys.some((key, i) => key !== i))
    throw new Error(`${r.file} does not hold one vector per row of ${r.csv} in order: embed the dataset again`);
  const n = embeddings.count;
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const products = worthAGemm(n, n, embeddings.dim) ? await startProducts() : undefined;
  const found = batchedKnn({ queries: embeddings, gallery: embeddings, nItems: r.k, queryIds: ids, galleryIds: ids, products });
  const k = Math.min(r.k, Math.max(1, n - 1));
  const nn: Neighbours = { k, ids: new Int32Array(n * k).fill(-1), dist: new Float32Array(n * k).fill(Number.POSITIVE_INFINITY) };
  for (let i = 0; i < n; i++) {
    const [from, to] = [found.offsets[i]!, found.offsets[i + 1]!];
    for (let j = 0; j < Math.min(k, to - from); j++) {
      nn.ids[i * k + j] = found.retrieved[from + j]!;
      nn.dist[i * k + j] = found.distances[from + j]!;
    }
  }
  const rows = Array.from({ length: n }, (_, i) => ({
    row: table.rowNumber[i]!,
    path: table.path[i]!,
    label: table.label[i]!,
    split: table.split[i] === SPLIT_TRAIN ? ('train' as const) : ('validation' as const),
  }));
  return qualityReport(rows, nn, r.options);
}
