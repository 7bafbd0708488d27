import { describe, expect, it } from 'vitest';
import { cmcAtK, fnmrAtFmr, mapAtK, ndcgAtK, precisionAtK, quantile } from '../../main/metrics/functional';
import {
  computedMetrics,
  computeMetrics,
  flattenMetrics,
  metricArgsOf,
  perQuery,
  type MetricArgs,
} from '../../main/metrics/embedding-metrics';
import { mulberry32 } from '../../main/random';
import { pcf, symmetricEigenvalues } from '../../main/metrics/pcf';
import { adaptiveThresholding, constantThresholding } from '../../main/retrieval/thresholding';
import type { RetrievalResults } from '../../main/retrieval/knn';

const c = (bits: string) => Uint8Array.from(bits, (b) => (b === 'V' || b === '1' ? 1 : 0));
const NONE: MetricArgs = { cmc: [], precision: [], map: [], ndcg: [], fmr: [], pcf: [] };

describe('per-query metrics (OML definitions)', () => {
  it('CMC: any relevant item in the top k (docstring example)', () => {
    const rows = ['10', '01', '00'];
    expect(rows.map((r) => cmcAtK(c(r), 2, 1))).toEqual([1, 0, 0]);
    expect(rows.map((r) => cmcAtK(c(r), 2, 2))).toEqual([1, 1, 0]);
  });

  it('precision divides by min(n_gt, k) (docstring example and the n < k case)', () => {
    const rows = ['10', '01', '00'];
    const nGt = [2, 3, 5];
    expect(rows.map((r, i) => precisionAtK(c(r), nGt[i]!, 1))).toEqual([1, 0, 0]);
    expect(rows.map((r, i) => precisionAtK(c(r), nGt[i]!, 2))).toEqual([0.5, 0.5, 0]);
    // n = 3, g = [1,1,1,0,0]: an ideal model keeps precision 1 at every k.
    expect([1, 2, 3, 4, 5].map((k) => precisionAtK(c('11100'), 3, k))).toEqual([1, 1, 1, 1, 1]);
  });

  it('mAP divides by the relevant items found in the top k (OML issue #304: XXXVX at k=4 is 0.25)', () => {
    expect(mapAtK(c('XXXVX'), 3, 4)).toBe(0.25);
    expect(mapAtK(c('VXVX'), 2, 4)).toBeCloseTo((1 / 1 + 2 / 3) / 2, 12);
    expect(mapAtK(c('XXXX'), 2, 4)).toBe(0);
  });

  it('k beyond the retrieved list is clipped to its length', () => {
    expect(precisionAtK(c('VX'), 5, 10)).toBe(0.5);
    expect(cmcAtK(c('XV'), 1, 100)).toBe(1);
  });

  it('corner rules: empty retrieval scores 1 without ground truth and 0 with it', () => {
    for (const f of [cmcAtK, precisionAtK, mapAtK, ndcgAtK]) {
      expect(f(c(''), 0, 5)).toBe(1);
      expect(f(c(''), 3, 5)).toBe(0);
    }
    // Non-empty retrieval without ground truth: precision is OML's 0/0.
    expect(precisionAtK(c('XX'), 0, 2)).toBeNaN();
    expect(cmcAtK(c('XX'), 0, 2)).toBe(0);
  });

  it('NDCG@k with binary relevance', () => {
    expect(ndcgAtK(c('VVX'), 2, 3)).toBe(1);
    expect(ndcgAtK(c('XV'), 1, 2)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAtK(c('XVV'), 3, 3)).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)), 12);
  });

  it('FNMR@FMR: docstring example (10 % of negatives below 3 → FNMR 0.4)', () => {
    const pos = Float64Array.from([0, 0, 1, 1, 2, 2, 5, 5, 9, 9]);
    const neg = Float64Array.from([3, 3, 4, 4, 6, 6, 7, 7, 8, 8]);
    expect(fnmrAtFmr(pos, neg, [0.1])).toEqual([0.4]);
    expect(fnmrAtFmr(pos, neg, [0.5])[0]).toBeCloseTo(0.2, 12);
    expect(fnmrAtFmr(pos, new Float64Array(), [0.1])[0]).toBeNaN();
  });

  it('quantile interpolates linearly like numpy', () => {
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2.5);
    expect(quantile(Float64Array.from([4, 1, 3, 2]), 0.1)).toBeCloseTo(1.3, 12);
  });
});

