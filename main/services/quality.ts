/**
 * A dataset's data-quality report (quality/report.ts) with a model of the user's choice — raw pixels, a zoo model or a
 * run's checkpoint: every row embedded in a worker (stored as an embedding set of its own, reused while the CSV and
 * the model are unchanged), the neighbours and the report computed in another, the report kept in
 * `DATA/quality/` beside the fingerprint of what made it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type DatasetTable, SPLIT_VALIDATION } from '../dataset/table';
import type { EmbedModel } from '../engine/worker-protocol';
import type { DatasetReport } from '../../shared/schemas/dataset';
import type { DatasetChange, QualityResult, RunLeaks } from '../../shared/schemas/quality';
import { inspectDataset } from '../dataset/inspect';
import { versionOf, type WrittenVersion, writeVersion } from '../dataset/versions';
import type { RunStore } from '../store/runs';
import { loadDataset } from './datasets';
import type { QualityOptions } from '../quality/report';
import type { WorkerJobs } from './embedding';
import { type EmbeddingSets, stampOf } from './embedding-sets';
import { embedValidation } from './explorer';

/** Neighbours per row: the vote takes 10 of them, duplicates of the row left out. */
export const QUALITY_NEIGHBOURS = 20;

export type { QualityResult };

export async function datasetQuality(
  deps: { jobs: WorkerJobs; sets: EmbeddingSets | null; dataDir: string },
  t: DatasetTable,
  model: EmbedModel,
  options: QualityOptions = {},
  onProgress?: (done: number, total: number) => void,
): Promise<QualityResult> {
  const stamp = await stampOf(t.file, model);
  const key = createHash('sha256')
    .update(JSON.stringify([stamp, t.root, QUALITY_NEIGHBOURS, options]))
    .digest('hex');
  const file = path.join(deps.dataDir, 'quality', `${key}.json`);
  const kept = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as QualityResult,
    () => null,
  );
  if (kept) return { ...kept, root: t.root, cached: true };
  const all = await embedValidation(deps.jobs, t, model, onProgress, deps.sets, true);
  const label = `Finding duplicates, mislabels and outliers in ${path.basename(t.file)}`;
  const report = await deps.jobs.quality(all.embeddings, { csv: t.file, root: t.root, k: QUALITY_NEIGHBOURS, options }, label);
  const result = { ...report, model: all.name, root: t.root, cached: false };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(result));
  return result;
}

/** Reads what a fix needs: the dataset checker's errors on a new version, as lines that name row and column. */
export async function checkerErrors(file: string, root: string | undefined): Promise<{ errors: string[]; report: DatasetReport }> {
  const { report } = await inspectDataset(file, { root, checkFiles: true });
  const errors = report.problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${path.basename(file)}${p.row ? ` row ${p.row}` : ''}${p.column ? `, ${p.column}` : ''}: ${p.message}`);
  return { errors, report };
}

/**
 * Fixes as the next version beside the dataset (dataset/versions.ts), checked, registered and linked to the file it
 * was made from: Datasets lists the family, and a run on it records its digest.
 */
export async function writeDatasetVersion(
  store: RunStore,
  csv: string,
  root: string | undefined,
  changes: DatasetChange[],
): Promise<WrittenVersion & { report: DatasetReport }> {
  let report: DatasetReport | null = null;
  const made = await writeVersion(csv, changes, async (file) => {
    const checked = await checkerErrors(file, root);
    report = checked.report;
    return checked.errors;
  });
  const checked = report as DatasetReport | null;
  if (!checked) throw new Error(`${made.file}: written but not checked`);
  await store.registerDataset(path.basename(path.dirname(made.file)), made.file, checked.root, checked.summary);
  await store.linkVersion({
    csvPath: made.file,
    root: checked.root,
    parentCsv: path.resolve(csv),
    version: made.version,
    parentVersion: versionOf(csv).version,
    changes: made.changes,
  });
  return { ...made, report: checked };
}

/**
 * A run's leak check: its dataset's near duplicates on raw pixels (the report kept per CSV, so once per file), and
 * those that put a validation row beside a training row.
 */
export async function runLeaks(
  deps: { jobs: WorkerJobs; sets: EmbeddingSets | null; dataDir: string },
  run: { datasetCsv: string | null; datasetRoot: string | null },
): Promise<RunLeaks> {
  const none = (message: string): RunLeaks => ({ checked: false, model: '', clusters: [], leakedRows: 0, validationRows: 0, message });
  if (!run.datasetCsv) return none('The run names no dataset.');
  const t = await loadDataset(run.datasetCsv, run.datasetRoot ?? undefined).catch(() => null);
  if (!t) return none(`${run.datasetCsv} cannot be read any more: leaks not checked.`);
  const report = await datasetQuality(deps, t, { kind: 'raw-pixels' });
  const clusters = report.near_duplicates.filter((d) => d.cross_split);
  const leakedRows = clusters.reduce((n, d) => n + d.splits.filter((s) => s === 'validation').length, 0);
  const validationRows = t.split.reduce((n: number, s) => n + (s === SPLIT_VALIDATION ? 1 : 0), 0);
  const message = clusters.length
    ? `${leakedRows} of ${validationRows} validation rows have near duplicates among the training rows (${report.model}, distance ≤ ${report.dup_threshold.toPrecision(3)}): this run's validation metrics are inflated by them. Fix the dataset from its Quality panel and train on the new version.`
    : `No validation row has a near duplicate among the training rows (${report.model}, distance ≤ ${report.dup_threshold.toPrecision(3)}).`;
  return { checked: true, model: report.model, clusters, leakedRows, validationRows, message };
}
