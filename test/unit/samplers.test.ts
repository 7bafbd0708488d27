import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { BalanceSampler } from '../../main/engine/samplers/balance';
import { CategoryBalanceSampler, DistinctCategoryBalanceSampler } from '../../main/engine/samplers/category-balance';
import { indicesByLabel, smartSample, weightedSampleWithoutReplacement } from '../../main/engine/samplers/smart-sample';
import { createSampler } from '../../main/engine/samplers/create';
import { SamplerConfig } from '../../shared/schemas/config';

/** labels 0..L-1 with `per` instances each (label l has `sizes[l]` when given). */
function makeLabels(L: number, per: number, sizes: Record<number, number> = {}): Int32Array {
  const out: number[] = [];
  for (let l = 0; l < L; l++) for (let i = 0; i < (sizes[l] ?? per); i++) out.push(l);
  return Int32Array.from(out);
}
const labelsOf = (batch: number[], labels: Int32Array) => batch.map((i) => labels[i]!);

describe('smart_sample', () => {
  it('samples without repetition when possible, else all items plus repeats', () => {
    const rng = mulberry32(1);
    const s = smartSample([1, 2, 3, 4, 5], 3, rng);
    expect(new Set(s).size).toBe(3);
    const t = smartSample([7, 8], 5, rng);
    expect(t.slice(0, 2)).toEqual([7, 8]);
    expect(t).toHaveLength(5);
    expect(t.every((x) => x === 7 || x === 8)).toBe(true);
  });
});

describe('balance sampler', () => {
  const labels = makeLabels(11, 5, { 3: 2 });

  it('has L // n_labels batches of n_labels × n_instances, every label at most once per epoch', () => {
    const s = new BalanceSampler(labels, 3, 4);
    expect(s.length).toBe(3);
    expect(s.batchSize).toBe(12);
    // Over many epochs: one lucky draw without repeats proves nothing.
    const rng = mulberry32(7);
    for (let e = 0; e < 40; e++) {
      const epoch = s.epoch(rng);
      expect(epoch).toHaveLength(3);
      const seen = new Set<number>();
      for (const batch of epoch) {
        expect(batch).toHaveLength(12);
        const ls = labelsOf(batch, labels);
        const distinct = [...new Set(ls)];
        expect(distinct).toHaveLength(3);
        for (const l of distinct) {
          expect(ls.filter((x) => x === l)).toHaveLength(4);
          expect(seen.has(l)).toBe(false);
          seen.add(l);
        }
      }
    }
  });

  it('repeats instances only for labels that have too few', () => {
    const s = new BalanceSampler(labels, 11, 4);
    const [batch] = s.epoch(mulberry32(3));
    for (let l = 0; l < 11; l++) {
      const ids = batch!.filter((i) => labels[i] === l);
      expect(new Set(ids).size).toBe(l === 3 ? 2 : 4);
    }
  });

  it('is reproducible from a seed and differs across seeds', () => {
    const s = new BalanceSampler(labels, 3, 2);
    expect(s.epoch(mulberry32(42))).toEqual(s.epoch(mulberry32(42)));
    expect(s.epoch(mulberry32(42))).not.toEqual(s.epoch(mulberry32(43)));
  });

  it('rejects what OML rejects', () => {
    expect(() => new BalanceSampler(labels, 1, 2)).toThrow('must be 1 < n_labels <= 11, 1 given');
    expect(() => new BalanceSampler(labels, 12, 2)).toThrow('must be 1 < n_labels <= 11');
    expect(() => new BalanceSampler(labels, 2, 1)).toThrow('n_instances > 1');
    expect(() => new BalanceSampler(makeLabels(3, 2, { 1: 1 }), 2, 2)).toThrow('at least 2 instances; labels with one: 1');
    expect(() => new BalanceSampler(labels, 2.5, 2)).toThrow('n_labels must be int');
    expect(() => new BalanceSampler(labels, 2, 2.5)).toThrow('n_instances must be int, 2.5 given');
  });
});

