/**
 * How many images a training step runs forward and backward at once (`micro_batch`). `auto` keeps the whole batch
 * unless the backend's memory cannot hold its activations; then the step runs in two passes (two-pass-step.ts)
 * over chunks that fit, and the loss still sees the whole batch.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../../shared/schemas/engine';

/**
 * Bytes a training step holds per float of layer output: the output kept for the backward pass, its gradient,
 * and the kernels' temporaries. Measured on the wasm backend with MobileNetV2-1.0 at 224 px (19.7 M output floats
 * an image): chunks of 6, 12 and 24 images grew the heap to 1.1, 2.0 and 3.9 GB, ≈ 160 MB (8 bytes a float) an image.
 */
const BYTES_PER_OUTPUT_FLOAT = 8;

/** What a step may hold at once, per backend; null = the whole batch (the backend manages, or reports, its memory). */
const BUDGET: Partial<Record<BackendName, number>> = {
  // Half of the 32-bit heap: the weights, their Adam slots, the batch itself and fragmentation take the rest.
  wasm: 2 * 2 ** 30,
  // tfjs cannot ask the GPU how much memory it has: a figure every discrete card of the last years holds.
  webgpu: 8 * 2 ** 30,
};

export interface ActivationSize {
  /** Floats of layer output per item, every layer of nested models counted. */
  total: number;
  /** The largest single layer output per item (a WebGPU buffer binding must hold it for the whole chunk). */
  largest: number;
}

export function activationSize(model: tf.LayersModel): ActivationSize {
  let total = 0;
  let largest = 0;
  const walk = (m: tf.LayersModel) => {
    for (const l of m.layers) {
      if ('layers' in l) {
        walk(l as tf.LayersModel);
        continue;
      }
      if (l.getClassName() === 'InputLayer') continue;
      const out = l.outputShape as (number | null)[] | (number | null)[][];
      const shapes = (Array.isArray(out[0]) ? out : [out]) as (number | null)[][];
      for (const s of shapes) {
        const n = s.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
        total += n;
        largest = Math.max(largest, n);
      }
    }
  };
  walk(model);
  return { total, largest };
}

/**
 * The chunk size for a step of `batch` items: `setting` when it is a number, else (auto) the whole batch or the
 * most that fit the backend's budget and, on WebGPU, its largest buffer binding.
 */
export function microBatch(
  setting: 'auto' | number,
  size: ActivationSize,
  backend: BackendName,
  batch: number,
  maxBinding: number | null = null,
): number {
  if (setting !== 'auto') return Math.max(1, Math.min(setting, batch));
  const budget = BUDGET[backend];
  if (budget === undefined) return batch;
  let fit = Math.floor(budget / (size.total * BYTES_PER_OUTPUT_FLOAT));
  if (maxBinding !== null) fit = Math.min(fit, Math.floor(maxBinding / (size.largest * 4)));
  if (fit >= batch) return batch;
  // Even chunks: 128 in a budget of 125 runs as 64 + 64, not 125 + 3.
  return Math.ceil(batch / Math.ceil(batch / Math.max(1, fit)));
}
