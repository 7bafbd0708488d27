/**
 * A dataset's leaderboard: raw pixels, every installed zoo model frozen and every run's best checkpoint, measured
 * on the dataset's validation rows with one set of metrics (CMC@1, P@5, mAP@10), best first. Each entry is
 * computed once and kept in the run store, reused while the CSV's and the model's fingerprint match; the
 * embeddings come from the stored embedding sets, or a worker makes them (as `evaluate` and the explorer do).
 */
import path from 'node:path';
import { metricKey } from '../../shared/metric-key';
import type { LeaderboardRow } from '../../shared/schemas/leaderboard';
import { validationRows, type DatasetTable } from '../dataset/table';
import type { EmbedModel } from '../engine/worker-protocol';
import { computeMetrics, flattenMetrics, type MetricArgs } from '../metrics/embedding-metrics';
import { tableValidationSet } from '../metrics/evaluate-dataset';
import type { RunStore } from '../store/runs';
import type { WorkerJobs } from './embedding';
import { type EmbeddingSets, modelKeyOf, stampOf } from './embedding-sets';
import { embedValidation } from './explorer';
import type { ZooService } from './zoo';

export const LEADERBOARD_ARGS: MetricArgs = { cmc: [1], precision: [5], map: [10], ndcg: [], fmr: [], pcf: [] };
const KEYS = { cmc1: metricKey('cmc', 1), p5: metricKey('precision', 5), map10: metricKey('map', 10) } as const;

/** The candidates on a dataset: raw pixels, installed zoo models, runs' best checkpoints trained on it. */
async function candidates(store: RunStore, zoo: ZooService, csvPath: string) {
  const out: { kind: LeaderboardRow['kind']; label: string; model: EmbedModel; runId: number | null }[] = [
    { kind: 'raw-pixels', label: 'raw pixels (28×28 grey)', model: { kind: 'raw-pixels' }, runId: null },
  ];
  for (const e of zoo.list().filter((z) => z.installed))
    out.push({ kind: 'zoo', label: `${e.key} frozen`, model: { kind: 'zoo', key: e.key, dir: zoo.installedDir(e.key) }, runId: null });
  for (const c of await store.bestCheckpointsFor(path.resolve(csvPath)))
    out.push({
      kind: 'run',
      label: `run #${c.runId} ${c.name} (best checkpoint)`,
      model: { kind: 'checkpoint', dir: c.checkpoint },
      runId: c.runId,
    });
  return out;
}

export interface LeaderboardDeps {
  store: RunStore;
  jobs: WorkerJobs;
  sets: EmbeddingSets | null;
  zoo: ZooService;
}

/** Every candidate's row, best CMC@1 first; `onProgress` reports each model as it is measured. */
export async function leaderboard(
  deps: LeaderboardDeps,
  t: DatasetTable,
  onProgress?: (label: string, done: number, total: number) => void,
): Promise<LeaderboardRow[]> {
  const rows: LeaderboardRow[] = [];
  const list = await candidates(deps.store, deps.zoo, t.file);
  for (const [i, c] of list.entries()) {
    onProgress?.(c.label, i, list.length);
    const stamp = await stampOf(t.file, c.model);
    const key = modelKeyOf(c.model);
    let entry = await deps.store.leaderboardEntry(stamp.csvPath, key, stamp.fingerprint);
    const cached = entry !== null;
    if (!entry) {
      const stored = deps.sets ? await deps.sets.find(stamp, validationRows(t)) : null;
      const t0 = performance.now();
      const v = stored ?? (await embedValidation(deps.jobs, t, c.model, undefined, deps.sets));
      const embedSeconds = stored ? null : (performance.now() - t0) / 1000;
      const { tree } = computeMetrics(tableValidationSet(t, [...v.rows], v.embeddings), LEADERBOARD_ARGS);
      const flat = flattenMetrics(tree);
      const run = c.runId === null ? null : await deps.store.getRun(c.runId);
      // A run got there by training: its wall time. A frozen model by embedding the rows (unknown when reused).
      const seconds = run?.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : embedSeconds;
      const metrics = { [KEYS.cmc1]: flat[KEYS.cmc1]!, [KEYS.p5]: flat[KEYS.p5]!, [KEYS.map10]: flat[KEYS.map10]! };
      await deps.store.saveLeaderboardEntry(stamp.csvPath, key, stamp.fingerprint, { label: c.label, metrics, seconds });
      entry = { label: c.label, metrics, seconds, createdAt: new Date().toISOString() };
    }
    rows.push({
      kind: c.kind,
      label: c.label,
      runId: c.runId,
      zoo: c.model.kind === 'zoo' ? c.model.key : null,
      checkpoint: c.model.kind === 'checkpoint' ? c.model.dir : null,
      cmc1: entry.metrics[KEYS.cmc1] ?? Number.NaN,
      p5: entry.metrics[KEYS.p5] ?? Number.NaN,
      map10: entry.metrics[KEYS.map10] ?? Number.NaN,
      seconds: entry.seconds,
      cached,
    });
  }
  onProgress?.('', list.length, list.length);
  return rows.sort((a, b) => b.cmc1 - a.cmc1 || b.map10 - a.map10);
}
