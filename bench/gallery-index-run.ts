// One measured run of the gallery indexes on the benchmark's vectors (a child process): the exact GEMM search and
// an HNSW index, each on the same queries. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { startProducts } from '../main/engine/retrieval-products';
import { exactIndex, hnswIndex, loadUsearch } from '../main/retrieval/gallery-index';

const [dir] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(`${dir}/meta.json`, 'utf8')) as { n: number; nq: number; dim: number; k: number };
const f32 = (name: string) => new Float32Array(readFileSync(`${dir}/${name}`).buffer.slice(0));
const gallery = { data: f32('gallery.f32'), count: meta.n, dim: meta.dim };
const queries = { data: f32('queries.f32'), count: meta.nq, dim: meta.dim };

const products = await startProducts();
let t0 = performance.now();
const exact = exactIndex(gallery, products).search(queries, meta.k);
const exactSeconds = (performance.now() - t0) / 1000;

let ann: { build_s: number; search_ms_per_query: number; recall: number } | null = null;
if (loadUsearch()) {
  t0 = performance.now();
  const index = hnswIndex(gallery);
  const build = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const got = index.search(queries, meta.k);
  const search = performance.now() - t0;
  let found = 0;
  for (let i = 0; i < meta.nq; i++) {
    const want = new Set(exact.ids.subarray(exact.offsets[i]!, exact.offsets[i + 1]!));
    for (const j of got.ids.subarray(got.offsets[i]!, got.offsets[i + 1]!)) if (want.has(j)) found++;
  }
  ann = { build_s: build, search_ms_per_query: search / meta.nq, recall: found / (meta.nq * meta.k) };
}
console.log(
  JSON.stringify({ exact_ms_per_query: (exactSeconds * 1000) / meta.nq, exact_top: Array.from(exact.ids.subarray(0, meta.k)), ann }),
);
