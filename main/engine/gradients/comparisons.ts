/**
 * Comparisons pass no gradient — as in PyTorch, where a mask built with `>` is simply not differentiable. tfjs
 * registers none for them, so a mask computed on the device from a tensor that depends on the weights (ArcFace's
 * "easy" branch) would stop back-propagation with "gradient function not found for Greater"; a zero gradient is
 * the honest one.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';

const zeroGrad = (kernelName: string): GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (_dy, saved) => {
    const [a, b] = saved as tf.Tensor[];
    return { a: () => tf.zerosLike(a!).asType('float32'), b: () => tf.zerosLike(b!).asType('float32') };
  },
});

let registered = false;
/** Idempotent; global, like every tfjs gradient. */
export function registerComparisonGradients(): void {
  if (registered) return;
  for (const name of ['Greater', 'GreaterEqual', 'Less', 'LessEqual']) tf.registerGradient(zeroGrad(name));
  registered = true;
}