/** 1-d embeddings make distances easy to read: |a − b|. */
function set1d(values: number[], labels: number[], q: number[], g: number[], extra: { sequence?: number[]; categories?: string[] } = {}) {
  return {
    embeddings: { data: Float32Array.from(values), count: values.length, dim: 1 },
    labels: Float64Array.from(labels),
    isQuery: Uint8Array.from(q),
    isGallery: Uint8Array.from(g),
    sequence: extra.sequence ? Int32Array.from(extra.sequence) : undefined,
    categories: extra.categories,
  };
}

describe('computeMetrics on a validation set', () => {
  it('excludes the query itself in 1-vs-rest', () => {
    // Three items of label 0 at 0, 1, 2 and one of label 1 at 10; every item is query and gallery.
    const set = set1d([0, 1, 2, 10], [0, 0, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1]);
    const { tree } = computeMetrics(set, { ...NONE, cmc: [1], precision: [2] });
    // Label-1 query has no other relevant item: cmc 0 and precision 0/0 = NaN (OML propagates it).
    expect(tree.OVERALL!.cmc!['1']).toBe(0.75);
    expect(tree.OVERALL!.precision!['2']).toBeNaN();
  });

  it('sequence exclusion reproduces OML’s tiger-burst example: CMC@1 1 → 0, precision@2 0.5 → 0.5', () => {
    // query Q (label A, burst s1); G1 same burst at d=1; G2 label B at d=2; G3, G4 label A at d=3, 4.
    const values = [0, 1, 2, 3, 4];
    const labels = [0, 0, 1, 0, 0];
    const q = [1, 0, 0, 0, 0];
    const g = [0, 1, 1, 1, 1];
    const args = { ...NONE, cmc: [1], precision: [2] };
    const plain = computeMetrics(set1d(values, labels, q, g), args).tree.OVERALL!;
    expect([plain.cmc!['1'], plain.precision!['2']]).toEqual([1, 0.5]);
    const seq = computeMetrics(set1d(values, labels, q, g, { sequence: [1, 1, 2, 3, 4] }), args).tree.OVERALL!;
    expect([seq.cmc!['1'], seq.precision!['2']]).toEqual([0, 0.5]);
  });

  it('reports OVERALL as the mean over queries and each category over its own queries', () => {
    const set = set1d([0, 0.1, 5, 5.1, 9, 20], [0, 0, 1, 1, 2, 2], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], {
      categories: ['a', 'a', 'a', 'a', 'b', 'b'],
    });
    const { tree } = computeMetrics(set, { ...NONE, cmc: [1] });
    expect(tree.a!.cmc!['1']).toBe(1);
    // 9's nearest item is 5.1 (label 1): a miss; 20's nearest is 9: a hit.
    expect(tree.b!.cmc!['1']).toBe(0.5);
    expect(tree.OVERALL!.cmc!['1']).toBeCloseTo(5 / 6, 12);
    expect(flattenMetrics(tree)['b/cmc/1']).toBe(0.5);
  });

  it('FNMR@FMR uses every query–gallery pair, not only the top-k', () => {
    // Queries 0 (label 0) and 10 (label 1); gallery 1, 2 (label 0), 11, 30 (label 1).
    // Positive distances 1, 2 | 1, 20; negative 11, 30 | 9, 8 → numpy quantiles of [8, 9, 11, 30].
    const set = set1d([0, 10, 1, 2, 11, 30], [0, 1, 0, 0, 1, 1], [1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1]);
    const fnmr = computeMetrics(set, { ...NONE, cmc: [1], fmr: [0, 0.5, 0.9, 1] }).tree.OVERALL!['fnmr@fmr']!;
    // thresholds 8, 10, 0.7·30 + 0.3·11 = 24.3, 30 → positives at or above: 20 | 20 | none | none
    expect(fnmr).toEqual({ '0': 0.25, '0.5': 0.25, '0.9': 0, '1': 0 });
    // The same pairs straight into the function: equal (the metric sees all four negatives though k = 1).
    expect(fnmrAtFmr(Float64Array.from([1, 2, 1, 20]), Float64Array.from([11, 30, 9, 8]), [0, 0.5, 0.9, 1])).toEqual([0.25, 0.25, 0, 0]);
  });

  it('FNMR@FMR is NaN without positive pairs', () => {
    const set = set1d([0, 1, 3, 6], [0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1]);
    // queries 0,1 vs gallery 3,6 (label 1): queries are label 0 → no positives at all.
    expect(computeMetrics(set, { ...NONE, fmr: [0.1] }).tree.OVERALL!['fnmr@fmr']!['0.1']).toBeNaN();
  });
});

