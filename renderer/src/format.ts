export { duration } from '../../shared/format';

/** The run's headline number: its first OVERALL CMC. */
export function headline(metrics: Record<string, number>): string {
  const key = Object.keys(metrics).find((k) => k.startsWith('OVERALL/cmc/'));
  return key ? `${key.replace('OVERALL/', '')} ${metrics[key]!.toFixed(3)}` : '—';
}

/** Groups metric keys for charts: `OVERALL/cmc/1` → `cmc`, step keys (`loss`) stay themselves. */
export function chartGroup(key: string): string {
  const parts = key.split('/');
  return parts.length === 3 ? `${parts[0]} ${parts[1]}` : key;
}
