import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { tripletLoss, TripletLossWithMiner } from '../../main/engine/losses/triplet';
import { ArcFaceLoss, smoothedTargets } from '../../main/engine/losses/arcface';
import { reduce } from '../../main/engine/losses/common';
import { AllTripletsMiner } from '../../main/engine/miners/all-triplets';
import { SurrogatePrecision } from '../../main/engine/losses/surrogate-precision';
import { HardTripletsMiner } from '../../main/engine/miners/hard-triplets';
import { TripletMinerWithMemory } from '../../main/engine/miners/bank';
import type { Criterion, LossOutput } from '../../main/engine/interfaces/criterions';

/** Every log of a loss output, its pending ones read synchronously (these tests run on the CPU backends). */
const allLogs = (out: LossOutput) => ({ ...out.logs, ...out.pending?.logs(out.pending.tensors.map((t) => t.dataSync())) });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomFeatures(n: number, d: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * d }, () => r() * 2 - 1);
}

/**
 * Checks the analytic gradient of criterion(features) against central differences. float32 arithmetic limits
 * the agreement, so the tolerance is relative to the gradient's scale.
 */
function gradientCheck(criterion: Criterion, data: Float32Array, n: number, d: number, labels: Int32Array, h = 1e-2) {
  const f = (x: tf.Tensor2D) => criterion.compute(x, labels).loss as tf.Scalar;
  const x = tf.tensor2d(data, [n, d]);
  const analytic = tf.tidy(() => tf.grad((t: tf.Tensor) => f(t as tf.Tensor2D))(x)).dataSync();
  let worst = 0;
  const scale = Math.max(1e-3, ...Array.from(analytic, Math.abs));
  for (let i = 0; i < data.length; i++) {
    const plus = Float32Array.from(data);
    const minus = Float32Array.from(data);
    plus[i]! += h;
    minus[i]! -= h;
    const lp = tf.tidy(() => f(tf.tensor2d(plus, [n, d])).dataSync()[0]!);
    const lm = tf.tidy(() => f(tf.tensor2d(minus, [n, d])).dataSync()[0]!);
    worst = Math.max(worst, Math.abs((lp - lm) / (2 * h) - analytic[i]!) / scale);
  }
  x.dispose();
  return worst;
}