describe('PCF', () => {
  it('finds the eigenvalues of a symmetric matrix', () => {
    const m = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const eig = Array.from(symmetricEigenvalues(m, 3)).sort((a, b) => a - b);
    // Characteristic polynomial roots of [[4,1,0],[1,3,1],[0,1,2]]: 3 and 3 ± √3.
    expect(eig[0]).toBeCloseTo(3 - Math.sqrt(3), 10);
    expect(eig[1]).toBeCloseTo(3, 10);
    expect(eig[2]).toBeCloseTo(3 + Math.sqrt(3), 10);
  });

  it('finds the eigenvalues of random symmetric matrices of every size as a Jacobi reference does', () => {
    // Cyclic Jacobi rotations: slow and simple, independent of the Householder + QL solver under test.
    const jacobi = (m: Float64Array, n: number) => {
      const a = Float64Array.from(m);
      for (let sweep = 0; sweep < 100; sweep++) {
        let off = 0;
        for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
        if (off < 1e-24) break;
        for (let p = 0; p < n; p++)
          for (let q = p + 1; q < n; q++) {
            const apq = a[p * n + q]!;
            if (Math.abs(apq) < 1e-300) continue;
            const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
            const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
            const c = 1 / Math.sqrt(t * t + 1);
            const s = t * c;
            for (let k = 0; k < n; k++) {
              const akp = a[k * n + p]!;
              const akq = a[k * n + q]!;
              a[k * n + p] = c * akp - s * akq;
              a[k * n + q] = s * akp + c * akq;
            }
            for (let k = 0; k < n; k++) {
              const apk = a[p * n + k]!;
              const aqk = a[q * n + k]!;
              a[p * n + k] = c * apk - s * aqk;
              a[q * n + k] = s * apk + c * aqk;
            }
          }
      }
      return Array.from({ length: n }, (_, i) => a[i * n + i]!).sort((x, y) => x - y);
    };
    const r = mulberry32(5);
    for (const n of [1, 2, 3, 5, 8, 12]) {
      const m = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = r() * 4 - 2;
      const got = Array.from(symmetricEigenvalues(m, n)).sort((x, y) => x - y);
      const want = jacobi(m, n);
      for (let i = 0; i < n; i++) expect(got[i], `n=${n} λ${i}`).toBeCloseTo(want[i]!, 9);
    }
    // Rows already reduced (zeros left of the diagonal) and a diagonal matrix take the solver's shortcuts.
    const blocky = Float64Array.from([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, -1]);
    expect(Array.from(symmetricEigenvalues(blocky, 4)).sort((x, y) => x - y)).toEqual(jacobi(blocky, 4).map((x) => expect.closeTo(x, 12)));
    expect(Array.from(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, -2, 0, 0, 0, 7]), 3)).sort((x, y) => x - y)).toEqual([-2, 3, 7]);
  });

  it('refuses variance shares outside (0, 1]; NaN for fewer than two items or no spread', () => {
    for (const v of [0, -0.5, 1.5, Number.NaN])
      expect(() => pcf(new Float32Array(4), 2, 2, [v])).toThrow('pcf variance values must be in (0, 1]');
    expect(pcf(Float32Array.from([1, 2]), 1, 2, [0.5])).toEqual([Number.NaN]);
    expect(pcf(Float32Array.from([1, 2, 1, 2, 1, 2]), 3, 2, [0.5, 1])).toEqual([Number.NaN, Number.NaN]);
    // Two equal directions, cumulative shares [0.5, 1]: searchsorted(…, "right") + 1 → 0.49 needs one, 0.5 two.
    const square = Float32Array.from([1, 0, -1, 0, 0, 1, 0, -1]);
    expect(pcf(square, 4, 2, [0.49, 0.5, 1])).toEqual([0.5, 1, 1]);
  });

  it('is 1/dim for embeddings that vary along one direction and grows with spread', () => {
    const dim = 8;
    const line = new Float32Array(100 * dim);
    for (let i = 0; i < 100; i++) for (let j = 0; j < dim; j++) line[i * dim + j] = i * (j + 1);
    expect(pcf(line, 100, dim, [0.5, 0.99])).toEqual([1 / dim, 1 / dim]);
    // Variances 8:4:2:1 on four axes: 8/15 > 0.5 → one component; 0.9 needs three (14/15 ≥ 0.9).
    const data = new Float32Array(4 * 2 * dim);
    const scales = [Math.sqrt(8), 2, Math.sqrt(2), 1];
    scales.forEach((s, axis) => {
      data[2 * axis * dim + axis] = s;
      data[(2 * axis + 1) * dim + axis] = -s;
    });
    expect(pcf(data, 8, dim, [0.5, 0.9])).toEqual([1 / dim, 3 / dim]);
  });
});

