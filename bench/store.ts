import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunStore } from '../main/store/runs';

async function time<T>(fn: () => Promise<T>, reps = 5): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  return (performance.now() - t0) / reps;
}

/**
 * Run-store queries behind the Runs pages with `runs` runs × `perRun` metric rows, against the same queries on a
 * copy without the metrics index (the reference run in the same process).
 */
export async function benchStore(runs: number, perRun: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-store-'));
  try {
    const store = await RunStore.open(dir);
    const t0 = performance.now();
    await store.db.transaction(async () => {
      for (let r = 0; r < runs; r++) {
        const { lastID } = await store.db.run(
          `INSERT INTO runs (name, status, created_at, config_yaml) VALUES (?, 'finished', ?, 'seed: 1')`,
          [`run-${r}`, new Date().toISOString()],
        );
        for (let s = 0; s < perRun; s++) {
          await store.db.run('INSERT INTO metrics (run_id, step, epoch, key, value, time) VALUES (?, ?, ?, ?, ?, ?)', [
            lastID,
            s,
            Math.floor(s / 10),
            s % 2 ? 'loss' : 'OVERALL/cmc/1',
            Math.random(),
            s,
          ]);
        }
      }
    });
    const seedMs = performance.now() - t0;
    const mid = Math.floor(runs / 2);
    const measure = async () => ({
      list: await time(() => store.listRuns(), 3),
      detail: await time(() => store.getRun(mid)),
      series: await time(() => store.metricSeries(mid)),
    });
    const indexed = await measure();
    await store.db.exec('DROP INDEX metrics_run_key_step');
    const plain = await measure();
    await store.close();
    return [
      `run store: ${runs} runs × ${perRun} metric rows (${runs * perRun} rows, seeded in ${(seedMs / 1000).toFixed(1)} s)`,
      `  list all runs with last metrics: ${indexed.list.toFixed(0)} ms  (without the index: ${plain.list.toFixed(0)} ms, ${(plain.list / indexed.list).toFixed(1)}× slower)`,
      `  one run's detail:                ${indexed.detail.toFixed(1)} ms  (without: ${plain.detail.toFixed(1)} ms, ${(plain.detail / indexed.detail).toFixed(1)}×)`,
      `  one run's chart series:          ${indexed.series.toFixed(1)} ms  (without: ${plain.series.toFixed(1)} ms, ${(plain.series / indexed.series).toFixed(1)}×)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
