/**
 * Training-mode batch norm as one kernel forward and one backward, on the CPU backends (wasm, cpu): the arithmetic
 * and the cpu kernels here, wasm's SIMD ones in ../wasm/fused-kernels.ts.
 *
 * tfjs-layers builds it from moments (Mean, Sub, Square, Mean) and FusedBatchNorm; its gradient then runs through
 * all of them: about 20 full-size element-wise kernels per layer, each one pass over the activation on one thread.
 * In a MobileNetV2-0.35 step on wasm those took most of the time (profiled: Multiply, Sum, Sub, Mean and Identity
 * 760 of 1,250 kernel-ms). Here the forward reads the input three times (mean, centred variance, output) and the
 * backward twice (two sums per channel, then dx), with float64 sums. The values are the composite's to float
 * rounding (batch-norm-training.test compares both, and the gradients, on cpu and wasm).
 *
 * Backward, with x̂ = (x − μ)/σ over the M = N·H·W rows of a channel:
 *   dγ = Σ dy·x̂,  dβ = Σ dy,  dx = γ/σ · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)
 * which is what back-propagating through μ and σ² gives (the statistics depend on x).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';

/** y = (x − μ)·γ/σ + β per channel (x as rows of C), writing the batch's mean and (biased) variance. */
export function batchNormForward(
  x: Float32Array,
  scale: Float32Array,
  offset: Float32Array,
  eps: number,
  out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
): void {
  const C = scale.length;
  const rows = x.length / C;
  const { y, mean, variance } = out;
  const acc = new Float64Array(C);
  for (let base = 0; base < x.length; base += C) for (let c = 0; c < C; c++) acc[c]! += x[base + c]!;
  for (let c = 0; c < C; c++) {
    mean[c] = acc[c]! / rows;
    acc[c] = 0;
  }
  // Centred (a second pass) rather than E[x²] − μ²: no cancellation when |μ| ≫ σ.
  for (let base = 0; base < x.length; base += C) {
    for (let c = 0; c < C; c++) {
      const d = x[base + c]! - mean[c]!;
      acc[c]! += d * d;
    }
  }
  const k = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    variance[c] = acc[c]! / rows;
    k[c] = scale[c]! / Math.sqrt(variance[c]! + eps);
  }
  for (let base = 0; base < x.length; base += C) {
    for (let c = 0; c < C; c++) y[base + c] = (x[base + c]! - mean[c]!) * k[c]! + offset[c]!;
  }
}

/** dx, dγ and dβ of batchNormForward, from its input, γ and the batch statistics it returned. */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  eps: number,
  out: { dx: Float32Array; dscale: Float32Array; doffset: Float32Array },
): void {
  const C = scale.length;
  const rows = x.length / C;
  const { dx, dscale, doffset } = out;
  const sumDy = new Float64Array(C);
  const sumDyCentred = new Float64Array(C);
  for (let base = 0; base < x.length; base += C) {
    for (let c = 0; c < C; c++) {
      const g = dy[base + c]!;
      sumDy[c]! += g;
      sumDyCentred[c]! += g * (x[base + c]! - mean[c]!);
    }
  }
  // dx = a·dy + b·(x − μ) + d per channel.
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  const d = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const rstd = 1 / Math.sqrt(variance[c]! + eps);
    doffset[c] = sumDy[c]!;
    dscale[c] = sumDyCentred[c]! * rstd;
    a[c] = scale[c]! * rstd;
    b[c] = (-scale[c]! * rstd * rstd * rstd * sumDyCentred[c]!) / rows;
    d[c] = (-scale[c]! * rstd * sumDy[c]!) / rows;
  }
  for (let base = 0; base < x.length; base += C) {
    for (let c = 0; c < C; c++) {
      const i = base + c;
      dx[i] = a[c]! * dy[i]! + b[c]! * (x[i]! - mean[c]!) + d[c]!;
    }
  }
}

export const BATCH_NORM_FORWARD = 'BatchNormTraining';
export const BATCH_NORM_BACKWARD = 'BatchNormTrainingGrad';
export const MOVING_AVERAGES = 'BatchNormMovingAverages';

/**
 * tfjs-layers' moving-average update, m ← m − (m − v)·decay (decay = 1 − momentum), in its float32 operations and
 * order: the same numbers as its Sub, Mul and Sub kernels.
 */