describe('triplet loss', () => {
  it('computes relu(margin + d(a,p) − d(a,n)) and its logs', () => {
    const a = tf.tensor2d([
      [0, 0],
      [0, 0],
    ]);
    const p = tf.tensor2d([
      [3, 4],
      [1, 0],
    ]);
    const n = tf.tensor2d([
      [6, 8],
      [0, 0.5],
    ]);
    const out = tripletLoss(a, p, n, { margin: 0.2 });
    // d(a,p) = 5, 1; d(a,n) = 10, 0.5 → relu(0.2 − 5) = 0, relu(0.2 + 0.5) = 0.7
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.35, 5);
    expect(allLogs(out)).toMatchObject({ active_tri: 0.5, pos_dist: 3, neg_dist: 5.25 });
    const soft = tripletLoss(a, p, n, { margin: null, reduction: 'none' }).loss.dataSync();
    expect(soft[0]).toBeCloseTo(Math.log1p(Math.exp(-5)), 5);
    expect(soft[1]).toBeCloseTo(Math.log1p(Math.exp(0.5)), 5);
    expect(() => tripletLoss(a, p, n, { margin: 0 })).toThrow('margin must be > 0');
  });

  it('with a miner: the loss and its logs equal a float64 brute force over the mined triplets', () => {
    // Independent of the criterion's distance-matrix gather: every triplet written out and summed here.
    const n = 8;
    const d = 3;
    const labels = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
    const data = randomFeatures(n, d, 11);
    const dist = (i: number, j: number) => Math.hypot(...Array.from({ length: d }, (_, k) => data[i * d + k]! - data[j * d + k]!));
    const all: [number, number, number][] = [];
    for (let a = 0; a < n; a++)
      for (let p = 0; p < n; p++)
        for (let q = 0; q < n; q++) if (a !== p && labels[a] === labels[p] && labels[q] !== labels[a]) all.push([a, p, q]);
    // Hard: per anchor the farthest positive and the nearest negative.
    const hard = Array.from({ length: n }, (_, a): [number, number, number] => {
      const others = [...Array(n).keys()].filter((j) => j !== a);
      const p = others.filter((j) => labels[j] === labels[a]).sort((x, y) => dist(a, y) - dist(a, x))[0]!;
      const q = others.filter((j) => labels[j] !== labels[a]).sort((x, y) => dist(a, x) - dist(a, y))[0]!;
      return [a, p, q];
    });
    const expected = (ts: [number, number, number][], margin: number | null) => {
      const per = ts.map(([a, p, q]) =>
        margin === null ? Math.log1p(Math.exp(dist(a, p) - dist(a, q))) : Math.max(0, margin + dist(a, p) - dist(a, q)),
      );
      return {
        loss: per.reduce((x, y) => x + y, 0) / ts.length,
        active: per.filter((v) => v > 0).length / ts.length,
        pos: ts.reduce((x, [a, p]) => x + dist(a, p), 0) / ts.length,
        neg: ts.reduce((x, [a, , q]) => x + dist(a, q), 0) / ts.length,
      };
    };
    for (const [ts, miner] of [
      [all, undefined],
      [hard, new HardTripletsMiner()],
    ] as const) {
      for (const margin of [0.2, null]) {
        const want = expected(ts as [number, number, number][], margin);
        // Some but not all triplets active at margin 0.2: the relu matters.
        if (margin !== null && miner === undefined) expect(want.active).toBeGreaterThan(0.1);
        if (margin !== null && miner === undefined) expect(want.active).toBeLessThan(0.9);
        tf.tidy(() => {
          const out = new TripletLossWithMiner({ margin }, miner).compute(tf.tensor2d(data, [n, d]), labels);
          expect(out.loss.dataSync()[0]).toBeCloseTo(want.loss, 5);
          const logs = allLogs(out);
          expect(logs.active_tri).toBeCloseTo(want.active, 6);
          expect(logs.pos_dist).toBeCloseTo(want.pos, 5);
          expect(logs.neg_dist).toBeCloseTo(want.neg, 5);
        });
      }
    }
  });

  it('with a miner: gradients match finite differences (all and hard triplets)', () => {
    const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const data = randomFeatures(6, 4, 1);
    // A margin large enough that every triplet is active keeps the loss smooth for finite differences.
    expect(gradientCheck(new TripletLossWithMiner({ margin: 10 }), data, 6, 4, labels)).toBeLessThan(2e-2);
    expect(gradientCheck(new TripletLossWithMiner({ margin: null }, new HardTripletsMiner()), data, 6, 4, labels)).toBeLessThan(2e-2);
  });

  it('with triplets_with_memory logs the batch and bank triplets separately', () => {
    const labels = Int32Array.from([0, 0, 1, 1]);
    const crit = new TripletLossWithMiner({ margin: 0.2 }, new TripletMinerWithMemory(2, 3), 1);
    const logsOf = (data: Float32Array) => {
      let logs: Record<string, number> = {};
      tf.tidy(() => {
        logs = allLogs(crit.compute(tf.tensor2d(data, [4, 3]), labels));
      });
      return logs;
    };
    logsOf(randomFeatures(4, 3, 2));
    const data = randomFeatures(4, 3, 7); // 5 of its 8 own triplets active: a flipped test would say 3
    const logs = logsOf(data);
    // The batch's own triplets are all triplets of the batch: brute force them.
    const dist = (i: number, j: number) => Math.hypot(...[0, 1, 2].map((k) => data[i * 3 + k]! - data[j * 3 + k]!));
    const own: [number, number, number][] = [];
    for (const [a, p] of [
      [0, 1],
      [1, 0],
      [2, 3],
      [3, 2],
    ] as const)
      for (let q = 0; q < 4; q++) if (labels[q] !== labels[a]) own.push([a, p, q]);
    const meanOf = (f: (t: [number, number, number]) => number) => own.reduce((x, t) => x + f(t), 0) / own.length;
    expect(logs.pos_dist_orig).toBeCloseTo(
      meanOf(([a, p]) => dist(a, p)),
      5,
    );
    expect(logs.neg_dist_orig).toBeCloseTo(
      meanOf(([a, , q]) => dist(a, q)),
      5,
    );
    const active = meanOf(([a, p, q]) => (0.2 + dist(a, p) - dist(a, q) > 0 ? 1 : 0));
    expect(active).toBe(5 / 8);
    expect(logs.orig_active_tri).toBeCloseTo(active, 6);
    // Bank triplets exist and are measured: the overall means lie between the batch's and the bank's.
    expect(logs.pos_dist_bank).toBeGreaterThan(0);
    expect(logs.neg_dist_bank).toBeGreaterThan(0);
    const between = (x: number, a: number, b: number) => x >= Math.min(a, b) - 1e-6 && x <= Math.max(a, b) + 1e-6;
    expect(between(logs.pos_dist!, logs.pos_dist_orig!, logs.pos_dist_bank!)).toBe(true);
    expect(between(logs.neg_dist!, logs.neg_dist_orig!, logs.neg_dist_bank!)).toBe(true);
    expect(logs.pos_dist).not.toBeCloseTo(logs.pos_dist_orig!, 3);
    // With the soft margin every triplet counts as active.
    const soft = new TripletLossWithMiner({ margin: null }, new TripletMinerWithMemory(2, 3), 1);
    tf.tidy(() => {
      const l = allLogs(soft.compute(tf.tensor2d(data, [4, 3]), labels));
      expect([l.orig_active_tri, l.bank_active_tri]).toEqual([1, 1]);
    });
  });
});

