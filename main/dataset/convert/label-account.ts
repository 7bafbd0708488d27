// What a conversion did to the source's labels and how many problems of each kind it found — the wizard's answer to
// "why did 147 folders become 63 labels?" and a problem list that a user can filter without losing the count.
import type { ConvertProblem, SourceItem } from './types';

export interface LabelAccount {
  /** Distinct label names in the source. */
  found: number;
  /** Of those, the ones some written row carries. */
  kept: number;
  /** The others, by the problem that took most of their images, most labels first. */
  lost: { code: string; labels: number }[];
}

/**
 * The source's labels against the written ones. A lost label is put down to the problem its images have most often
 * (a lone image: single_instance_label; every copy under two labels: label_conflict…); one with no problem of its own
 * (it was dropped as a whole) counts as "other".
 */
export function labelAccount(
  items: readonly SourceItem[],
  problems: readonly ConvertProblem[],
  keptNames: ReadonlySet<string>,
): LabelAccount {
  const labelOf = new Map(items.map((it) => [it.path, it.labelName]));
  const names = new Set(items.map((it) => it.labelName));
  const codes = new Map<string, Map<string, number>>();
  for (const p of problems) {
    const name = p.path === null ? undefined : labelOf.get(p.path);
    if (name === undefined || keptNames.has(name) || p.code === 'label_lost') continue;
    const mine = codes.get(name) ?? codes.set(name, new Map()).get(name)!;
    mine.set(p.code, (mine.get(p.code) ?? 0) + 1);
  }
  const lost = new Map<string, number>();
  let kept = 0;
  for (const name of names) {
    if (keptNames.has(name)) {
      kept++;
      continue;
    }
    // Map order breaks ties: the problem met first in the source.
    const [code] = [...(codes.get(name) ?? new Map<string, number>())].reduce<[string, number]>(
      (best, c) => (c[1] > best[1] ? c : best),
      ['other', 0],
    );
    lost.set(code, (lost.get(code) ?? 0) + 1);
  }
  return {
    found: names.size,
    kept,
    lost: [...lost].map(([code, labels]) => ({ code, labels })).sort((a, b) => b.labels - a.labels || (a.code < b.code ? -1 : 1)),
  };
}

/**
 * Problems to send to a screen: every kind counted, and at most `perCode` of each listed (in source order), so a
 * filter on one kind shows its own first ones even when another kind has thousands.
 */
export function problemSample(
  problems: readonly ConvertProblem[],
  perCode: number,
): { shown: ConvertProblem[]; counts: { code: string; count: number }[] } {
  const counts = new Map<string, number>();
  const shown: ConvertProblem[] = [];
  for (const p of problems) {
    const n = (counts.get(p.code) ?? 0) + 1;
    counts.set(p.code, n);
    if (n <= perCode) shown.push(p);
  }
  return {
    shown,
    counts: [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1)),
  };
}
