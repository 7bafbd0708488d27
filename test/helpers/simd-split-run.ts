// Child process for the threads test: our column- and item-split SIMD kernels on tfjs's threaded build (two threads, so the
// helper thread takes a share) against the same kernel run whole on this thread. Prints one JSON line: the thread
// count, how many calls the helper took, and per case whether split and whole agree bit for bit.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '../../main/engine/backends';
import { HelperThread } from '../../main/engine/wasm/helper-thread';
import { convGeometry, simdFor } from '../../main/engine/wasm/simd';

await useBackend('wasm', 2);
let helperCalls = 0;
const start = HelperThread.prototype.start;
HelperThread.prototype.start = function (this: HelperThread, ...args: Parameters<typeof start>) {
  helperCalls++;
  return start.apply(this, args);
};

const simd = simdFor(tf.backend());
const offsetOf = (t: tf.Tensor) => simd.offset(t as unknown as TensorInfo);
const cases: [string, number[], [number, number, number, number], number][] = [
  ['3×3, 16 → 32 channels', [8, 16, 16, 16], [3, 3, 16, 32], 1],
  ['3×3 stride 2, 24 → 12 channels (shares of 8 and 4)', [8, 33, 31, 24], [3, 3, 24, 12], 2],
  ['1×1, 16 → 48 channels (shares of 32 and 16)', [8, 32, 32, 16], [1, 1, 16, 48], 1],
  ['1×1, 9 → 24 channels (a 16-column block and 8 left over)', [16, 32, 32, 9], [1, 1, 9, 24], 1],
  ['small: 3×3, 4 → 8 channels (one thread)', [2, 6, 6, 4], [3, 3, 4, 8], 1],
];
const results: { name: string; same: boolean; calls: number; nonZero: boolean }[] = [];
for (const [name, xShape, filterShape, s] of cases) {
  const [kH, kW, inC, outC] = filterShape;
  const x = tf.randomUniform(xShape, -1, 1, 'float32', 1);
  const dy = tf.randomUniform([xShape[0]!, Math.ceil(xShape[1]! / s), Math.ceil(xShape[2]! / s), outC], -1, 1, 'float32', 2);
  const before = helperCalls;
  const split = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: [s, s],
    pad: 'same',
    dataFormat: 'NHWC',
    filterShape,
  } as never) as tf.Tensor;
  const calls = helperCalls - before;
  const whole = tf.zeros(filterShape);
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, s, 1, 'same');
  if (kH === 1) {
    const rows = xShape[0]! * xShape[1]! * xShape[2]!;
    simd.kernels.transposedProduct(offsetOf(x), offsetOf(dy), rows, inC, outC, 0, outC, offsetOf(whole), simd.scratch(12 * inC * outC));
  } else {
    simd.kernels.convFilterGrad(
      offsetOf(x),
      offsetOf(dy),
      ...convGeometry(info),
      0,
      outC,
      offsetOf(whole),
      simd.scratch(12 * kH * kW * inC * outC),
    );
  }
  const a = split.dataSync();
  const b = whole.dataSync();
  results.push({ name, same: a.length === b.length && a.every((v, i) => Object.is(v, b[i])), calls, nonZero: a.some((v) => v !== 0) });
  tf.dispose([x, dy, split, whole]);
}

// The item-split max-pool gradient: through tfjs's kernel (split when large) against our kernel run whole here.
const poolCases: [string, [number, number, number, number]][] = [
  ['2×2 max-pool gradient, 16 × 28×28×32 (shares of 8 images)', [16, 28, 28, 32]],
  ['2×2 max-pool gradient, 13 × 14×14×64 (7 and 6 images)', [13, 14, 14, 64]],
  ['small: 2×2 max-pool gradient, 2 × 8×8×16 (one thread)', [2, 8, 8, 16]],
];
for (const [name, shape] of poolCases) {
  // Rounded values make ties in the pooling windows.
  const x = tf.round(tf.randomUniform(shape, -4, 8, 'float32', 3)) as tf.Tensor4D;
  const [B, H, W, C] = shape;
  const dy = tf.randomUniform([B, H / 2, W / 2, C], -1, 1, 'float32', 4);
  const before = helperCalls;
  const split = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: tf.maxPool(x, 2, 2, 'valid') }, {
    filterSize: 2,
    strides: 2,
    pad: 'valid',
  } as never) as tf.Tensor;
  const calls = helperCalls - before;
  const whole = tf.zeros(shape);
  simd.kernels.maxPoolTiledBackward(offsetOf(x), offsetOf(dy), B, H, W, C, 2, 2, offsetOf(whole));
  const a = split.dataSync();
  const b = whole.dataSync();
  results.push({ name, same: a.length === b.length && a.every((v, i) => Object.is(v, b[i])), calls, nonZero: a.some((v) => v !== 0) });
  tf.dispose([x, dy, split, whole]);
}
console.log(JSON.stringify({ threads: getThreadsCount(), results }));