describe('ArcFace', () => {
  it('smooths labels uniformly or within the category', () => {
    const plain = smoothedTargets(Int32Array.from([1]), 4, 0.2);
    expect(Array.from(plain)).toEqual([0.05, 0.85, 0.05, 0.05].map(Math.fround));
    const cats = new Map([
      [0, 'a'],
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
    ]);
    const byCat = smoothedTargets(Int32Array.from([1]), 4, 0.2, cats);
    expect(Array.from(byCat).map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.9, 0, 0]);
  });

  it('applies the angular margin to the target logit only', () => {
    // Features equal to class centres: cos = 1 for the own class, so the target logit is s·cos(m).
    const crit = new ArcFaceLoss({ inFeatures: 2, numClasses: 2, m: 0.5, s: 10 });
    crit.weight.assign(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    );
    const out = crit.compute(tf.tensor2d([[1, 0]]), Int32Array.from([0]));
    const { loss } = out;
    const logs = allLogs(out);
    const target = 10 * Math.cos(0.5);
    const expected = -(target - Math.log(Math.exp(target) + Math.exp(0)));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 4);
    expect(logs.accuracy).toBe(1);
    expect(() => crit.compute(tf.tensor2d([[1, 0]]), Int32Array.from([2]))).toThrow('labels in 0..1');
  });

  it("past θ = π − m uses OML's hard branch cos θ − m·sin m instead of cos(θ + m)", () => {
    // OML: phi = where(cos > cos(π − m), cos(θ + m), cos − sin(π − m)·m). Class 0's centre is (1, 0), class 1's
    // (0, 1); a feature at angle θ from class 0 has cos θ to it and sin θ to class 1.
    const m = 0.5;
    const s = 10;
    const crit = new ArcFaceLoss({ inFeatures: 2, numClasses: 2, m, s });
    crit.weight.assign(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    );
    const lossAt = (theta: number) =>
      crit.compute(tf.tensor2d([[Math.cos(theta), Math.sin(theta)]]), Int32Array.from([0])).loss.dataSync()[0]!;
    const ce = (target: number, other: number) => -(target - Math.log(Math.exp(target) + Math.exp(other)));
    for (const theta of [2.4, 2.9, 3.1]) {
      const easy = Math.cos(theta) > Math.cos(Math.PI - m);
      expect(easy).toBe(theta === 2.4);
      const phi = easy ? Math.cos(theta + m) : Math.cos(theta) - Math.sin(Math.PI - m) * m;
      expect(lossAt(theta)).toBeCloseTo(ce(s * phi, s * Math.sin(theta)), 3);
    }
  });

  it('gradients match finite differences, for features and for its class centres', () => {
    const crit = new ArcFaceLoss({ inFeatures: 3, numClasses: 3, m: 0.3, s: 4, smoothingEpsilon: 0.1, seed: 3 });
    const labels = Int32Array.from([0, 1, 2, 1]);
    expect(gradientCheck(crit, randomFeatures(4, 3, 4), 4, 3, labels)).toBeLessThan(2e-2);
    const x = tf.tensor2d(randomFeatures(4, 3, 5), [4, 3]);
    const { grads } = tf.variableGrads(() => crit.compute(x, labels).loss as tf.Scalar, crit.trainableVariables);
    expect(Math.max(...Array.from(grads[crit.weight.name]!.dataSync(), Math.abs))).toBeGreaterThan(0);
  });
});

