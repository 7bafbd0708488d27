import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../main/random';
import { HNSW_DEFAULTS } from '../main/retrieval/gallery-index';
import { pythonWith, referenceEnv } from './training';

/**
 * Top-10 search over n random unit vectors in 128-d (no cluster structure: the hardest case for an approximate
 * index): the exact GEMM search and an HNSW index (build time, latency, recall@10 against the exact answer), beside
 * numpy brute force on the same vectors in the same run.
 */
export function benchGalleryIndex(n: number, nq = 1000, dim = 128, k = 10): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-index-'));
  try {
    const rng = mulberry32(777);
    const unit = (count: number) => {
      const data = new Float32Array(count * dim);
      for (let i = 0; i < count; i++) {
        let norm = 0;
        for (let j = 0; j < dim; j++) norm += (data[i * dim + j] = rng() * 2 - 1) ** 2;
        for (let j = 0; j < dim; j++) data[i * dim + j]! /= Math.sqrt(norm);
      }
      return data;
    };
    writeFileSync(path.join(dir, 'gallery.f32'), Buffer.from(unit(n).buffer));
    writeFileSync(path.join(dir, 'queries.f32'), Buffer.from(unit(nq).buffer));
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n, nq, dim, k }));
    const lines = [`gallery search: top-${k} of ${n.toLocaleString('en')} random unit vectors × ${dim}-d, ${nq} queries`];
    const ours = spawnSync(process.execPath, [path.resolve('bin/run-ts.mjs'), 'bench/gallery-index-run.ts', dir], { encoding: 'utf8' });
    if (ours.status !== 0) throw new Error(ours.stderr);
    const mine = JSON.parse(ours.stdout.trim().split('\n').pop()!) as {
      exact_ms_per_query: number;
      exact_top: number[];
      ann: { build_s: number; search_ms_per_query: number; recall: number } | null;
    };
    lines.push(`  exact (wasm GEMM + rescoring): ${mine.exact_ms_per_query.toFixed(3)} ms per query`);
    lines.push(
      mine.ann
        ? `  HNSW (usearch, M ${HNSW_DEFAULTS.connectivity}, ef ${HNSW_DEFAULTS.expansionAdd}/${HNSW_DEFAULTS.expansionSearch}, ${os.availableParallelism()} threads): build ${mine.ann.build_s.toFixed(1)} s, ${mine.ann.search_ms_per_query.toFixed(3)} ms per query, recall@${k} ${mine.ann.recall.toFixed(3)}`
        : '  HNSW: usearch is not installed here',
    );
    const python = pythonWith('numpy');
    const py = python ? spawnSync(python, ['bench/reference/brute_force.py', dir], { encoding: 'utf8', env: referenceEnv() }) : null;
    if (py?.status !== 0) {
      lines.push(`  numpy brute force: not run (${py?.stderr.split('\n').filter(Boolean).pop() ?? 'python3 with numpy missing'})`);
      return lines;
    }
    const ref = JSON.parse(py.stdout.trim()) as { ms_per_query: number; top: number[] };
    lines.push(
      `  numpy brute force: ${ref.ms_per_query.toFixed(3)} ms per query; first query's top-${k} ${ref.top.join() === mine.exact_top.join() ? 'identical' : 'DIFFERENT'}`,
    );
    lines.push(`  ratio (numpy / exact): ${(ref.ms_per_query / mine.exact_ms_per_query).toFixed(2)}×`);
    if (mine.ann) lines.push(`  ratio (numpy / HNSW search): ${(ref.ms_per_query / mine.ann.search_ms_per_query).toFixed(1)}×`);
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
