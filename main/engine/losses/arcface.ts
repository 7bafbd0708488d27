import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../random';
import type { Criterion, LossOutput } from '../interfaces/criterions';
import { registerComparisonGradients } from '../gradients/comparisons';
import type { Reduction } from './common';
import { pendingLogs } from './logs';

export interface ArcFaceOptions {
  inFeatures: number;
  numClasses: number;
  m?: number;
  s?: number;
  smoothingEpsilon?: number;
  /** label → category: label smoothing then spreads ε only over the labels of the same category. */
  label2category?: Map<number, string>;
  reduction?: Reduction;
  seed?: number;
}

/**
 * Smoothed targets (oml/functional/label_smoothing.py): (1−ε)·onehot + ε/C, or with categories
 * (1−ε)·onehot + ε/|labels of y's category| over that category only.
 */
export function smoothedTargets(
  labels: Int32Array,
  numClasses: number,
  epsilon: number,
  label2category?: Map<number, string>,
): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const row = i * numClasses;
    if (label2category) {
      const cat = label2category.get(y);
      const same: number[] = [];
      for (let c = 0; c < numClasses; c++) if (label2category.get(c) === cat) same.push(c);
      for (const c of same) out[row + c] = epsilon / same.length;
    } else {
      for (let c = 0; c < numClasses; c++) out[row + c] = epsilon / numClasses;
    }
    out[row + y]! += 1 - epsilon;
  }
  return out;
}

let created = 0;

/** OML's ArcFaceLoss: additive angular margin on the target class, scaled cosine logits, cross-entropy. */
export class ArcFaceLoss implements Criterion {
  readonly name = 'arcface';
  readonly weight: tf.Variable;
  readonly trainableVariables: tf.Variable[];
  private readonly m: number;
  private readonly s: number;
  private readonly eps: number;

  constructor(readonly options: ArcFaceOptions) {
    this.m = options.m ?? 0.5;
    this.s = options.s ?? 64;
    this.eps = options.smoothingEpsilon ?? 0;
    if (!(this.eps >= 0 && this.eps < 1)) throw new Error(`smoothing_epsilon must be in [0, 1), got ${this.eps}`);
    registerComparisonGradients();
    const { numClasses: C, inFeatures: D } = options;
    // Xavier-uniform, seeded so a run reproduces.
    const bound = Math.sqrt(6 / (C + D));
    const rng = mulberry32(options.seed ?? 0);
    this.weight = tf.variable(
      tf.tensor2d(
        Float32Array.from({ length: C * D }, () => (rng() * 2 - 1) * bound),
        [C, D],
      ),
      true,
      // Unique in the process (tfjs registers variable names globally): two losses built in the same millisecond
      // from the same seed must not clash. Resume matches it by position when the name differs.
      `arcface_weight_${++created}`,
    );
    this.trainableVariables = [this.weight];
  }

  compute(features: tf.Tensor2D, labels: Int32Array): LossOutput {
    const C = this.options.numClasses;
    const bad = labels.find((y) => y < 0 || y >= C);
    if (bad !== undefined) throw new Error(`ArcFace needs labels in 0..${C - 1} (train labels are remapped so); got ${bad}`);
    const cosM = Math.cos(this.m);
    const sinM = Math.sin(this.m);
    const th = -cosM;
    const mm = sinM * this.m;
    let predicted: tf.Tensor | null = null;
    const loss = tf.tidy(() => {
      const x = tf.div(features, tf.maximum(tf.norm(features, 2, 1, true), 1e-12));
      const w = tf.div(this.weight, tf.maximum(tf.norm(this.weight, 2, 1, true), 1e-12));
      const cos = tf.matMul(x, w, false, true);
      predicted = tf.keep(tf.argMax(cos, 1));
      // Clip away from ±1 so sqrt(1 − cos²) keeps a finite gradient.
      const sin = tf.sqrt(tf.maximum(tf.sub(1, tf.square(cos)), 1e-12));
      // The branch mask stays on the device; comparisons pass no gradient (gradients/comparisons.ts).
      const easy = tf.greater(cos, th);
      const withMargin = tf.where(easy, tf.sub(tf.mul(cos, cosM), tf.mul(sin, sinM)), tf.sub(cos, mm));
      const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), C), 'bool');
      const logits = tf.mul(tf.where(onehot, withMargin, cos), this.s);
      const targets = this.eps
        ? tf.tensor2d(smoothedTargets(labels, C, this.eps, this.options.label2category), [labels.length, C])
        : tf.oneHot(tf.tensor1d(labels, 'int32'), C);
      const perSample = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1));
      const r = this.options.reduction ?? 'mean';
      return r === 'mean' ? tf.mean(perSample) : r === 'sum' ? tf.sum(perSample) : perSample;
    });
    const pending = pendingLogs([predicted!], ([p]) => ({
      accuracy: labels.reduce((s, y, i) => s + (p![i] === y ? 1 : 0), 0) / labels.length,
    }));
    return { loss, logs: {}, pending };
  }
}