describe('category samplers', () => {
  // 9 labels: cat a has 0-4, cat b 5-7, cat c 8.
  const labels = makeLabels(9, 3);
  const l2c = new Map<number, string>([0, 1, 2, 3, 4, 5, 6, 7, 8].map((l) => [l, l < 5 ? 'a' : l < 8 ? 'b' : 'c']));

  it('category_balance: ceil(L / n_labels) batches, n_labels labels from each of n_categories categories', () => {
    const s = new CategoryBalanceSampler(labels, l2c, 2, 2, 2, true);
    expect(s.length).toBe(5);
    expect(s.batchSize).toBe(8);
    for (const batch of s.epoch(mulberry32(1))) {
      expect(batch).toHaveLength(8);
      const cats = new Set(labelsOf(batch, labels).map((l) => l2c.get(l)));
      expect(cats.size).toBe(2);
    }
  });

  it('category_balance weights categories by their label count (weight_categories), or uniformly without it', () => {
    // Cat a holds 5 of 9 labels, b 3, c 1: with one category per batch, a ≈ 5/9, b ≈ 3/9, c ≈ 1/9 of batches.
    const share = (weight: boolean) => {
      const s = new CategoryBalanceSampler(labels, l2c, 1, 2, 2, true, weight);
      const rng = mulberry32(3);
      const count = new Map<string, number>();
      let n = 0;
      for (let e = 0; e < 300; e++)
        for (const batch of s.epoch(rng)) {
          const cats = new Set(labelsOf(batch, labels).map((l) => l2c.get(l)!));
          expect(cats.size).toBe(1);
          const c = [...cats][0]!;
          count.set(c, (count.get(c) ?? 0) + 1);
          n++;
        }
      return (c: string) => (count.get(c) ?? 0) / n;
    };
    const weighted = share(true);
    expect(weighted('a')).toBeCloseTo(5 / 9, 1);
    expect(weighted('b')).toBeCloseTo(3 / 9, 1);
    expect(weighted('c')).toBeCloseTo(1 / 9, 1);
    const uniform = share(false);
    for (const c of ['a', 'b', 'c']) expect(uniform(c)).toBeCloseTo(1 / 3, 1);
  });

  it('category_balance without resample_labels needs n_labels labels in every category', () => {
    expect(() => new CategoryBalanceSampler(labels, l2c, 2, 2, 2)).toThrow('All the categories must have at least 2 unique labels');
    expect(() => new CategoryBalanceSampler(labels, l2c, 4, 2, 2, true)).toThrow('must be 1 <= n_categories <= 3, 4 given');
    const missing = new Map(l2c);
    missing.delete(0);
    expect(() => new CategoryBalanceSampler(labels, missing, 1, 2, 2, true)).toThrow('All the labels must have category');
  });

  it('distinct_category_balance: labels are not reused until the categories run out', () => {
    const l2c2 = new Map<number, string>([0, 1, 2, 3, 4, 5, 6, 7].map((l) => [l, l < 4 ? 'a' : 'b']));
    const labels2 = makeLabels(8, 3);
    const s = new DistinctCategoryBalanceSampler(labels2, l2c2, 2, 2, 2, 4);
    expect(s.length).toBe(4);
    const epoch = s.epoch(mulberry32(5));
    // First two batches use all 8 labels exactly once; then the state resets.
    const firstTwo = epoch.slice(0, 2).flatMap((b) => [...new Set(labelsOf(b, labels2))]);
    expect(firstTwo.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const b of epoch) expect(b).toHaveLength(8);
    expect(() => new DistinctCategoryBalanceSampler(labels, l2c, 1, 2, 2, 3)).toThrow(
      'All the categories must have at least 2 unique labels',
    );
  });
});

