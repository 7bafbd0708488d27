/** "1m 5s" for a run's wall time (to now while it runs). */
export function duration(start: string | null, end: string | null): string {
  if (!start) return '—';
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

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
