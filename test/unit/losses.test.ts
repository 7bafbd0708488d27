import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { tripletLoss, TripletLossWithMiner } from '../../main/engine/losses/triplet';
import { ArcFaceLoss, smoothedTargets } from '../../main/engine/losses/arcface';
import { SurrogatePrecision } from '../../main/engine/losses/surrogate-precision';
import { HardTripletsMiner } from '../../main/engine/miners/hard-triplets';
import { TripletMinerWithMemory } from '../../main/engine/miners/bank';
import type { Criterion } from '../../main/engine/interfaces/criterions';

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
    expect(out.logs).toMatchObject({ active_tri: 0.5, pos_dist: 3, neg_dist: 5.25 });
    const soft = tripletLoss(a, p, n, { margin: null, reduction: 'none' }).loss.dataSync();
    expect(soft[0]).toBeCloseTo(Math.log1p(Math.exp(-5)), 5);
    expect(soft[1]).toBeCloseTo(Math.log1p(Math.exp(0.5)), 5);
    expect(() => tripletLoss(a, p, n, { margin: 0 })).toThrow('margin must be > 0');
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
    const logsOf = (seed: number) => {
      let logs: Record<string, number> = {};
      tf.tidy(() => {
        logs = crit.compute(tf.tensor2d(randomFeatures(4, 3, seed), [4, 3]), labels).logs;
      });
      return logs;
    };
    logsOf(2);
    const logs = logsOf(3);
    expect(Object.keys(logs)).toEqual(expect.arrayContaining(['orig_active_tri', 'bank_active_tri', 'pos_dist_bank']));
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
    const { loss, logs } = crit.compute(tf.tensor2d([[1, 0]]), Int32Array.from([0]));
    const target = 10 * Math.cos(0.5);
    const expected = -(target - Math.log(Math.exp(target) + Math.exp(0)));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 4);
    expect(logs.accuracy).toBe(1);
    expect(() => crit.compute(tf.tensor2d([[1, 0]]), Int32Array.from([2]))).toThrow('labels in 0..1');
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

  it('gradients match finite differences', () => {
    const crit = new SurrogatePrecision({ k: 2, temperature1: 1, temperature2: 0.5 });
    expect(gradientCheck(crit, randomFeatures(6, 3, 6), 6, 3, Int32Array.from([0, 0, 1, 1, 2, 2]))).toBeLessThan(2e-2);
  });
});
