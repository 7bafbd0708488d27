import { lowerIsBetter, parseMetricKey, shortMetricKey } from '../../shared/metric-key';
import type { RunSummary } from '../../shared/schemas/run';

export { duration, formatSeconds, startedAt } from '../../shared/format';

/** A row's label as people read it: its name and id where the dataset has names ("Dress (3)"), else "label 3". */
export function labelText(r: { label: number; labelName: string | null }): string {
  return r.labelName ? `${r.labelName} (${r.label})` : `label ${r.label}`;
}

/** The Runs table's "Best": the best checkpoint's metric by the run's own checkpoint metric and mode. */
export function bestLabel(r: Pick<RunSummary, 'best'>): string {
  return r.best ? `${shortMetricKey(r.best.key)} ${r.best.value.toFixed(3)}` : '—';
}

/**
 * What training did to the checkpoint metric, against the untrained network: 'better', 'worse' (or level: training
 * bought nothing), or null where there is no best checkpoint or no untrained value to compare with.
 */
export function trainingVerdict(best: RunSummary['best']): 'better' | 'worse' | null {
  if (!best || best.untrained === null) return null;
  const gain = lowerIsBetter(best.key) ? best.untrained - best.value : best.value - best.untrained;
  return gain > 0 ? 'better' : 'worse';
}

/** A sort key where larger is better whatever the metric's direction (lower-is-better metrics are negated). */
export function bestRank(r: Pick<RunSummary, 'best'>): number {
  if (!r.best) return Number.NEGATIVE_INFINITY;
  return lowerIsBetter(r.best.key) ? -r.best.value : r.best.value;
}

/** Groups metric keys for charts: `OVERALL/cmc/1` → `OVERALL cmc`, step keys (`loss`) stay themselves. */
export function chartGroup(key: string): string {
  const p = parseMetricKey(key);
  return p ? `${p.group} ${p.metric}` : key;
}

/** Which of several runs' values of a metric is best, by the metric's direction (lower for loss and FNMR); null if none. */
export function bestIndex(key: string, values: readonly (number | null)[]): number | null {
  let best: number | null = null;
  const lower = lowerIsBetter(key);
  values.forEach((v, i) => {
    if (v === null) return;
    const b = best === null ? null : values[best]!;
    if (b === null || (lower ? v < b : v > b)) best = i;
  });
  return best;
}
