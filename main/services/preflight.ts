import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainConfig } from '../../shared/schemas/config';
import type { Issue } from '../../shared/issues';
import { OVERALL, parseMetricKey } from '../../shared/metric-key';
import { label2category, trainRows } from '../dataset/labels';
import { formatProblem, ProblemLog } from '../dataset/problems';
import { type DatasetTable, readDatasetCsv, validationRows } from '../dataset/table';
import { validateTable } from '../dataset/validate';
import { checkFiles } from '../dataset/files';
import { checkpointDir } from '../engine/train/checkpoint-dir';
import { computedMetrics, metricArgsOf } from '../metrics/embedding-metrics';
import { createSampler } from '../engine/samplers/create';
import { zooBackbone } from '../zoo/catalog';
import { formatBytes } from '../../shared/format';
import { estimateTrainingMemory } from './memory-estimate';
import { trainPlan } from './train-plan';
import type { TrainPlan } from '../../shared/schemas/train-plan';

/** Past this share of the machine's memory a run would swap or be killed mid-way: refused before it starts. */
const MEMORY_SHARE = 0.8;

type Checked = { table: DatasetTable } | { issue: Issue };
/** Datasets up to this many rows have every image decoded by the pre-flight (Fashion-MNIST's 600-row sample: ~0.2 s). */
const FULL_DECODE_ROWS = 20_000;
/** The form re-checks on every edit: a dataset is read and checked once per file version (path, root, mtime, size). */
const recent = new Map<string, Promise<Checked>>();

function checkedTable(csv: string, root: string | undefined): Promise<Checked> {
  const st = statSync(csv);
  const key = [csv, root ?? '', st.mtimeMs, st.size].join('\u0000');
  let hit = recent.get(key);
  if (!hit) {
    hit = readAndCheck(csv, root);
    recent.set(key, hit);
    if (recent.size > 4) recent.delete(recent.keys().next().value!);
  }
  return hit;
}

async function readAndCheck(csv: string, root: string | undefined): Promise<Checked> {
  const problems = new ProblemLog(5);
  let table: DatasetTable;
  try {
    table = (await readDatasetCsv(csv, { root, problems })).table;
  } catch (e) {
    return { issue: { path: 'dataset', message: (e as Error).message } };
  }
  validateTable(table, problems);
  // Every image the run will read, before the run exists: a folder, a pipe, a BMP, a 0×0 or 50,000-px header is
  // an issue with its row now, not a failed run later. Small datasets are decoded whole (a PNG cut short shows only
  // then); large ones by header, which costs a file read each.
  if (problems.errors === 0) await checkFiles(table, problems, { images: true, decode: table.size <= FULL_DECODE_ROWS });
  if (problems.errors === 0) return { table };
  const first = problems.sorted().filter((p) => p.severity === 'error');
  const lines = first.slice(0, 3).map((p) => formatProblem(path.basename(table.file), p));
  return {
    issue: {
      path: 'dataset',
      message: `${problems.errors} error(s) in the dataset (open it in Datasets or run metric-studio check): ${lines.join('; ')}`,
    },
  };
}

/**
 * What a schema-valid config points at, checked before a run is created — the same check for the Train form, the
 * API and the CLI: the dataset exists and passes the checker, the sampler fits its train labels (built exactly as
 * the run will build it), there is something to validate on, the checkpoint metric is one the config computes,
 * and a zoo backbone is downloaded at the size it needs. Each problem names its config key.
 */
export async function preflight(
  cfg: TrainConfig,
  baseDir: string,
  dataDir?: string,
  machine: { memoryBytes: number } = { memoryBytes: os.totalmem() },
): Promise<Issue[]> {
  return (await preflightWithPlan(cfg, baseDir, dataDir, machine)).issues;
}

