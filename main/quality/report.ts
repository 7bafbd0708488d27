/**
 * Data problems found from a dataset's own embeddings (FiftyOne Brain's ideas, for metric learning), from each row's
 * nearest neighbours among all rows:
 * - near duplicates: pairs closer than a threshold, grouped into clusters; a pair across train and validation is a
 *   leak (validation metrics inflated), a pair across labels a conflict (one image, two identities);
 * - suspected mislabels: rows whose nearest neighbours (near duplicates of themselves left out) mostly carry another
 *   label — the suggested label and the vote as score;
 * - outliers: rows far from every other row of their label, against how far rows usually are from theirs;
 * - label overlap: label pairs whose rows are each other's nearest neighbours far more often than chance (two names
 *   for one identity).
 * Pure: it takes the neighbours, whoever computed them (exact kNN or an HNSW index).
 */
import type { QualityReport } from '../../shared/schemas/quality';
import { Clusters } from './clusters';

/** The k nearest other rows of every row, nearest first: `ids[r·k + j]` (−1 past the end), `dist` likewise. */
export interface Neighbours {
  k: number;
  ids: Int32Array;
  dist: Float32Array;
}

export interface QualityRow {
  /** Spreadsheet row (header = 1), path, label and split as written. */
  row: number;
  path: string;
  label: number;
  split: 'train' | 'validation';
}

export interface QualityOptions {
  /** Pairs closer than this are near duplicates; default from the distance distribution (stated in the report). */
  dupThreshold?: number;
  /** Neighbours that vote on a row's label. */
  votes?: number;
  /** The least share of votes for another label that flags a row. */
  minVote?: number;
  /** An outlier is this many times farther from its label than rows usually are. */
  outlierFactor?: number;
}

export type { NearDuplicate, QualityReport } from '../../shared/schemas/quality';

/** The default threshold: a quarter of the median nearest-neighbour distance (duplicates sit far below it). */
export const DUP_FRACTION = 0.25;

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function qualityReport(rows: QualityRow[], nn: Neighbours, options: QualityOptions = {}): QualityReport {
  const n = rows.length;
  const { k, ids, dist } = nn;
  const votes = Math.min(options.votes ?? 10, k);
  const minVote = options.minVote ?? 0.6;
  const outlierFactor = options.outlierFactor ?? 3;
  const nearest = Array.from({ length: n }, (_, i) => dist[i * k]!).filter((d) => Number.isFinite(d));
  const med = median(nearest);
  const threshold = options.dupThreshold ?? DUP_FRACTION * med;
  const rule =
    options.dupThreshold !== undefined
      ? `given (--dup-threshold ${options.dupThreshold})`
      : `${DUP_FRACTION} × the median nearest-neighbour distance (${med.toPrecision(4)})`;

  // Near duplicates: every neighbour pair under the threshold, clustered.
  const clusters = new Clusters(n);
  const pairMax = new Float64Array(n);
  const dup = new Set<number>();
  const isDupPair = new Set<string>();
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      const o = ids[i * k + j]!;
      const d = dist[i * k + j]!;
      if (o < 0 || !(d <= threshold)) break;
      dup.add(i).add(o);
      isDupPair.add(i < o ? `${i},${o}` : `${o},${i}`);
      clusters.link(i, o);
      pairMax[i] = Math.max(pairMax[i]!, d);
    }
  const near_duplicates = clusters
    .groups(dup)
    .map((members) => {
      members.sort((a, b) => rows[a]!.row - rows[b]!.row);
      return {
        rows: members.map((m) => rows[m]!.row),
        paths: members.map((m) => rows[m]!.path),
        labels: members.map((m) => rows[m]!.label),
        splits: members.map((m) => rows[m]!.split),
        distance: Math.max(...members.map((m) => pairMax[m]!)),
        cross_split: new Set(members.map((m) => rows[m]!.split)).size > 1,
        cross_label: new Set(members.map((m) => rows[m]!.label)).size > 1,
      };
    })
    // Leaks and conflicts first, then the closest.
    .sort((a, b) => Number(b.cross_split || b.cross_label) - Number(a.cross_split || a.cross_label) || a.distance - b.distance);

  // Mislabels: the vote of the nearest neighbours that are not near duplicates of the row.
  const suspected_mislabels: QualityReport['suspected_mislabels'] = [];
  for (let i = 0; i < n; i++) {
    const tally = new Map<number, number>();
    let cast = 0;
    for (let j = 0; j < k && cast < votes; j++) {
      const o = ids[i * k + j]!;
      if (o < 0) break;
      if (isDupPair.has(i < o ? `${i},${o}` : `${o},${i}`)) continue;
      tally.set(rows[o]!.label, (tally.get(rows[o]!.label) ?? 0) + 1);
      cast++;
    }
    if (cast === 0) continue;
    const [top, count] = [...tally].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
    const share = count / cast;
    if (top !== rows[i]!.label && share >= minVote)
      suspected_mislabels.push({ row: rows[i]!.row, path: rows[i]!.path, label: rows[i]!.label, suggested_label: top, score: share });
  }
  suspected_mislabels.sort((a, b) => b.score - a.score || a.row - b.row);

  // Outliers: distance to the nearest same-label row within the k neighbours (beyond them: farther than the k-th),
  // against the median of that distance over all rows.
  const toOwn = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const o = ids[i * k + j]!;
      if (o < 0) break;
      if (rows[o]!.label === rows[i]!.label) {
        d = dist[i * k + j]!;
        break;
      }
    }
    toOwn[i] = Number.isFinite(d) ? d : dist[i * k + k - 1]! * 1.0001;
  }
  const sizes = new Map<number, number>();
  for (const r of rows) sizes.set(r.label, (sizes.get(r.label) ?? 0) + 1);
  const usual = median(Array.from(toOwn).filter((d, i) => Number.isFinite(d) && sizes.get(rows[i]!.label)! > 1));
  const outliers: QualityReport['outliers'] = [];
  for (let i = 0; i < n; i++) {
    if (sizes.get(rows[i]!.label)! < 2 || usual <= 0) continue;
    const score = toOwn[i]! / usual;
    if (score >= outlierFactor) outliers.push({ row: rows[i]!.row, path: rows[i]!.path, label: rows[i]!.label, score });
  }
  outliers.sort((a, b) => b.score - a.score || a.row - b.row);

  // Label overlap: how often a row's nearest neighbour carries the other label, both ways, against chance.
  const cross = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const o = ids[i * k]!;
    if (o < 0) continue;
    const [a, b] = [rows[i]!.label, rows[o]!.label];
    if (a === b) continue;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    cross.set(key, (cross.get(key) ?? 0) + 1);
  }
  const label_overlap: QualityReport['label_overlap'] = [];
  for (const [key, count] of cross) {
    const [a, b] = key.split(',').map(Number) as [number, number];
    const na = sizes.get(a)!;
    const nb = sizes.get(b)!;
    const score = count / (na + nb);
    // Chance: a row's nearest neighbour is one of the other label's rows about nb / n of the time.
    const chance = (na * nb + nb * na) / (n * (na + nb));
    if (score >= 0.3 && score >= 5 * chance && count >= 2) label_overlap.push({ labels: [a, b], score });
  }
  label_overlap.sort((x, y) => y.score - x.score);

  return {
    rows: n,
    neighbours: k,
    dup_threshold: threshold,
    dup_threshold_rule: rule,
    near_duplicates,
    suspected_mislabels,
    outliers,
    label_overlap,
  };
}
