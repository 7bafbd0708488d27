import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { fusedBatchNormGrad } from '../../main/engine/gradients/batch-norm';
import { mulberry32 } from '../../main/random';

const rand = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + r() * (hi - lo));
};

/** Gradients of Σ w·batchNorm(x, mean, variance, offset, scale) for all five inputs, with one gradient config. */
function gradients(config: tf.GradConfig): Float32Array[] {
  tf.registerGradient(config);
  return tf.tidy(() => {
    const shape: [number, number, number, number] = [3, 4, 5, 6];
    const x = tf.tensor4d(rand(360, 1), shape);
    const mean = tf.tensor1d(rand(6, 2));
    const variance = tf.tensor1d(rand(6, 3, 0.1, 2));
    const offset = tf.tensor1d(rand(6, 4));
    const scale = tf.tensor1d(rand(6, 5));
    const w = tf.tensor4d(rand(360, 6), shape);
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3), w));
    return tf
      .grads(f)([x, mean, variance, offset, scale])
      .map((g) => Float32Array.from(g.dataSync()));
  });
}

describe('FusedBatchNorm gradient without a Tile', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`gives tfjs's own gradients bit for bit (${backend})`, async () => {
      configureWasm(1);
      await tf.setBackend(backend);
      const original = tf.getGradient('FusedBatchNorm');
      try {
        const theirs = gradients(original);
        const ours = gradients(fusedBatchNormGrad);
        expect(ours.map((g) => g.length)).toEqual([360, 6, 6, 6, 6]);
        ours.forEach((g, i) => {
          expect(Array.from(g)).toEqual(Array.from(theirs[i]!));
        });
      } finally {
        tf.registerGradient(original);
      }
    });
  }

  it('handles a rank-2 input (batch-norm after a dense layer)', async () => {
    await tf.setBackend('cpu');
    const original = tf.getGradient('FusedBatchNorm');
    // d/dx Σ x·(x·s) = 2·x·s with mean 0 and variance 1 as constant inputs.
    const run = () =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((a: tf.Tensor) =>
              tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor2D, tf.zeros([3]), tf.ones([3]), tf.zeros([3]), tf.tensor1d([1, 2, 3]), 0), a)),
            )(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]))
            .dataSync(),
        ),
      );
    try {
      tf.registerGradient(fusedBatchNormGrad);
      expect(run()).toEqual([2, 8, 18, 8, 20, 36]);
    } finally {
      tf.registerGradient(original);
    }
  });
});
