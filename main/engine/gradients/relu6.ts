/**
 * ReLU's and ReLU6's gradients. ReLU6's: dy where 0 < x ≤ 6. tfjs builds it from LessEqual, Step, Cast and two Multiply, five passes
 * over the activation (on wasm 90 ms of a MobileNetV2-0.35 step at batch 32); a backend with a one-pass kernel
 * (wasm: wasm/batch-norm.ts) runs that, the others tfjs's own formula.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, Tensor } from '@tensorflow/tfjs';

export const RELU6_BACKWARD = 'Relu6Backward';
export const RELU_BACKWARD = 'ReluBackward';

/** ReLU's gradient, dy where x > 0: one kernel where the backend has it (tfjs: Step, Cast, Multiply). */
export const reluGrad: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const g = dy as Tensor;
    const [x] = saved as [Tensor];
    if (tf.getKernel(RELU_BACKWARD, tf.getBackend())) {
      return { x: () => tf.engine().runKernel(RELU_BACKWARD, { dy: g, x }) as Tensor };
    }
    return { x: () => tf.mul(g, tf.cast(tf.step(x), 'float32')) };
  },
};

export const relu6Grad: GradConfig = {
  kernelName: 'Relu6',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const g = dy as Tensor;
    const [x] = saved as [Tensor];
    if (tf.getKernel(RELU6_BACKWARD, tf.getBackend())) {
      return { x: () => tf.engine().runKernel(RELU6_BACKWARD, { dy: g, x }) as Tensor };
    }
    return { x: () => tf.mul(g, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')) };
  },
};
