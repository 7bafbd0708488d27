/**
 * TensorFlow.js's FusedBatchNorm gradient, without its Tile. tfjs 4.22 materialises rsqrt(variance + ε) tiled to
 * the whole input shape before multiplying it into dy — a full-size copy per batch-norm layer per step, 34 % of a
 * MobileNetV2 step on wasm (profiled: 508 of 1,481 kernel-ms). Broadcasting the [C] vector gives the same values
 * element for element (the same two multiplications in the same order), so this replaces it for every backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { unfuseLinearConvUnderTape } from './linear-conv';
import { reluGrad, relu6Grad } from './relu6';

export const fusedBatchNormGrad: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const scaleValue = scale ?? tf.scalar(1);
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    // Per-channel statistics are summed over every other axis; full-shape ones need no reduction.
    const reduce = (t: Tensor) => (mean.rank === 1 ? tf.sum(t, axes) : t);
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScale = tf.mul(g, scaleValue);
    const rstd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(rstd, rstd), rstd), tf.scalar(-0.5));
    return {
      x: () => tf.reshape(tf.mul(tf.mul(g, rstd), scaleValue), x.shape),
      mean: () => tf.reshape(reduce(tf.mul(tf.mul(rstd, tf.scalar(-1)), dyTimesScale)), mean.shape),
      variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)), mean.shape),
      scale: () => tf.reshape(reduce(tf.mul(g, tf.mul(xMinusMean, rstd))), mean.shape),
      offset: () => tf.reshape(reduce(g), mean.shape),
    };
  },
};

let registered = false;
/** Idempotent: installs our gradients in place of tfjs's own (global: every backend uses them). */
export function registerGradients(): void {
  if (registered) return;
  tf.registerGradient(fusedBatchNormGrad);
  tf.registerGradient(relu6Grad);
  tf.registerGradient(reluGrad);
  unfuseLinearConvUnderTape();
  registered = true;
}
