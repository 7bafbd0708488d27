/**
 * A dataset's data-quality report (quality/report.ts) with a model of the user's choice — raw pixels, a zoo model or a
 * run's checkpoint: every row embedded in a worker (stored as an embedding set of its own, reused while the CSV and
 * the model are unchanged), the neighbours and the report computed in another, the report kept in
 * `DATA/quality/` beside the fingerprint of what made it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetTable } from '../dataset/table';
import type { EmbedModel } from '../engine/worker-protocol';
import type { QualityOptions, QualityReport } from '../quality/report';
import type { WorkerJobs } from './embedding';
import { type EmbeddingSets, stampOf } from './embedding-sets';
import { embedValidation } from './explorer';

/** Neighbours per row: the vote takes 10 of them, duplicates of the row left out. */
export const QUALITY_NEIGHBOURS = 20;

export interface QualityResult extends QualityReport {
  /** Which model's embeddings the report read. */
  model: string;
  /** Read back from DATA/quality (made before, from the same CSV, model and options). */
  cached: boolean;
}

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
  if (kept) return { ...kept, cached: true };
  const all = await embedValidation(deps.jobs, t, model, onProgress, deps.sets, true);
  const label = `Finding duplicates, mislabels and outliers in ${path.basename(t.file)}`;
  const report = await deps.jobs.quality(all.embeddings, { csv: t.file, root: t.root, k: QUALITY_NEIGHBOURS, options }, label);
  const result = { ...report, model: all.name, cached: false };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(result));
  return result;
}