/** The pre-flight check and, when the dataset and sampler work, the numbers the config implies (the form shows them). */
export async function preflightWithPlan(
  cfg: TrainConfig,
  baseDir: string,
  dataDir?: string,
  machine: { memoryBytes: number } = { memoryBytes: os.totalmem() },
): Promise<{ issues: Issue[]; plan: TrainPlan | null }> {
  const issues: Issue[] = [];
  let plan: TrainPlan | null = null;
  const csv = path.resolve(baseDir, cfg.dataset);
  if (!existsSync(csv) || !statSync(csv).isFile()) return { issues: [{ path: 'dataset', message: `file not found: ${csv}` }], plan };
  const root = cfg.dataset_root ? path.resolve(baseDir, cfg.dataset_root) : undefined;
  const checked = await checkedTable(csv, root);
  if ('issue' in checked) return { issues: [checked.issue], plan };
  const { table } = checked;

  const train = trainRows(table);
  if (train.rows.length === 0) issues.push({ path: 'dataset', message: 'has no train rows: nothing to train on' });
  else {
    try {
      const sampler = createSampler(
        cfg.sampler,
        train.labels,
        label2category(table, train.rows, (l) => train.mapping.get(l)!),
      );
      plan = trainPlan(cfg, table, sampler, { rows: train.rows.length, labels: train.mapping.size });
      const memory = memoryIssue(cfg, { batch: sampler.batchSize, rows: table.size, classes: train.mapping.size }, machine.memoryBytes);
      if (memory) issues.push(memory);
    } catch (e) {
      issues.push({ path: 'sampler.args', message: `${(e as Error).message} (the train split has ${train.mapping.size} labels)` });
    }
  }
  if (validationRows(table).length === 0)
    issues.push({ path: 'dataset', message: 'has no validation rows: no metric to follow or checkpoint on' });

  const key = parseMetricKey(cfg.metric_for_checkpointing);
  const metrics = computedMetrics(metricArgsOf(cfg.metric_args));
  const ks = key ? metrics.get(key.metric) : undefined;
  const groups = new Set([OVERALL, ...(table.category ?? [])]);
  if (!key || !ks?.includes(key.k) || !groups.has(key.group)) {
    const computed = [...metrics].flatMap(([metric, k]) => k.map((v) => `${OVERALL}/${metric}/${v}`));
    issues.push({
      path: 'metric_for_checkpointing',
      message: `"${cfg.metric_for_checkpointing}" is not a metric this config computes (${computed.join(', ') || 'none'}): no best checkpoint would be kept`,
    });
  }

  // Pretrained weights are read once the run has started: a path that holds no checkpoint is said now.
  if (cfg.extractor.args.weights) {
    const weights = path.resolve(baseDir, cfg.extractor.args.weights);
    if (!checkpointDir(weights))
      issues.push({
        path: 'extractor.args.weights',
        message: `no checkpoint at ${weights} (a folder with model.json, weights.bin and meta.json)`,
      });
  }
  if (cfg.extractor.name === 'zoo' && cfg.extractor.args.model && dataDir) {
    const found = zooBackbone(dataDir, cfg.extractor.args.model, cfg.image_size, cfg.channels);
    if ('issue' in found) issues.push(found.issue);
  }
  return { issues, plan };
}

/** The run's estimated peak against the machine: an issue on the key of its largest part when it cannot fit. */
function memoryIssue(cfg: TrainConfig, sizes: { batch: number; rows: number; classes: number }, memoryBytes: number): Issue | null {
  const parts = estimateTrainingMemory(cfg, sizes).sort((a, b) => b.bytes - a.bytes);
  const total = parts.reduce((s, p) => s + p.bytes, 0);
  if (total <= MEMORY_SHARE * memoryBytes) return null;
  const largest = parts
    .slice(0, 2)
    .map((p) => `${p.what}: ${formatBytes(p.bytes)}`)
    .join(', ');
  return {
    path: parts[0]!.key,
    message: `the run would need about ${formatBytes(total)} (${largest}), more than ${MEMORY_SHARE * 100}% of this machine's ${formatBytes(memoryBytes)}`,
  };
}