describe('ArcFace against a float64 reference', () => {
  /** OML's ArcFace written out: normalised features and class centres, margin on the target, CE, mean. */
  function reference(x: number[][], w: number[][], labels: number[], m: number, s: number) {
    const unit = (v: number[]) => v.map((a) => a / Math.hypot(...v));
    const W = w.map(unit);
    const per = x.map((row, i) => {
      const f = unit(row);
      const cos = W.map((c) => c.reduce((acc, cj, j) => acc + cj * f[j]!, 0));
      const logits = cos.map((c, k) => {
        if (k !== labels[i]) return s * c;
        const phi = c > Math.cos(Math.PI - m) ? Math.cos(Math.acos(c) + m) : c - Math.sin(Math.PI - m) * m;
        return s * phi;
      });
      const lse = Math.log(logits.reduce((acc, l) => acc + Math.exp(l), 0));
      return lse - logits[labels[i]!]!;
    });
    return per;
  }

  it('matches it with more features than classes, unnormalised centres, and every reduction', () => {
    const x = [
      [0.5, -1, 2],
      [1, 1, 0.2],
      [-0.3, 0.4, -2],
      [2, 0.1, 0.1],
    ];
    const w = [
      [2, 0, 1],
      [0, -3, 0.5],
    ];
    const labels = [0, 1, 1, 0];
    const want = reference(x, w, labels, 0.4, 8);
    const make = (reduction?: 'mean' | 'sum' | 'none') => {
      const crit = new ArcFaceLoss({ inFeatures: 3, numClasses: 2, m: 0.4, s: 8, reduction });
      crit.weight.assign(tf.tensor2d(w));
      return crit.compute(tf.tensor2d(x), Int32Array.from(labels));
    };
    expect(make().loss.dataSync()[0]).toBeCloseTo(want.reduce((a, b) => a + b, 0) / 4, 4);
    expect(make('sum').loss.dataSync()[0]).toBeCloseTo(
      want.reduce((a, b) => a + b, 0),
      3,
    );
    const none = Array.from(make('none').loss.dataSync());
    for (const [i, v] of none.entries()) expect(v).toBeCloseTo(want[i]!, 4);
    // accuracy: the argmax of cos is the label for rows 0 and 3 only (row 1 leans to class 0, row 2 to class 0).
    const cosTo = (r: number[], c: number[]) => r.reduce((a, v, j) => a + v * c[j]!, 0) / Math.hypot(...r) / Math.hypot(...c);
    const right = x.filter((r, i) => (cosTo(r, w[0]!) > cosTo(r, w[1]!) ? 0 : 1) === labels[i]).length;
    expect(allLogs(make()).accuracy).toBe(right / 4);
    expect(right).toBeGreaterThan(0);
    expect(right).toBeLessThan(4);
  });

  it('initialises centres uniformly in ±√(6 / (C + D)) (Xavier), refuses bad labels and ε, and builds twice from one seed', () => {
    const crit = new ArcFaceLoss({ inFeatures: 40, numClasses: 60, seed: 5 });
    expect(crit.name).toBe('arcface');
    const w = Array.from(crit.weight.dataSync());
    const bound = Math.sqrt(6 / 100);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound + 1e-7);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound);
    expect(Math.min(...w)).toBeLessThan(-0.95 * bound);
    expect(Math.abs(w.reduce((a, b) => a + b, 0) / w.length)).toBeLessThan(0.02 * bound);
    // Same seed, same centres, no variable-name clash.
    const again = new ArcFaceLoss({ inFeatures: 40, numClasses: 60, seed: 5 });
    expect(Array.from(again.weight.dataSync())).toEqual(w);
    expect(again.weight.name).not.toBe(crit.weight.name);
    expect(() => crit.compute(tf.tensor2d([[1, 0]]), Int32Array.from([-1]))).toThrow('labels in 0..59');
    for (const eps of [-0.1, 1, 1.5, Number.NaN])
      expect(() => new ArcFaceLoss({ inFeatures: 2, numClasses: 2, smoothingEpsilon: eps })).toThrow('smoothing_epsilon must be in [0, 1)');
    expect(() => new ArcFaceLoss({ inFeatures: 2, numClasses: 2, smoothingEpsilon: 0.99 })).not.toThrow();
  });

  it('smooths every row of a batch at its own label', () => {
    const t = smoothedTargets(Int32Array.from([2, 0]), 3, 0.3);
    expect(Array.from(t).map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.1, 0.8, 0.8, 0.1, 0.1]);
    const cats = new Map([
      [0, 'a'],
      [1, 'b'],
      [2, 'b'],
    ]);
    const byCat = smoothedTargets(Int32Array.from([2, 0]), 3, 0.3, cats);
    expect(Array.from(byCat).map((v) => Number(v.toFixed(6)))).toEqual([0, 0.15, 0.85, 1, 0, 0]);
  });
});