describe('thresholding', () => {
  const rr: RetrievalResults = {
    nQueries: 2,
    offsets: Int32Array.from([0, 4, 6]),
    retrieved: Int32Array.from([0, 1, 2, 3, 4, 5]),
    distances: Float32Array.from([0.1, 0.2, 0.3, 2.0, 0.5, 0.6]),
    gtOffsets: null,
    gtIds: null,
  };
  it('constant: keeps distances strictly below the threshold', () => {
    const out = constantThresholding(rr, 0.5);
    expect(Array.from(out.offsets)).toEqual([0, 3, 3]);
  });
  it('adaptive: cuts before the first gap above n_std × mean gap', () => {
    // gaps 0.1, 0.1, 1.7 and 0.1 → mean 0.5; limit 1 × 0.5 cuts query 0 before 2.0.
    const out = adaptiveThresholding(rr, 1);
    expect(Array.from(out.offsets)).toEqual([0, 3, 5]);
    expect(Array.from(out.retrieved)).toEqual([0, 1, 2, 4, 5]);
  });
});

describe('computeMetrics against a brute-force evaluation', () => {
  it('per query, per category and overall, with queries and galleries interleaved, self and sequence excluded', () => {
    const r = mulberry32(17);
    const n = 40;
    const dim = 3;
    const data = Float32Array.from({ length: n * dim }, () => r());
    const labels = Float64Array.from({ length: n }, () => Math.floor(r() * 5));
    const isQuery = Uint8Array.from({ length: n }, () => (r() < 0.6 ? 1 : 0));
    const isGallery = Uint8Array.from({ length: n }, (_, i) => (isQuery[i] && r() < 0.5 ? 1 : r() < 0.8 ? 1 : 0));
    const sequence = Int32Array.from({ length: n }, () => (r() < 0.3 ? Math.floor(r() * 3) : -1));
    const categories = Array.from({ length: n }, (_, i) => ['a', 'b', null][labels[i]! % 3]!);
    const args: MetricArgs = { cmc: [1, 3], precision: [2, 5], map: [4], ndcg: [3], fmr: [], pcf: [0.6] };
    const { tree } = computeMetrics({ embeddings: { data, count: n, dim }, labels, isQuery, isGallery, sequence, categories }, args);

    const dist = (i: number, j: number) => Math.hypot(...Array.from({ length: dim }, (_, t) => data[i * dim + t]! - data[j * dim + t]!));
    const perQueryValues = new Map<number, Record<string, number>>();
    for (let q = 0; q < n; q++) {
      if (!isQuery[q]) continue;
      const excluded = (g: number) => g === q || (sequence[q] !== -1 && sequence[g] === sequence[q]);
      const gallery = [...Array(n).keys()].filter((g) => isGallery[g] && !excluded(g)).sort((x, y) => dist(q, x) - dist(q, y));
      const nGt = gallery.filter((g) => labels[g] === labels[q]).length;
      const top = (k: number) => Uint8Array.from(gallery.slice(0, k), (g) => (labels[g] === labels[q] ? 1 : 0));
      perQueryValues.set(q, {
        'cmc/1': cmcAtK(top(1), nGt, 1),
        'cmc/3': cmcAtK(top(3), nGt, 3),
        'precision/2': precisionAtK(top(2), nGt, 2),
        'precision/5': precisionAtK(top(5), nGt, 5),
        'map/4': mapAtK(top(4), nGt, 4),
        'ndcg/3': ndcgAtK(top(3), nGt, 3),
      });
    }
    const groups: [string, number[]][] = [
      ['OVERALL', [...perQueryValues.keys()]],
      ['a', [...perQueryValues.keys()].filter((q) => categories[q] === 'a')],
      ['b', [...perQueryValues.keys()].filter((q) => categories[q] === 'b')],
    ];
    expect(Object.keys(tree).sort()).toEqual(['OVERALL', 'a', 'b']);
    for (const [group, qs] of groups) {
      expect(qs.length, group).toBeGreaterThan(3);
      for (const key of Object.keys(perQueryValues.values().next().value!)) {
        const [name, k] = key.split('/');
        const values = qs.map((q) => perQueryValues.get(q)![key]!);
        const want = values.reduce((s, v) => s + v, 0) / values.length;
        if (Number.isNaN(want)) expect(tree[group]![name!]![k!], `${group}/${key}`).toBeNaN();
        else expect(tree[group]![name!]![k!], `${group}/${key}`).toBeCloseTo(want, 6);
      }
      // PCF over the group's items (every validation item for OVERALL, the category's for a category).
      const items = group === 'OVERALL' ? [...Array(n).keys()] : [...Array(n).keys()].filter((i) => categories[i] === group);
      const sub = Float32Array.from(items.flatMap((i) => Array.from(data.subarray(i * dim, (i + 1) * dim))));
      expect(tree[group]!.pcf!['0.6'], `${group} pcf`).toBe(pcf(sub, items.length, dim, [0.6])[0]);
    }
    // The category PCFs differ from the overall one: they are not the same items.
    expect(new Set(['OVERALL', 'a', 'b'].map((g) => tree[g]!.pcf!['0.6'])).size).toBeGreaterThan(1);
  });

  it('names what a config computes, and refuses results without ground truth', () => {
    const args = metricArgsOf({
      cmc_top_k: [1],
      precision_top_k: [5],
      map_top_k: [10],
      ndcg_top_k: [3],
      fmr_vals: [0.1],
      pcf_variance: [0.5],
    });
    expect(args).toEqual({ cmc: [1], precision: [5], map: [10], ndcg: [3], fmr: [0.1], pcf: [0.5] });
    expect([...computedMetrics(args)]).toEqual([
      ['cmc', ['1']],
      ['precision', ['5']],
      ['map', ['10']],
      ['ndcg', ['3']],
      ['fnmr@fmr', ['0.1']],
      ['pcf', ['0.5']],
    ]);
    const rr: RetrievalResults = {
      nQueries: 1,
      offsets: Int32Array.from([0, 1]),
      retrieved: Int32Array.from([0]),
      distances: Float32Array.from([1]),
      gtOffsets: null,
      gtIds: null,
    };
    expect(() => perQuery(rr)).toThrow('Retrieval results carry no ground truth');
    for (const name of ['cmc', 'precision', 'map', 'ndcg'] as const)
      expect(() => computeMetrics(set1d([0, 1], [0, 0], [1, 1], [1, 1]), { ...NONE, [name]: [0] })).toThrow(
        `${name} values must be positive integers`,
      );
  });
});