export function movingAverage(old: Float32Array, value: Float32Array, decay: number, out: Float32Array): void {
  const d = Math.fround(decay);
  for (let c = 0; c < old.length; c++) out[c] = old[c]! - Math.fround(Math.fround(old[c]! - value[c]!) * d);
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** The fused kernels (here and wasm's) take float32 tensors only: anything else is an error naming the kernel. */
export function requireFloat32(kernel: string, ...inputs: TensorInfo[]): void {
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`${kernel} supports float32 tensors only, got ${t.dtype}`);
}

function cpuKernel(
  name: string,
  compute: (read: (t: TensorInfo) => Float32Array, inputs: NamedTensorInfoMap, eps: number) => Float32Array[],
): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    requireFloat32(name, ...Object.values(inputs).map((t) => t!));
    const cpu = backend as unknown as CpuBackend;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const x = inputs.x!;
    const outputs = compute((t) => cpu.data.get(t.dataId).values, inputs, varianceEpsilon);
    return outputs.map((values, i) => cpu.makeTensorInfo(i === 0 ? x.shape : [x.shape.at(-1)!], 'float32', values));
  };
  return { kernelName: name, backendName: 'cpu', kernelFunc };
}

/** How a backend's kernel makes a float32 output and reads a tensor's values in place. */
export interface FloatIO {
  output(backend: unknown, shape: number[]): TensorInfo;
  view(backend: unknown, t: TensorInfo): Float32Array;
}

/** [mean, variance] ← their moving averages towards the batch's: one kernel for tfjs-layers' six (and two scalars). */
export function movingAveragesKernel(backendName: string, io: FloatIO): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { mean, variance, batchMean, batchVariance } = inputs as Record<'mean' | 'variance' | 'batchMean' | 'batchVariance', TensorInfo>;
    requireFloat32(MOVING_AVERAGES, mean, variance, batchMean, batchVariance);
    const { decay } = attrs as unknown as { decay: number };
    const outs = [io.output(backend, mean.shape), io.output(backend, variance.shape)];
    // Views after the outputs are made: an allocation can move a heap and detach views made before it.
    const view = (t: TensorInfo) => io.view(backend, t);
    movingAverage(view(mean), view(batchMean), decay, view(outs[0]!));
    movingAverage(view(variance), view(batchVariance), decay, view(outs[1]!));
    return outs;
  };
  return { kernelName: MOVING_AVERAGES, backendName, kernelFunc };
}

// wasm's kernels (wasm/fused-kernels.ts) run the same arithmetic as SIMD on its heap.
const CPU_KERNELS: KernelConfig[] = [
  movingAveragesKernel('cpu', {
    output: (backend, shape) => (backend as CpuBackend).makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
    view: (backend, t) => (backend as CpuBackend).data.get(t.dataId).values,
  }),
  cpuKernel(BATCH_NORM_FORWARD, (read, { x, scale, offset }, eps) => {
    const C = x!.shape.at(-1)!;
    const out = { y: new Float32Array(tf.util.sizeFromShape(x!.shape)), mean: new Float32Array(C), variance: new Float32Array(C) };
    batchNormForward(read(x!), read(scale!), read(offset!), eps, out);
    return [out.y, out.mean, out.variance];
  }),
  cpuKernel(BATCH_NORM_BACKWARD, (read, { dy, x, scale, mean, variance }, eps) => {
    const C = x!.shape.at(-1)!;
    const out = { dx: new Float32Array(tf.util.sizeFromShape(x!.shape)), dscale: new Float32Array(C), doffset: new Float32Array(C) };
    batchNormBackward(read(dy!), read(x!), read(scale!), read(mean!), read(variance!), eps, out);
    return [out.dx, out.dscale, out.doffset];
  }),
];

const gradient: GradConfig = {
  kernelName: BATCH_NORM_FORWARD,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, scale, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
    const dy = (dys as Tensor[])[0]!;
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_BACKWARD, { dy, x, scale, mean, variance }, attrs) as unknown as [
      Tensor,
      Tensor,
      Tensor,
    ];
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};

/** Whether the active backend has the fused kernels (wasm and cpu); others keep tfjs-layers' own path. */
export function hasBatchNormTraining(): boolean {
  return tf.getKernel(BATCH_NORM_FORWARD, tf.getBackend()) !== undefined;
}

/** The layer's moving [mean, variance] moved towards the batch's by `decay` (1 − momentum), as tfjs-layers does. */
export function movingAverages(mean: Tensor, variance: Tensor, batchMean: Tensor, batchVariance: Tensor, decay: number): [Tensor, Tensor] {
  return tf.engine().runKernel(MOVING_AVERAGES, { mean, variance, batchMean, batchVariance }, { decay }) as unknown as [Tensor, Tensor];
}

/**
 * Normalises x (channels last) with its own batch statistics: [y, mean, variance], differentiable with respect to
 * x, scale and offset.
 */
export function batchNormTraining(x: Tensor, scale: Tensor, offset: Tensor, varianceEpsilon: number): [Tensor, Tensor, Tensor] {
  return tf.engine().runKernel(BATCH_NORM_FORWARD, { x, scale, offset }, { varianceEpsilon }) as unknown as [Tensor, Tensor, Tensor];
}

let registered = false;
/** Idempotent: registers the cpu kernels and the op's gradient (wasm/kernels.ts registers wasm's). */
export function registerBatchNormTraining(): void {
  if (registered) return;
  for (const k of CPU_KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  tf.registerGradient(gradient);
  registered = true;
}
