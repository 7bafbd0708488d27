/**
 * ReLU's and ReLU6's gradients: dy where 0 < x (≤ 6). tfjs builds them from Step, LessEqual, Cast and Multiply, up to
 * five passes over the activation (ReLU6's took 90 ms of a MobileNetV2-0.35 step on wasm at batch 32); a backend
 * with a one-pass kernel (wasm: wasm/fused-kernels.ts) runs that, the others tfjs's own formula.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, Tensor } from '@tensorflow/tfjs';

export const RELU6_BACKWARD = 'Relu6Backward';
export const RELU_BACKWARD = 'ReluBackward';

function clippedGrad(kernelName: string, onePass: string, tfjsMask: (x: Tensor) => Tensor): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const g = dy as Tensor;
      const [x] = saved as [Tensor];
      if (tf.getKernel(onePass, tf.getBackend())) return { x: () => tf.engine().runKernel(onePass, { dy: g, x }) as Tensor };
      return { x: () => tf.mul(g, tf.cast(tfjsMask(x), 'float32')) };
    },
  };
}

export const reluGrad = clippedGrad('Relu', RELU_BACKWARD, (x) => tf.step(x));
export const relu6Grad = clippedGrad('Relu6', RELU6_BACKWARD, (x) => tf.mul(tf.lessEqual(x, 6), tf.step(x)));
