// Per-query metrics (the Explorer's worst-first list): their means are the OVERALL metrics evaluate reports, and
// each query's first correct rank is what a brute-force ranking of its distances gives.
import { describe, expect, it } from 'vitest';
import { computeMetrics, DEFAULT_METRIC_ARGS } from '../../main/metrics/embedding-metrics';
import { tableValidationSet } from '../../main/metrics/evaluate-dataset';
import { queryScores, worstFirst } from '../../main/metrics/per-query';
import { readDatasetCsv, validationRows } from '../../main/dataset/table';
import { mulberry32 } from '../../main/random';
import { SAMPLE_CSV } from '../helpers/tmp';

async function sampleSet() {
  const { table } = await readDatasetCsv(SAMPLE_CSV);
  const rows = validationRows(table);
  // Label direction plus noise: some queries find their label at 1, some late, some not in the top k.
  const rng = mulberry32(5);
  const dim = 16;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    for (let j = 0; j < dim; j++) data[i * dim + j] = (rng() - 0.5) * 2.2 + (j === table.label[r]! % dim ? 1 : 0);
  });
  return tableValidationSet(table, rows, { data, count: rows.length, dim });
}

describe('per-query metrics', () => {
  it('average to the OVERALL map@k and cmc@1 of computeMetrics, for several k', async () => {
    const set = await sampleSet();
    for (const k of [1, 5, 10]) {
      const scores = queryScores(set, k);
      const { tree } = computeMetrics(set, { ...DEFAULT_METRIC_ARGS, cmc: [1], map: [k], precision: [], pcf: [] });
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(scores.length).toBe(set.isQuery.reduce((a, b) => a + b, 0));
      expect(mean(scores.map((s) => s.ap))).toBeCloseTo(tree.OVERALL!.map![String(k)]!, 12);
      expect(mean(scores.map((s) => s.cmc1))).toBeCloseTo(tree.OVERALL!.cmc!['1']!, 12);
      if (k > 1) expect(new Set(scores.map((s) => s.ap)).size).toBeGreaterThan(2);
    }
  });

  it('first correct rank is the brute-force rank of the first same-label gallery item (itself excluded)', async () => {
    const set = await sampleSet();
    const k = 10;
    const scores = queryScores(set, k);
    const e = set.embeddings;
    for (const s of scores.slice(0, 60)) {
      const d: [number, number][] = [];
      for (let g = 0; g < e.count; g++) {
        if (!set.isGallery[g] || g === s.item) continue;
        let sum = 0;
        for (let j = 0; j < e.dim; j++) sum += (e.data[s.item * e.dim + j]! - e.data[g * e.dim + j]!) ** 2;
        d.push([sum, g]);
      }
      d.sort((a, b) => a[0] - b[0]);
      const hit = d.findIndex(([, g]) => set.labels[g] === set.labels[s.item]) + 1;
      expect(s.firstCorrect, `query ${s.item}`).toBe(hit >= 1 && hit <= k ? hit : null);
      expect(s.cmc1).toBe(hit === 1 ? 1 : 0);
    }
  });

  it('worst first: AP ascending, then misses at 1, then later first hits', async () => {
    const ordered = worstFirst(queryScores(await sampleSet(), 10));
    for (let i = 1; i < ordered.length; i++) {
      const [a, b] = [ordered[i - 1]!, ordered[i]!];
      expect(a.ap <= b.ap).toBe(true);
      if (a.ap === b.ap) expect(a.cmc1 <= b.cmc1).toBe(true);
    }
    expect(ordered[0]!.ap).toBeLessThan(ordered.at(-1)!.ap);
  });
});
