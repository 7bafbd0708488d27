// One measured run of Metric Studio's retrieval metrics on the benchmark's inputs (a child process, so its
// peak memory is its own). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { perQuery } from '../main/metrics/embedding-metrics';
import { cmcAtK, mapAtK, precisionAtK } from '../main/metrics/functional';
import { batchedKnn } from '../main/retrieval/knn';
import { startProducts } from '../main/engine/retrieval-products';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const [dir, kc, kp, km, block, gemm = 'wasm'] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(`${dir}/meta.json`, 'utf8')) as { n: number; dim: number };
const f32 = (name: string) => new Float32Array(readFileSync(`${dir}/${name}`).buffer.slice(0));
const i32 = (name: string) => new Int32Array(readFileSync(`${dir}/${name}`).buffer.slice(0));
const q = { data: f32('queries.f32'), count: meta.n, dim: meta.dim };
const g = { data: f32('gallery.f32'), count: meta.n, dim: meta.dim };
const lq = i32('query_labels.i32');
const lg = i32('gallery_labels.i32');

// The backend starts before the clock (as a training worker's has): the figure is the search itself.
const products = gemm === 'wasm' ? await startProducts() : undefined;
const t0 = performance.now();
const k = Math.max(Number(kc), Number(kp), Number(km));
const rr = batchedKnn({ queries: q, gallery: g, nItems: k, queryLabels: lq, galleryLabels: lg, blockSize: Number(block), products });
const { correct, nGt } = perQuery(rr);
let cmc = 0,
  prec = 0,
  map = 0;
for (let i = 0; i < rr.nQueries; i++) {
  cmc += cmcAtK(correct[i]!, nGt[i]!, Number(kc));
  prec += precisionAtK(correct[i]!, nGt[i]!, Number(kp));
  map += mapAtK(correct[i]!, nGt[i]!, Number(km));
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    seconds,
    maxrss_mb: process.resourceUsage().maxRSS / 1024,
    cmc: cmc / rr.nQueries,
    precision: prec / rr.nQueries,
    map: map / rr.nQueries,
    threads: products ? getThreadsCount() : 1,
  }),
);
