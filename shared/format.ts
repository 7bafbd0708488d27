/** "1m 5s": a run's wall time (to now while it runs). Used by the CLI and the UI alike. */
export function duration(start: string | null, end: string | null, now = Date.now()): string {
  if (!start) return '—';
  return formatSeconds(((end ? Date.parse(end) : now) - Date.parse(start)) / 1000);
}

/** When a run started, short: the time alone today, "Dec 7, 14:05" on another day of this year, with the year before. */
export function startedAt(iso: string | null, now = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  const day = d.toLocaleDateString('en', {
    month: 'short',
    day: 'numeric',
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
  return `${day}, ${time}`;
}

/** 75 → "1m 15s"; 4000 → "1h 6m". */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Bytes as people read them, in binary units written as KB, MB, GB (what file managers and `free -h` show). */
export const formatBytes = (b: number): string =>
  b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(0)} MB` : `${(b / 2 ** 10).toFixed(0)} KB`;
