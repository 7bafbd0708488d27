import { worthAGemm } from '../../retrieval/knn';
import { computeMetrics, DEFAULT_METRIC_ARGS, type MetricArgs, type MetricsTree } from '../../metrics/embedding-metrics';
import { EmbeddingsError, readPredictions, validationSet } from '../../metrics/evaluate-dataset';
import { type Command, UsageError, out, parse } from '../args';
import type { DatasetTable } from '../../dataset/table';
import { tableValidationSet } from '../../metrics/evaluate-dataset';
import type { ValidationSet } from '../../metrics/embedding-metrics';
import { EmbeddingJobError } from '../../services/embedding';
import { embedValidation } from '../../services/explorer';
import type { EmbedModel } from '../../engine/worker-protocol';
import { cliEmbedModel, DATASET_MODEL_OPTIONS, withEmbeddingSets } from '../models';
import { checkedDataset } from '../datasets';
import { progressLine, withWorkerJobs } from '../progress';

/** The validation rows embedded in a worker process (the explorer's own path), boxes cropped as in training. */
async function embeddedValidationSet(t: DatasetTable, model: EmbedModel, dataDir?: string): Promise<ValidationSet> {
  const progress = progressLine(model.kind === 'raw-pixels' ? 'raw pixels' : 'embedding');
  try {
    const v = await withEmbeddingSets({ 'data-dir': dataDir }, (sets) =>
      withWorkerJobs((jobs) => embedValidation(jobs, t, model, progress.update, sets)),
    );
    return tableValidationSet(t, [...v.rows], v.embeddings);
  } catch (e) {
    throw e instanceof EmbeddingJobError ? new UsageError(e.message, 1) : e;
  } finally {
    progress.end();
  }
}

const usage =
  'metric-studio evaluate --dataset df.csv [--root DIR] (--embeddings predictions.json | --checkpoint DIR | --zoo KEY | --baseline raw-pixels) [--data-dir DIR] [--cmc 1,5] [--precision 5] [--map 5] [--ndcg 5] [--fmr 0.01] [--pcf 0.5] [--json]';

/** A top-k past any gallery is a typo (OML clips k to the gallery, so it would pass unnoticed as "all"). */
const MAX_TOP_K = 1_000_000;

function numbers(flag: string, value: string | undefined, fallback: number[], kind: 'top-k' | 'share' | 'variance'): number[] {
  if (value === undefined) return fallback;
  if (value.trim() === '') return [];
  const xs = value.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} takes comma-separated numbers, got "${value}"`);
  const bad = xs.find((x) =>
    kind === 'top-k' ? !Number.isInteger(x) || x < 1 || x > MAX_TOP_K : !((kind === 'variance' ? x > 0 : x >= 0) && x <= 1),
  );
  if (bad !== undefined)
    throw new UsageError(
      kind === 'top-k'
        ? `--${flag} takes whole numbers from 1 to ${MAX_TOP_K.toLocaleString('en')} (top-k), got ${bad}`
        : `--${flag} takes shares ${kind === 'variance' ? 'above 0, up' : 'from 0'} to 1, got ${bad}`,
    );
  return xs;
}

export function formatMetrics(tree: MetricsTree): string[] {
  const lines: string[] = [];
  for (const [group, metrics] of Object.entries(tree)) {
    const parts = Object.entries(metrics).flatMap(([name, byK]) =>
      Object.entries(byK).map(([k, v]) => `${name}@${k} ${Number.isNaN(v) ? 'NaN' : v.toFixed(4)}`),
    );
    lines.push(`${group.padEnd(12)} ${parts.join('  ')}`);
  }
  return lines;
}

export const evaluate: Command = {
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...DATASET_MODEL_OPTIONS,
        embeddings: { type: 'string' },
        cmc: { type: 'string' },
        precision: { type: 'string' },
        map: { type: 'string' },
        ndcg: { type: 'string' },
        fmr: { type: 'string' },
        pcf: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const sources = [values.embeddings, values.checkpoint, values.zoo, values.baseline].filter(Boolean).length;
    if (!values.dataset || sources !== 1)
      throw new UsageError(`--dataset and one of --embeddings, --checkpoint, --zoo or --baseline are required\nusage: ${usage}`);
    if (values.baseline && values.baseline !== 'raw-pixels')
      throw new UsageError(`--baseline must be raw-pixels, got "${values.baseline}"`);
    const args: MetricArgs = {
      cmc: numbers('cmc', values.cmc, DEFAULT_METRIC_ARGS.cmc, 'top-k'),
      precision: numbers('precision', values.precision, DEFAULT_METRIC_ARGS.precision, 'top-k'),
      map: numbers('map', values.map, DEFAULT_METRIC_ARGS.map, 'top-k'),
      ndcg: numbers('ndcg', values.ndcg, DEFAULT_METRIC_ARGS.ndcg, 'top-k'),
      fmr: numbers('fmr', values.fmr, DEFAULT_METRIC_ARGS.fmr, 'share'),
      pcf: numbers('pcf', values.pcf, DEFAULT_METRIC_ARGS.pcf, 'variance'),
    };
    try {
      const table = await checkedDataset(values.dataset, values.root);
      let set: ValidationSet;
      if (values.embeddings) {
        const predictions = await readPredictions(values.embeddings);
        set = validationSet(table, (p) => predictions.get(p), values.embeddings);
      } else set = await embeddedValidationSet(table, cliEmbedModel(values), values['data-dir']);
      const n = set.embeddings.count;
      // Large searches start a tfjs backend for its GEMM, loaded only then (`serve` shares this module graph).
      const products = worthAGemm(n, n, set.embeddings.dim)
        ? await (await import('../../engine/retrieval-products')).startProducts()
        : undefined;
      const { tree } = computeMetrics(set, args, products);
      if (values.json) out(JSON.stringify(tree, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2));
      else for (const line of formatMetrics(tree)) out(line);
      return 0;
    } catch (e) {
      if (e instanceof EmbeddingsError) throw new UsageError(e.message, 1);
      if (e instanceof Error && /must be (positive integers|in \[)/.test(e.message)) throw new UsageError(e.message);
      throw e;
    }
  },
};
