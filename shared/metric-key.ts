/**
 * The one home of the metric-key format OML logs: `<group>/<metric>/<k>` with group `OVERALL` or a category
 * name (`OVERALL/cmc/1`, `shoes/map/5`). Step series (`loss`, `lr`, …) are plain keys without slashes.
 */
export const OVERALL = 'OVERALL';

export interface MetricKey {
  group: string;
  metric: string;
  k: string;
}

export function metricKey(metric: string, k: number | string, group: string = OVERALL): string {
  return `${group}/${metric}/${k}`;
}

/** The parts of a validation-metric key, or null for a step series such as `loss`. Categories may contain '/'. */
export function parseMetricKey(key: string): MetricKey | null {
  const last = key.lastIndexOf('/');
  if (last <= 0) return null;
  const mid = key.lastIndexOf('/', last - 1);
  if (mid <= 0) return null;
  return { group: key.slice(0, mid), metric: key.slice(mid + 1, last), k: key.slice(last + 1) };
}

export const isOverallKey = (key: string): boolean => parseMetricKey(key)?.group === OVERALL;

/** `OVERALL/cmc/1` → `cmc/1`; a category key keeps its group; a step key stays itself. */
export function shortMetricKey(key: string): string {
  const p = parseMetricKey(key);
  if (!p) return key;
  return p.group === OVERALL ? `${p.metric}/${p.k}` : key;
}

/** Whether lower values are better: losses and error rates (FNMR) fall, retrieval scores rise. */
export function lowerIsBetter(key: string): boolean {
  const metric = parseMetricKey(key)?.metric ?? key;
  return metric === 'loss' || metric.startsWith('fnmr') || metric.endsWith('loss');
}
