/**
 * `npm run bench`: speed and memory figures, each printed beside a reference run of the same computation made in
 * the same benchmark run (ratios, not absolute timings, are what to compare across machines).
 *   BENCH_N (default 20000)  queries and gallery items for the metrics benchmark
 *   BENCH_ONLY=training|metrics|index|store|convert|map  run one section
 *   BENCH_INDEX_N (default 100,000)  gallery items of the index benchmark (HNSW builds ~1–3k items/s per core)
 *   BENCH_CONVERT_ROWS (default 1,000,000)  rows of the conversion benchmark
 *   BENCH_MAP_N (default 50,000)  points on the explorer's map redraw benchmark (needs chromium)
 */
import os from 'node:os';
import { benchMetrics } from './metrics';
import { benchTraining } from './training';
import { benchStore } from './store';
import { benchConvert } from './convert';
import { benchGalleryIndex } from './gallery-index';
import { benchMapDraw } from './map-draw';

const n = Number(process.env.BENCH_N ?? 20000);
console.log(`Metric Studio benchmarks — ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.versions.node}\n`);
const only = process.env.BENCH_ONLY;
const sections: [string, () => string[]][] = [
  [
    'training',
    // Steps enough for ~3 s of ours, the same on both sides: a 1 s window measured the first steps' warm-up too (the
    // small CNN at 20 steps read 1,020-1,220 img/s where 100 steps read 1,360-1,385; PyTorch's read the same).
    () => [...benchTraining('tiny', 60), ...benchTraining('cnn64', 6), ...benchTraining('mnv2', 24), ...benchTraining('embed', 4)],
  ],
  ['metrics', () => benchMetrics(n, 128, Math.max(10, Math.floor(n / 20)))],
  ['index', () => benchGalleryIndex(Number(process.env.BENCH_INDEX_N ?? 100_000))],
];
const asyncSections: [string, () => Promise<string[]>][] = [
  ['store', () => benchStore(1000, 100)],
  ['convert', () => benchConvert(Number(process.env.BENCH_CONVERT_ROWS ?? 1_000_000))],
  ['map', () => benchMapDraw(Number(process.env.BENCH_MAP_N ?? 50_000))],
];
for (const [name, run] of sections) {
  if (only && only !== name) continue;
  for (const line of run()) console.log(line);
  console.log();
}
for (const [name, run] of asyncSections) {
  if (only && only !== name) continue;
  for (const line of await run()) console.log(line);
  console.log();
}
