import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../main/random';
import { pythonWith, referenceEnv } from './training';

interface RunResult {
  seconds: number;
  threads?: number;
  maxrss_mb: number;
  cmc: number;
  precision: number;
  map: number;
  numpy?: string;
}

/**
 * Retrieval metrics on N queries × N gallery × dim: Metric Studio (TypeScript, blocked kNN) against a numpy port of
 * OML's computation, both in child processes on the same inputs, in the same benchmark run.
 */
export function benchMetrics(n: number, dim: number, labelsCount: number): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-'));
  try {
    const rng = mulberry32(12345);
    // Label-clustered embeddings: a centre per label plus noise, so metrics are neither 0 nor 1.
    const centres = Float32Array.from({ length: labelsCount * dim }, () => rng() * 2 - 1);
    const make = () => {
      const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * labelsCount));
      const data = new Float32Array(n * dim);
      labels.forEach((l, i) => {
        for (let j = 0; j < dim; j++) data[i * dim + j] = centres[l * dim + j]! + (rng() * 2 - 1) * 1.8;
      });
      return { labels, data };
    };
    const q = make();
    const g = make();
    writeFileSync(path.join(dir, 'queries.f32'), Buffer.from(q.data.buffer));
    writeFileSync(path.join(dir, 'gallery.f32'), Buffer.from(g.data.buffer));
    writeFileSync(path.join(dir, 'query_labels.i32'), Buffer.from(q.labels.buffer));
    writeFileSync(path.join(dir, 'gallery_labels.i32'), Buffer.from(g.labels.buffer));
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n, dim }));
    const block = 1000;
    const args = [dir, '1', '5', '5', String(block)];

    const run = (gemm: 'wasm' | 'none') => {
      const ours = spawnSync(process.execPath, [path.resolve('bin/run-ts.mjs'), 'bench/metrics-run.ts', ...args, gemm], {
        encoding: 'utf8',
      });
      if (ours.status !== 0) throw new Error(ours.stderr);
      return JSON.parse(ours.stdout.trim().split('\n').pop()!) as RunResult;
    };
    const loop = run('none');
    const mine = run('wasm');
    const lines = [`metrics ${n} queries × ${n} gallery × ${dim}-d (cmc@1, precision@5, map@5), query blocks of ${block}`];
    lines.push(`  Metric Studio, TypeScript loop (before): ${loop.seconds.toFixed(2)} s, peak RSS ${loop.maxrss_mb.toFixed(0)} MB`);
    lines.push(
      `  Metric Studio, wasm GEMM candidates + exact rescoring, ${mine.threads} thread(s): ${mine.seconds.toFixed(2)} s, peak RSS ${mine.maxrss_mb.toFixed(0)} MB (${(loop.seconds / mine.seconds).toFixed(1)}× the loop)`,
    );
    const same = loop.cmc === mine.cmc && loop.precision === mine.precision && loop.map === mine.map;
    lines.push(`  the two give ${same ? 'identical' : 'DIFFERENT'} metrics`);

    const python = pythonWith('numpy');
    const py = python
      ? spawnSync(python, ['bench/reference/oml_metrics.py', ...args], { encoding: 'utf8', env: referenceEnv() })
      : { status: 1, stderr: 'no python with numpy', error: undefined, stdout: '' };
    if (py.status !== 0) {
      lines.push(
        `  numpy reference: not run (${(py.stderr || py.error?.message || 'python3 with numpy missing').split('\n').filter(Boolean).pop()})`,
      );
      return lines;
    }
    const ref = JSON.parse(py.stdout.trim()) as RunResult;
    lines.push(
      `  numpy port of OML:          ${ref.seconds.toFixed(2)} s, peak RSS ${ref.maxrss_mb.toFixed(0)} MB (${python}, numpy ${ref.numpy}, ${ref.threads ?? '?'} BLAS thread(s))`,
    );
    lines.push(
      `  ratio (reference time / ours): ${(ref.seconds / mine.seconds).toFixed(2)}×   memory ratio (ours / reference): ${(mine.maxrss_mb / ref.maxrss_mb).toFixed(2)}×`,
    );
    const diff = Math.max(Math.abs(mine.cmc - ref.cmc), Math.abs(mine.precision - ref.precision), Math.abs(mine.map - ref.map));
    lines.push(
      `  values: cmc@1 ${mine.cmc.toFixed(6)} vs ${ref.cmc.toFixed(6)}, precision@5 ${mine.precision.toFixed(6)} vs ${ref.precision.toFixed(6)}, map@5 ${mine.map.toFixed(6)} vs ${ref.map.toFixed(6)} (max |Δ| ${diff.toExponential(2)})`,
    );
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
