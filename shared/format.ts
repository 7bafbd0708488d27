/** "1m 5s": a run's wall time (to now while it runs). Used by the CLI and the UI alike. */
export function duration(start: string | null, end: string | null, now = Date.now()): string {
  if (!start) return '—';
  const s = Math.round(((end ? Date.parse(end) : now) - Date.parse(start)) / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
