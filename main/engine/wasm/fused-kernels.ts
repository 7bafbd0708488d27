/**
 * Kernels that replace chains of tfjs kernels in training, on tfjs's wasm backend: Adam's update
 * (train/fused-adam.ts), the fused training batch norm (ops/batch-norm-training.ts) and the ReLU and ReLU6
 * gradients. Our SIMD kernels in place on its heap when sizes come in fours (every width MobileNetV2 and ResNet
 * use), else the same arithmetic in JavaScript on heap views. The batch norm, measured on 1M values: 1.6–2.0 ns a
 * value forward and 1.8–2.4 backward, against 9.5 and 11 for the JavaScript loops.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import {
  BATCH_NORM_BACKWARD,
  BATCH_NORM_FORWARD,
  batchNormBackward,
  batchNormForward,
  movingAveragesKernel,
  requireFloat32,
} from '../ops/batch-norm-training';
import { RELU_BACKWARD, RELU6_BACKWARD } from '../gradients/relu6';
import { ADAM_STEP } from '../train/fused-adam';
import { type AdamScalars, simdFor } from './simd';

interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

const epsilon = (attrs: NamedAttrMap | undefined) => (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', TensorInfo>;
  requireFloat32(BATCH_NORM_FORWARD, x, scale, offset);
  const heap = backend as unknown as WasmHeap;
  const C = x.shape.at(-1)!;
  // Outputs first: an allocation can grow the heap, which detaches views made before it.
  const [y, mean, variance] = [x.shape, [C], [C]].map((s) => heap.makeOutput(s, 'float32')) as [TensorInfo, TensorInfo, TensorInfo];
  if (C % 4 === 0) {
    const simd = simdFor(backend);
    const at = simd.offset;
    const scratch = simd.scratch(16 * C);
    simd.kernels.bnForward(at(x), size(x.shape) / C, C, at(scale), at(offset), epsilon(attrs), at(y), at(mean), at(variance), scratch);
  } else {
    const view = (t: TensorInfo) => heap.typedArrayFromHeap(t);
    batchNormForward(view(x), view(scale), view(offset), epsilon(attrs), { y: view(y), mean: view(mean), variance: view(variance) });
  }
  return [y, mean, variance];
};

const backward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, scale, mean, variance } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance', TensorInfo>;
  requireFloat32(BATCH_NORM_BACKWARD, dy, x, scale, mean, variance);
  const heap = backend as unknown as WasmHeap;
  const C = x.shape.at(-1)!;
  const [dx, dscale, doffset] = [x.shape, [C], [C]].map((s) => heap.makeOutput(s, 'float32')) as [TensorInfo, TensorInfo, TensorInfo];
  const eps = epsilon(attrs);
  if (C % 4 === 0) {
    const simd = simdFor(backend);
    const at = simd.offset;
    const scratch = simd.scratch(36 * C);
    simd.kernels.bnBackward(
      at(dy),
      at(x),
      size(x.shape) / C,
      C,
      at(scale),
      at(mean),
      at(variance),
      eps,
      at(dx),
      at(dscale),
      at(doffset),
      scratch,
    );
  } else {
    const view = (t: TensorInfo) => heap.typedArrayFromHeap(t);
    batchNormBackward(view(dy), view(x), view(scale), view(mean), view(variance), eps, {
      dx: view(dx),
      dscale: view(dscale),
      doffset: view(doffset),
    });
  }
  return [dx, dscale, doffset];
};

/** ReLU's and ReLU6's gradients in one pass (gradients/relu6.ts): dy where x > 0 (and x ≤ `top`). */
function clippedBackward(name: string, top: number): KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x } = inputs as Record<'dy' | 'x', TensorInfo>;
    requireFloat32(name, dy, x);
    const heap = backend as unknown as WasmHeap;
    const dx = heap.makeOutput(x.shape, 'float32');
    const n = size(x.shape);
    if (n % 4 === 0) {
      const simd = simdFor(backend);
      const run = top === 6 ? simd.kernels.relu6Backward : simd.kernels.reluBackward;
      run(simd.offset(dy), simd.offset(x), n, simd.offset(dx));
    } else {
      const [g, v, out] = [dy, x, dx].map((t) => heap.typedArrayFromHeap(t)) as [Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < n; i++) out[i] = v[i]! > 0 && v[i]! <= top ? g[i]! : 0;
    }
    return dx;
  };
}

/** Adam's update of one variable: [value, m, v] → their new values, in one pass. */
const adamStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const { value, m, v, g } = inputs as Record<'value' | 'm' | 'v' | 'g', TensorInfo>;
  requireFloat32(ADAM_STEP, value, m, v, g);
  const a = attrs as unknown as Record<'beta1' | 'oneMinusBeta1' | 'beta2' | 'oneMinusBeta2' | 'c1' | 'c2' | 'epsilon' | 'negLr', number>;
  const heap = backend as unknown as WasmHeap;
  const outs = [value, m, v].map((t) => heap.makeOutput(t.shape, 'float32')) as [TensorInfo, TensorInfo, TensorInfo];
  const simd = simdFor(backend);
  const at = simd.offset;
  const scalars: AdamScalars = [a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.c1, a.c2, a.epsilon, a.negLr];
  simd.kernels.adamStep(at(value), at(m), at(v), at(g), size(value.shape), ...scalars, at(outs[0]), at(outs[1]), at(outs[2]));
  return outs;
};

export const WASM_FUSED_KERNELS: KernelConfig[] = [
  movingAveragesKernel('wasm', {
    output: (backend, shape) => (backend as WasmHeap).makeOutput(shape, 'float32'),
    view: (backend, t) => (backend as WasmHeap).typedArrayFromHeap(t),
  }),
  { kernelName: ADAM_STEP, backendName: 'wasm', kernelFunc: adamStep },
  { kernelName: BATCH_NORM_FORWARD, backendName: 'wasm', kernelFunc: forward },
  { kernelName: BATCH_NORM_BACKWARD, backendName: 'wasm', kernelFunc: backward },
  { kernelName: RELU6_BACKWARD, backendName: 'wasm', kernelFunc: clippedBackward(RELU6_BACKWARD, 6) },
  { kernelName: RELU_BACKWARD, backendName: 'wasm', kernelFunc: clippedBackward(RELU_BACKWARD, Number.POSITIVE_INFINITY) },
];