describe('reductions and criterion guards', () => {
  it('reduce: mean, sum, none, and an unknown one refused', () => {
    const t = tf.tensor1d([1, 2, 6]);
    expect(reduce(t, 'mean').dataSync()[0]).toBe(3);
    expect(reduce(t, 'sum').dataSync()[0]).toBe(9);
    expect(Array.from(reduce(t, 'none').dataSync())).toEqual([1, 2, 6]);
    expect(() => reduce(t, 'max' as never)).toThrow('Unexpected reduction: max (mean, sum or none)');
  });

  it('triplet loss with no triplets logs zeros; a miner that finds none is an error; reseed replays the sampling', () => {
    const empty = tf.tensor2d([], [0, 2]);
    const out = tripletLoss(empty, empty, empty, { margin: 0.2 });
    expect(allLogs(out)).toEqual({ active_tri: 0, pos_dist: 0, neg_dist: 0 });
    const none = new TripletLossWithMiner(
      { margin: 0.2 },
      { name: 'none', mine: () => ({ a: new Int32Array(0), p: new Int32Array(0), n: new Int32Array(0), bank: null, logs: {} }) },
    );
    expect(() => none.compute(tf.tensor2d([[0, 1]]), Int32Array.from([0]))).toThrow('The miner found no triplets in this batch');
    expect(none.name).toBe('triplet');
    // all_triplets capped at 5 picks a random subset: reseeding replays it, another seed picks another.
    const crit = new TripletLossWithMiner({ margin: 0.2 }, new AllTripletsMiner(5), 1);
    const data = tf.tensor2d(randomFeatures(6, 3, 8), [6, 3]);
    const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const lossAfter = (seed: number) => {
      crit.reseed(seed);
      return crit.compute(data, labels).loss.dataSync()[0];
    };
    const a = lossAfter(3);
    expect(lossAfter(3)).toBe(a);
    expect([4, 5, 6, 7].map(lossAfter).some((l) => l !== a)).toBe(true);
  });

  it('surrogate precision refuses a k that is not a positive integer', () => {
    for (const k of [0, -1, 1.5, Number.NaN])
      expect(() => new SurrogatePrecision({ k })).toThrow('surrogate_precision k must be a positive integer');
    expect(new SurrogatePrecision({ k: 3 }).name).toBe('surrogate_precision');
  });
});

describe('surrogate precision', () => {
  it('follows the formula: separated labels score its soft optimum, mixed ones much worse', () => {
    const crit = new SurrogatePrecision({ k: 1 });
    const labels = Int32Array.from([0, 0, 1, 1]);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    // Separated: self has rank 0.5 (σ(0) for itself), the neighbour 1.5; internal k = 2 and t1 = 1.
    const separated = tf.tensor2d([
      [0, 0],
      [0, 0.1],
      [5, 5],
      [5, 5.1],
    ]);
    const best = 1 - (sigmoid(2 - 0.5) + sigmoid(2 - 1.5)) / 2;
    expect(crit.compute(separated, labels).loss.dataSync()[0]).toBeCloseTo(best, 3);
    const mixed = tf.tensor2d([
      [0, 0],
      [5, 5],
      [0, 0.1],
      [5, 5.1],
    ]);
    expect(crit.compute(mixed, labels).loss.dataSync()[0]).toBeGreaterThan(best + 0.1);
  });

  it('equals its formula in float64 when a label has more positives than k + 1', () => {
    const n = 7;
    const d = 2;
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 2]);
    const data = randomFeatures(n, d, 21);
    const [k, t1, t2] = [1, 0.7, 0.3];
    const dist = (i: number, j: number) => Math.max(Math.hypot(data[i * d]! - data[j * d]!, data[i * d + 1]! - data[j * d + 1]!), 1e-6);
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    let total = 0;
    for (let i = 0; i < n; i++) {
      let hits = 0;
      let positives = 0;
      for (let j = 0; j < n; j++) {
        if (labels[j] !== labels[i]) continue;
        positives++;
        let rank = 0;
        for (let p = 0; p < n; p++) rank += sig((dist(i, j) - dist(i, p)) / t2);
        hits += sig((k + 1 - rank) / t1);
      }
      total += 1 - hits / Math.min(positives, k + 1);
    }
    const got = new SurrogatePrecision({ k, temperature1: t1, temperature2: t2 })
      .compute(tf.tensor2d(data, [n, d]), labels)
      .loss.dataSync()[0]!;
    expect(got).toBeCloseTo(total / n, 4);
  });

  it('gradients match finite differences', () => {
    const crit = new SurrogatePrecision({ k: 2, temperature1: 1, temperature2: 0.5 });
    expect(gradientCheck(crit, randomFeatures(6, 3, 6), 6, 3, Int32Array.from([0, 0, 1, 1, 2, 2]))).toBeLessThan(2e-2);
  });
});