describe('sampler registry and weighted draws', () => {
  const labels = makeLabels(6, 4);
  const l2c = new Map<number, string>([0, 1, 2, 3, 4, 5].map((l) => [l, l < 3 ? 'a' : 'b']));

  it('builds each sampler from its config block with its args, and says when categories are missing', () => {
    const balance = createSampler(SamplerConfig.parse({ name: 'balance', args: { n_labels: 3, n_instances: 2 } }), labels, new Map());
    expect(balance).toBeInstanceOf(BalanceSampler);
    expect([balance.batchSize, balance.length]).toEqual([6, 2]);
    const cat = createSampler(
      SamplerConfig.parse({ name: 'category_balance', args: { n_categories: 2, n_labels: 2, n_instances: 3, weight_categories: false } }),
      labels,
      l2c,
    );
    expect(cat).toBeInstanceOf(CategoryBalanceSampler);
    expect([cat.batchSize, cat.length]).toEqual([12, 3]);
    expect((cat as CategoryBalanceSampler).weightCategories).toBe(false);
    const distinct = createSampler(
      SamplerConfig.parse({ name: 'distinct_category_balance', args: { n_categories: 1, n_labels: 2, n_instances: 2, epoch_size: 7 } }),
      labels,
      l2c,
    );
    expect(distinct).toBeInstanceOf(DistinctCategoryBalanceSampler);
    expect([distinct.batchSize, distinct.length]).toEqual([4, 7]);
    for (const name of ['category_balance', 'distinct_category_balance'] as const)
      expect(() =>
        createSampler(
          SamplerConfig.parse({
            name,
            args: { n_categories: 1, n_labels: 2, n_instances: 2, ...(name === 'distinct_category_balance' ? { epoch_size: 3 } : {}) },
          }),
          labels,
          new Map(),
        ),
      ).toThrow(`Sampler "${name}" needs a category column in the dataset`);
  });

  it('weighted draws without replacement follow the weights and never repeat an item', () => {
    const rng = mulberry32(11);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const drawn = weightedSampleWithoutReplacement(['x', 'y', 'z'], [6, 3, 1], 3, rng);
      expect([...drawn].sort()).toEqual(['x', 'y', 'z']);
      firsts.set(drawn[0]!, (firsts.get(drawn[0]!) ?? 0) + 1);
    }
    expect(firsts.get('x')! / 4000).toBeCloseTo(0.6, 1);
    expect(firsts.get('y')! / 4000).toBeCloseTo(0.3, 1);
    expect(firsts.get('z')! / 4000).toBeCloseTo(0.1, 1);
    // After the first draw the rest renormalise: with x gone, y is drawn before z 3 times in 4.
    const yBeforeZ = Array.from({ length: 4000 }, () => weightedSampleWithoutReplacement(['x', 'y', 'z'], [1e9, 3, 1], 2, rng)[1]);
    expect(yBeforeZ.filter((v) => v === 'y').length / 4000).toBeCloseTo(0.75, 1);
  });

  it('indices by label come in ascending label order, each list in row order', () => {
    expect([...indicesByLabel([3, 1, 3, 0, 1])]).toEqual([
      [0, [3]],
      [1, [1, 4]],
      [3, [0, 2]],
    ]);
  });
});

