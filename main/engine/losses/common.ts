import * as tf from '@tensorflow/tfjs';

export type Reduction = 'mean' | 'sum' | 'none';

/** The smallest squared distance we take a square root of: keeps d(x, x) differentiable (its gradient would be 0/0). */
const SQRT_FLOOR = 1e-12;

/** Euclidean distance between matching rows (OML's elementwise_dist). */
export function elementwiseDist(x1: tf.Tensor2D, x2: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.maximum(tf.sum(tf.square(tf.sub(x1, x2)), 1), SQRT_FLOOR)) as tf.Tensor1D);
}

/** Euclidean distances between every row of x1 and every row of x2 (OML's pairwise_dist). */
export function pairwiseDist(x1: tf.Tensor2D, x2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n1 = tf.sum(tf.square(x1), 1, true);
    const n2 = tf.transpose(tf.sum(tf.square(x2), 1, true));
    const sq = tf.sub(tf.add(n1, n2), tf.mul(2, tf.matMul(x1, x2, false, true)));
    return tf.sqrt(tf.maximum(sq, SQRT_FLOOR)) as tf.Tensor2D;
  });
}

export function reduce(t: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(t);
  if (reduction === 'sum') return tf.sum(t);
  if (reduction === 'none') return t;
  throw new Error(`Unexpected reduction: ${String(reduction)} (mean, sum or none)`);
}
