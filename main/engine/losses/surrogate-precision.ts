import * as tf from '@tensorflow/tfjs';
import type { Criterion, LossOutput } from '../interfaces/criterions';
import { pairwiseDist, reduce, type Reduction } from './common';

export interface SurrogatePrecisionOptions {
  k: number;
  temperature1?: number;
  temperature2?: number;
  reduction?: Reduction;
}

/**
 * OML's SurrogatePrecision (Recall@k surrogate, arXiv 2108.11179): every batch item is a query against all others
 * and itself (hence k + 1). rank_ij = Σ_p σ((d_ij − d_ip)/t2); precision_i = Σ_j σ((k − rank_ij)/t1)·gt_ij /
 * min(Σ_j gt_ij, k); loss = 1 − precision.
 */
export class SurrogatePrecision implements Criterion {
  readonly name = 'surrogate_precision';
  readonly trainableVariables: tf.Variable[] = [];
  private readonly k: number;

  constructor(readonly options: SurrogatePrecisionOptions) {
    if (!(Number.isInteger(options.k) && options.k > 0))
      throw new Error(`surrogate_precision k must be a positive integer, got ${options.k}`);
    this.k = options.k + 1;
  }

  compute(features: tf.Tensor2D, labels: Int32Array): LossOutput {
    const t1 = this.options.temperature1 ?? 1;
    const t2 = this.options.temperature2 ?? 0.01;
    const bs = labels.length;
    const gt = new Float32Array(bs * bs);
    const counts = new Float32Array(bs);
    for (let i = 0; i < bs; i++)
      for (let j = 0; j < bs; j++)
        if (labels[i] === labels[j]) {
          gt[i * bs + j] = 1;
          counts[i]!++;
        }
    const loss = tf.tidy(() => {
      const d = pairwiseDist(features, features);
      // diff[i, j, p] = d[i, j] − d[i, p]
      const diff = tf.sub(tf.expandDims(d, 2), tf.expandDims(d, 1));
      const rank = tf.sum(tf.sigmoid(tf.div(diff, t2)), 2);
      const hit = tf.sigmoid(tf.div(tf.sub(this.k, rank), t1));
      const denom = tf.tensor1d(counts.map((c) => Math.min(c, this.k)));
      const precision = tf.div(tf.sum(tf.mul(hit, tf.tensor2d(gt, [bs, bs])), 1), denom);
      return reduce(tf.sub(1, precision), this.options.reduction ?? 'mean');
    });
    return { loss, logs: {} };
  }
}
