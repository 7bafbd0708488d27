import { type Rng, randInt, sampleWithoutReplacement } from '../../random';

/**
 * OML's smart_sample: n items without repetition when there are enough; otherwise every item once plus the
 * remainder drawn with repetition.
 */
export function smartSample<T>(items: readonly T[], n: number, rng: Rng): T[] {
  if (items.length >= n) return sampleWithoutReplacement(items, n, rng);
  const out = [...items];
  while (out.length < n) out.push(items[randInt(rng, items.length)]!);
  return out;
}

/** numpy.random.choice(items, size, replace=False, p=weights): sequential draws, renormalised after each. */
export function weightedSampleWithoutReplacement<T>(items: readonly T[], weights: readonly number[], n: number, rng: Rng): T[] {
  const pool = items.map((item, i) => ({ item, w: weights[i]! }));
  const out: T[] = [];
  for (let k = 0; k < n; k++) {
    const total = pool.reduce((s, x) => s + x.w, 0);
    let r = rng() * total;
    let idx = pool.findIndex((x) => (r -= x.w) < 0);
    if (idx < 0) idx = pool.length - 1;
    out.push(pool[idx]!.item);
    pool.splice(idx, 1);
  }
  return out;
}

/** Indices of every occurrence of each label, labels in ascending order. */
export function indicesByLabel(labels: ArrayLike<number>): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!map.has(l)) map.set(l, []);
    map.get(l)!.push(i);
  }
  return new Map([...map.entries()].sort((a, b) => a[0] - b[0]));
}
