/**
 * Near-identical images from raw pixels, without a model or a kNN job: what the wizard checks before it writes a
 * dataset (a re-encoded or resized copy of one image under two labels is a conflict, not a silent choice). Each
 * image is a 16×16 grey thumbnail; candidates share an average hash (8×8, one bit per cell: brighter than the
 * mean) or differ from it in one bit, and a pair is near-identical when its L2-normalised thumbnails lie within
 * `NEAR_IDENTICAL` — the distance raw-pixel embeddings are compared at in the quality report. Linear in the number
 * of images (65 hash probes each), so a folder of a million images is checked in seconds.
 */
import { Clusters } from './clusters';

/** Side of the grey thumbnail every image is reduced to. */
export const THUMB_SIDE = 16;
/** Largest distance between two L2-normalised thumbnails that still counts as the same picture (re-encodes, small resizes). */
export const NEAR_IDENTICAL = 0.05;

/** The 64-bit average hash of a 16×16 thumbnail (2×2 cells averaged), as two 32-bit halves. */
export function averageHash(thumb: Uint8Array): [number, number] {
  const cells = new Float64Array(64);
  for (let y = 0; y < THUMB_SIDE; y++) for (let x = 0; x < THUMB_SIDE; x++) cells[(y >> 1) * 8 + (x >> 1)]! += thumb[y * THUMB_SIDE + x]!;
  let mean = 0;
  for (const c of cells) mean += c / 64;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 32; i++) {
    if (cells[i]! > mean) lo |= 1 << i;
    if (cells[i + 32]! > mean) hi |= 1 << i;
  }
  return [lo >>> 0, hi >>> 0];
}

function unit(thumb: Uint8Array): Float32Array {
  const v = Float32Array.from(thumb);
  let s = 0;
  for (const x of v) s += x * x;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Groups of near-identical images (indices into `thumbs`, ascending), with each group's largest pair distance. */
export function nearIdenticalGroups(
  thumbs: (Uint8Array | null)[],
  maxDistance = NEAR_IDENTICAL,
): { members: number[]; distance: number }[] {
  const buckets = new Map<string, number[]>();
  const hashes: ([number, number] | null)[] = thumbs.map((t) => (t ? averageHash(t) : null));
  hashes.forEach((h, i) => {
    if (!h) return;
    const key = `${h[0]}:${h[1]}`;
    const b = buckets.get(key);
    if (b) b.push(i);
    else buckets.set(key, [i]);
  });
  const units = new Map<number, Float32Array>();
  const unitOf = (i: number) => units.get(i) ?? units.set(i, unit(thumbs[i]!)).get(i)!;
  const clusters = new Clusters(thumbs.length);
  const linked = new Set<number>();
  const worst = new Map<number, number>();
  const tryPair = (i: number, j: number) => {
    const d = distance(unitOf(i), unitOf(j));
    if (d > maxDistance) return;
    clusters.link(i, j);
    linked.add(i).add(j);
    worst.set(i, Math.max(worst.get(i) ?? 0, d));
  };
  hashes.forEach((h, i) => {
    if (!h) return;
    // The same hash (later items only, each pair once), then the 64 hashes one bit away (smaller keys only).
    for (const j of buckets.get(`${h[0]}:${h[1]}`)!) if (j > i) tryPair(i, j);
    for (let bit = 0; bit < 64; bit++) {
      const lo = bit < 32 ? (h[0] ^ (1 << bit)) >>> 0 : h[0];
      const hi = bit >= 32 ? (h[1] ^ (1 << (bit - 32))) >>> 0 : h[1];
      if (lo > h[0] || (lo === h[0] && hi > h[1])) continue;
      for (const j of buckets.get(`${lo}:${hi}`) ?? []) tryPair(i, j);
    }
  });
  return clusters.groups(linked).map((members) => ({ members, distance: Math.max(0, ...members.map((m) => worst.get(m) ?? 0)) }));
}
