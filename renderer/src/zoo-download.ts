import type { ZooEntry } from '../../shared/schemas/zoo';

/**
 * What a model's download is, in words: its size, and — where one npm package holds several catalogue models (both
 * nsfwjs models come in one 25 MB package) — which others the same download brings, so equal sizes do not read as
 * a mistake.
 */
export function downloadText(e: ZooEntry, all: readonly ZooEntry[]): string {
  const size = `${(e.sizeBytes / 1e6).toFixed(1)} MB`;
  if (e.source.kind !== 'npm') return size;
  const { package: pkg, version } = e.source;
  const shared = all.filter((o) => o.key !== e.key && o.source.kind === 'npm' && o.source.package === pkg && o.source.version === version);
  return shared.length ? `${size} — the ${pkg} package, which also holds ${shared.map((o) => o.key).join(', ')}` : size;
}
