/**
 * Per-query retrieval metric functions — OML's oml/functional/metrics.py, hence the name (v4 semantics; see
 * docs/METRICS.md) — computed from variable-length retrieval lists, plus NDCG@k which OML lacks (its issue #527).
 *
 * Per query: `correct` = which retrieved items are relevant (in retrieval order), `nGt` = how many relevant
 * items the gallery holds (after exclusions), k' = min(k, retrieved).
 * Corner rules shared by every metric: nothing retrieved and nGt = 0 → 1; nothing retrieved and nGt > 0 → 0.
 */

export type TopK = readonly number[];

export function assertTopK(ks: TopK, name: string): void {
  for (const k of ks) {
    if (!Number.isInteger(k) || k <= 0) throw new Error(`${name} values must be positive integers, got ${k}`);
  }
}

function corner(retrieved: number, nGt: number): number | null {
  if (retrieved > 0) return null;
  return nGt === 0 ? 1 : 0;
}

/** 1 if any of the first k retrieved items is relevant. */
export function cmcAtK(correct: Uint8Array, nGt: number, k: number): number {
  const c = corner(correct.length, nGt);
  if (c !== null) return c;
  const kk = Math.min(k, correct.length);
  for (let i = 0; i < kk; i++) if (correct[i]) return 1;
  return 0;
}

/** Relevant among the first k', divided by min(nGt, k') — OML's denominator; NaN when nGt = 0 (0/0, as OML). */
export function precisionAtK(correct: Uint8Array, nGt: number, k: number): number {
  const c = corner(correct.length, nGt);
  if (c !== null) return c;
  const kk = Math.min(k, correct.length);
  let hits = 0;
  for (let i = 0; i < kk; i++) hits += correct[i]!;
  return hits / Math.min(nGt, kk);
}

/** (1/n_k)·Σ_{i≤k'} (n_i/i)·rel_i with n_k = relevant among the first k' (OML ≥ 3.0); 0 when n_k = 0. */
export function mapAtK(correct: Uint8Array, nGt: number, k: number): number {
  const c = corner(correct.length, nGt);
  if (c !== null) return c;
  const kk = Math.min(k, correct.length);
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < kk; i++) {
    if (correct[i]) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return hits === 0 ? 0 : sum / hits;
}

/**
 * NDCG@k with binary relevance: DCG = Σ_{i≤k'} rel_i / log2(i+1), divided by the ideal DCG of min(nGt, k)
 * relevant items at the top. Same corner rules as CMC (nGt = 0 with a non-empty list → 0).
 */
export function ndcgAtK(correct: Uint8Array, nGt: number, k: number): number {
  const c = corner(correct.length, nGt);
  if (c !== null) return c;
  if (nGt === 0) return 0;
  const kk = Math.min(k, correct.length);
  let dcg = 0;
  for (let i = 0; i < kk; i++) if (correct[i]) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(nGt, k); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/** numpy.quantile with linear interpolation (numpy's default) on a sorted copy. */
export function quantile(values: Float32Array | Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * FNMR@FMR over retrieved pairs (OML's calc_fnmr_at_fmr): threshold T = quantile(negatives, fmr); FNMR = share
 * of positive distances ≥ T. NaN when there are no positives or no negatives.
 */
export function fnmrAtFmr(pos: Float32Array | Float64Array, neg: Float32Array | Float64Array, fmrs: readonly number[]): number[] {
  for (const f of fmrs) if (!(f >= 0 && f <= 1)) throw new Error(`fmr values must be in [0, 1], got ${f}`);
  return fmrs.map((f) => {
    if (pos.length === 0 || neg.length === 0) return Number.NaN;
    const t = quantile(neg, f);
    let n = 0;
    for (let i = 0; i < pos.length; i++) if (pos[i]! >= t) n++;
    return n / pos.length;
  });
}
