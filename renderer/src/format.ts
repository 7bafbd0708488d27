import { OVERALL, parseMetricKey, shortMetricKey } from '../../shared/metric-key';

export { duration } from '../../shared/format';

/** The run's headline number: its first OVERALL CMC. */
export function headline(metrics: Record<string, number>): string {
  const key = Object.keys(metrics).find((k) => {
    const p = parseMetricKey(k);
    return p?.group === OVERALL && p.metric === 'cmc';
  });
  return key ? `${shortMetricKey(key)} ${metrics[key]!.toFixed(3)}` : '—';
}

/** Groups metric keys for charts: `OVERALL/cmc/1` → `OVERALL cmc`, step keys (`loss`) stay themselves. */
export function chartGroup(key: string): string {
  const p = parseMetricKey(key);
  return p ? `${p.group} ${p.metric}` : key;
}
