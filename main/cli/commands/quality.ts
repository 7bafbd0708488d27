import path from 'node:path';
import { defaultDataDir } from '../../paths';
import type { QualityReport } from '../../quality/report';
import { EmbeddingJobError } from '../../services/embedding';
import { type QualityResult, datasetQuality } from '../../services/quality';
import { type Command, UsageError, out, parse } from '../args';
import { checkedDataset } from '../datasets';
import { cliEmbedModel, DATASET_MODEL_OPTIONS, withEmbeddingSets } from '../models';
import { progressLine, withWorkerJobs } from '../progress';

const usage =
  'metric-studio quality --dataset df.csv [--root DIR] (--baseline raw-pixels | --zoo KEY | --checkpoint DIR) [--dup-threshold D] [--data-dir DIR] [--json]';

/** The report as people read it: counts first, then each kind worst first (at most 20 lines a kind). */
export function qualityLines(r: QualityResult): string[] {
  const lines = [
    `${r.rows} rows embedded with ${r.model}${r.cached ? ' (report stored earlier)' : ''}; ${r.neighbours} neighbours each`,
    `near-duplicate threshold ${r.dup_threshold.toPrecision(4)}: ${r.dup_threshold_rule}`,
    `near duplicates: ${r.near_duplicates.length} cluster(s), ${r.near_duplicates.filter((d) => d.cross_split).length} across train and validation (leaks), ${r.near_duplicates.filter((d) => d.cross_label).length} across labels`,
  ];
  const more = (xs: unknown[]) => (xs.length > 20 ? [`  … ${xs.length - 20} more (--json lists every one)`] : []);
  for (const d of r.near_duplicates.slice(0, 20))
    lines.push(
      `  rows ${d.rows.join(', ')}${d.cross_split ? '  LEAK' : ''}${d.cross_label ? '  LABELS DIFFER' : ''}  labels ${d.labels.join('/')}  distance ${d.distance.toPrecision(3)}  ${d.paths[0]}`,
    );
  lines.push(...more(r.near_duplicates), `suspected mislabels: ${r.suspected_mislabels.length}`);
  for (const m of r.suspected_mislabels.slice(0, 20))
    lines.push(`  row ${m.row}: label ${m.label}, its neighbours say ${m.suggested_label} (${(m.score * 100).toFixed(0)}%)  ${m.path}`);
  lines.push(...more(r.suspected_mislabels), `outliers: ${r.outliers.length}`);
  for (const o of r.outliers.slice(0, 20))
    lines.push(`  row ${o.row}: label ${o.label}, ${o.score.toFixed(1)}× the usual distance to its label  ${o.path}`);
  lines.push(...more(r.outliers), `label pairs that overlap: ${r.label_overlap.length}`);
  for (const l of r.label_overlap.slice(0, 20))
    lines.push(
      `  labels ${l.labels[0]} and ${l.labels[1]}: ${(l.score * 100).toFixed(0)}% of their rows' nearest neighbours carry the other`,
    );
  return lines;
}

export const qualityCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, { ...DATASET_MODEL_OPTIONS, 'dup-threshold': { type: 'string' }, json: { type: 'boolean' } }, usage);
    if (values.help) {
      out(usage);
      return 0;
    }
    const sources = [values.checkpoint, values.zoo, values.baseline].filter(Boolean).length;
    if (!values.dataset || sources !== 1)
      throw new UsageError(`--dataset and one of --checkpoint, --zoo or --baseline are required\nusage: ${usage}`);
    if (values.baseline && values.baseline !== 'raw-pixels')
      throw new UsageError(`--baseline must be raw-pixels, got "${values.baseline}"`);
    const threshold = values['dup-threshold'] === undefined ? undefined : Number(values['dup-threshold']);
    if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0 && threshold <= 4))
      throw new UsageError('--dup-threshold must be a distance from 0 to 4 (embeddings are L2-normalised: at most 2 apart)');
    const table = await checkedDataset(values.dataset, values.root);
    const model = cliEmbedModel(values);
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    const progress = progressLine('quality');
    try {
      const report = await withEmbeddingSets({ 'data-dir': values['data-dir'] }, (sets) =>
        withWorkerJobs((jobs) => datasetQuality({ jobs, sets, dataDir }, table, model, { dupThreshold: threshold }, progress.update)),
      );
      progress.end();
      if (values.json) out(JSON.stringify(report satisfies QualityReport, null, 2));
      else for (const line of qualityLines(report)) out(line);
      return 0;
    } catch (e) {
      throw e instanceof EmbeddingJobError ? new UsageError(e.message, 1) : e;
    } finally {
      progress.end();
    }
  },
};