describe('category samplers refuse what OML refuses, with its wording', () => {
  const labels = makeLabels(6, 3);
  const l2c = new Map<number, string>([0, 1, 2, 3, 4, 5].map((l) => [l, l < 3 ? 'a' : 'b']));
  const cases: [string, () => unknown, string][] = [
    ['n_categories not an int', () => new CategoryBalanceSampler(labels, l2c, 1.5, 2, 2), 'n_categories must be int, 1.5 given'],
    ['n_labels not an int', () => new CategoryBalanceSampler(labels, l2c, 1, 2.5, 2), 'n_labels must be int, 2.5 given'],
    ['n_instances not an int', () => new CategoryBalanceSampler(labels, l2c, 1, 2, 2.5), 'n_instances must be int, 2.5 given'],
    ['no category', () => new CategoryBalanceSampler(labels, l2c, 0, 2, 2), 'must be 1 <= n_categories <= 2, 0 given'],
    ['one label a batch', () => new CategoryBalanceSampler(labels, l2c, 1, 1, 2), 'must be 1 < n_labels <= 6, 1 given'],
    ['more labels than exist', () => new CategoryBalanceSampler(labels, l2c, 1, 7, 2, true), 'must be 1 < n_labels <= 6, 7 given'],
    ['one instance', () => new CategoryBalanceSampler(labels, l2c, 1, 2, 1), 'must be n_instances > 1, 1 given'],
    [
      'a mapped label with no rows',
      () => new CategoryBalanceSampler(labels, new Map([...l2c, [9, 'a']]), 1, 2, 2),
      'All the labels from label2category mapping must be in the labels',
    ],
    [
      'labels with one row',
      () =>
        new CategoryBalanceSampler(
          makeLabels(14, 3, Object.fromEntries([...Array(12).keys()].map((l) => [l, 1]))),
          new Map([...Array(14).keys()].map((l) => [l, 'a'])),
          1,
          2,
          2,
        ),
      'Each label must contain at least 2 instances; labels with one: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 …',
    ],
    ['epoch_size not an int', () => new DistinctCategoryBalanceSampler(labels, l2c, 1, 2, 2, 2.5), 'epoch_size must be int, 2.5 given'],
    ['epoch_size 0', () => new DistinctCategoryBalanceSampler(labels, l2c, 1, 2, 2, 0), 'epoch_size must be >= 1, 0 given'],
    [
      'distinct: a category short of labels',
      () => new DistinctCategoryBalanceSampler(labels, l2c, 1, 4, 2, 3),
      'All the categories must have at least 4 unique labels',
    ],
  ];
  for (const [name, make, message] of cases) it(name, () => expect(make).toThrow(message));

  it('accepts the edges: n_labels = all labels, n_instances 2, epoch_size 1, a category with exactly n_labels labels', () => {
    expect(new CategoryBalanceSampler(labels, l2c, 2, 6, 2, true).batchSize).toBe(24);
    expect(new DistinctCategoryBalanceSampler(labels, l2c, 2, 3, 2, 1).length).toBe(1);
    const twoLabels = makeLabels(2, 2, { 0: 2, 1: 2 });
    expect(
      new CategoryBalanceSampler(
        twoLabels,
        new Map([
          [0, 'a'],
          [1, 'a'],
        ]),
        1,
        2,
        2,
      ).batchSize,
    ).toBe(4);
    expect(() => new CategoryBalanceSampler(labels, l2c, 1, 3, 2)).not.toThrow();
  });

  it('distinct_category_balance tops a category up from its used labels and resets when too few categories remain', () => {
    // 3 labels a category, 2 a batch, 1 category a batch: a category's second turn has 1 free label + 1 used.
    const s = new DistinctCategoryBalanceSampler(labels, l2c, 1, 2, 2, 6);
    const epoch = s.epoch(mulberry32(8));
    const seen = new Map<string, number[][]>();
    for (const b of epoch) {
      const ls = [...new Set(labelsOf(b, labels))].sort();
      expect(ls).toHaveLength(2);
      const cat = l2c.get(ls[0]!)!;
      expect(ls.every((l) => l2c.get(l) === cat)).toBe(true);
      seen.set(cat, [...(seen.get(cat) ?? []), ls]);
    }
    for (const turns of seen.values()) {
      if (turns.length < 2) continue;
      // The second turn holds the label the first left free, and one label reused from the first.
      const [first, second] = turns as [number[], number[]];
      expect(second.filter((l) => first.includes(l))).toHaveLength(1);
    }
    expect([...seen.values()].some((t) => t.length >= 2)).toBe(true);
  });
});
