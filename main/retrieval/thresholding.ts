import type { RetrievalResults } from './knn';

function filterLists(rr: RetrievalResults, keep: (q: number, from: number, to: number) => number): RetrievalResults {
  const offsets = new Int32Array(rr.nQueries + 1);
  const retrieved: number[] = [];
  const distances: number[] = [];
  for (let q = 0; q < rr.nQueries; q++) {
    const from = rr.offsets[q]!;
    const n = keep(q, from, rr.offsets[q + 1]!);
    for (let i = from; i < from + n; i++) {
      retrieved.push(rr.retrieved[i]!);
      distances.push(rr.distances[i]!);
    }
    offsets[q + 1] = retrieved.length;
  }
  return { ...rr, offsets, retrieved: Int32Array.from(retrieved), distances: Float32Array.from(distances) };
}

/** OML's ConstantThresholding: keep items with distance strictly below `threshold`. */
export function constantThresholding(rr: RetrievalResults, threshold: number): RetrievalResults {
  return filterLists(rr, (_q, from, to) => {
    let n = 0;
    while (from + n < to && rr.distances[from + n]! < threshold) n++;
    return n;
  });
}

/**
 * OML's AdaptiveThresholding: g = mean of all consecutive distance gaps over every query; each list is cut right
 * before its first gap larger than nStd·g. (OML divides by zero when the first query has < 2 items; here
 * lists shorter than 2 items simply contribute no gaps.)
 */
export function adaptiveThresholding(rr: RetrievalResults, nStd: number): RetrievalResults {
  let sum = 0;
  let count = 0;
  for (let q = 0; q < rr.nQueries; q++) {
    for (let i = rr.offsets[q]! + 1; i < rr.offsets[q + 1]!; i++) {
      sum += rr.distances[i]! - rr.distances[i - 1]!;
      count++;
    }
  }
  if (count === 0) return rr;
  const limit = nStd * (sum / count);
  return filterLists(rr, (_q, from, to) => {
    for (let i = from + 1; i < to; i++) if (rr.distances[i]! - rr.distances[i - 1]! > limit) return i - from;
    return to - from;
  });
}
