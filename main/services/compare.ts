import YAML from 'yaml';
import type { RunDetail } from '../../shared/schemas/run';
import { isOverallKey } from '../../shared/metric-key';

/** `{a: {b: 1}}` → `{ "a.b": "1" }`; arrays and scalars are leaves, written compactly. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

export interface Comparison {
  ids: number[];
  /** Only the config keys whose values differ between the runs (null = absent in that run). */
  configDiff: { key: string; values: (string | null)[] }[];
  /** Final value of every OVERALL metric any of the runs logged. */
  metrics: { key: string; values: (number | null)[] }[];
}

export function compareRuns(runs: RunDetail[]): Comparison {
  const configs = runs.map((r) => {
    try {
      return flattenConfig(YAML.parse(r.configYaml) ?? {});
    } catch {
      return {};
    }
  });
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))].sort();
  const configDiff = keys.map((key) => ({ key, values: configs.map((c) => c[key] ?? null) })).filter((row) => new Set(row.values).size > 1);
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.lastMetrics).filter(isOverallKey)))].sort();
  const metrics = metricKeys.map((key) => ({ key, values: runs.map((r) => r.lastMetrics[key] ?? null) }));
  return { ids: runs.map((r) => r.id), configDiff, metrics };
}
