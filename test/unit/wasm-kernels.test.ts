import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { registerWasmTrainingKernels } from '../../main/engine/wasm/kernels';
import { mulberry32 } from '../../main/random';

beforeAll(async () => {
  configureWasm();
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Gradients of Σ w·f(x, k) with respect to x and k, on one backend. */
async function grads(backend: string, f: (x: tf.Tensor4D, k: tf.Tensor4D) => tf.Tensor, xShape: number[], kShape: number[], seed: number) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(xShape), seed), xShape as [number, number, number, number]);
    const k = tf.tensor4d(rand(size(kShape), seed + 1), kShape as [number, number, number, number]);
    const outShape = f(x, k).shape;
    const w = tf.tensor(rand(size(outShape), seed + 2), outShape);
    const [gx, gk] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), w)))([x, k]);
    return [Float32Array.from(gx!.dataSync()), Float32Array.from(gk!.dataSync())];
  });
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

async function compare(f: (x: tf.Tensor4D, k: tf.Tensor4D) => tf.Tensor, xShape: number[], kShape: number[]) {
  const [cx, ck] = await grads('cpu', f, xShape, kShape, 11);
  const [wx, wk] = await grads('wasm', f, xShape, kShape, 11);
  return { input: relDiff(wx!, cx!), filter: relDiff(wk!, ck!) };
}

describe('wasm training kernels match the cpu backend', () => {
  const convCases: [string, number[], number[], [number, number], 'same' | 'valid'][] = [
    ['3×3 stride 1 same', [2, 7, 6, 3], [3, 3, 3, 4], [1, 1], 'same'],
    ['3×3 stride 2 same', [2, 8, 7, 3], [3, 3, 3, 5], [2, 2], 'same'],
    ['3×3 stride 2 valid', [1, 9, 9, 2], [3, 3, 2, 3], [2, 2], 'valid'],
    ['5×5 stride (2,1) valid', [2, 11, 8, 2], [5, 5, 2, 2], [2, 1], 'valid'],
    ['1×1 stride 1', [3, 5, 5, 4], [1, 1, 4, 6], [1, 1], 'same'],
    ['1×1 stride 2', [2, 6, 6, 3], [1, 1, 3, 2], [2, 2], 'valid'],
  ];
  for (const [name, xs, ks, strides, pad] of convCases) {
    it(`Conv2D ${name}`, async () => {
      const d = await compare((x, k) => tf.conv2d(x, k, strides, pad), xs, ks);
      expect(d.filter).toBeLessThan(1e-5);
      expect(d.input).toBeLessThan(1e-5);
    });
  }

  const dwCases: [string, number[], number[], [number, number], 'same' | 'valid'][] = [
    ['3×3 stride 1 same', [2, 7, 6, 3], [3, 3, 3, 1], [1, 1], 'same'],
    ['3×3 stride 2 same', [2, 8, 8, 4], [3, 3, 4, 1], [2, 2], 'same'],
    ['3×3 stride 2 same, odd size', [1, 7, 9, 2], [3, 3, 2, 1], [2, 2], 'same'],
    ['3×3 stride 2 valid', [2, 9, 9, 2], [3, 3, 2, 1], [2, 2], 'valid'],
    ['5×5 stride 1 valid', [1, 8, 8, 3], [5, 5, 3, 1], [1, 1], 'valid'],
  ];
  for (const [name, xs, ks, strides, pad] of dwCases) {
    it(`DepthwiseConv2dNative ${name}`, async () => {
      const d = await compare((x, k) => tf.depthwiseConv2d(x, k, strides, pad), xs, ks);
      expect(d.filter).toBeLessThan(1e-5);
      expect(d.input).toBeLessThan(1e-5);
    });
  }

  it('gather (UnsortedSegmentSum) with repeated indices', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor2d(rand(5 * 3, 4), [5, 3]);
        const idx = tf.tensor1d([4, 0, 4, 2, 4], 'int32');
        const w = tf.tensor2d(rand(5 * 3, 5), [5, 3]);
        return Float32Array.from(
          tf
            .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(x)
            .dataSync(),
        );
      });
    };
    expect(relDiff(await run('wasm'), await run('cpu'))).toBeLessThan(1e-6);
  });

  /** One function's value and gradient on one backend, flattened. */
  async function valueAndGrad(backend: string, f: (x: tf.Tensor) => tf.Tensor, shape: number[], seed: number, input?: Float32Array) {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor(input ?? rand(size(shape), seed), shape);
      const y = f(x);
      const w = tf.tensor(rand(size(y.shape), seed + 1), y.shape);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x);
      return { y: Float32Array.from(y.dataSync()), g: Float32Array.from(g.dataSync()), shape: y.shape };
    });
  }

  const poolCases: [string, number[], [number, number], [number, number], 'same' | 'valid'][] = [
    ['2×2 stride 2 valid', [2, 8, 6, 3], [2, 2], [2, 2], 'valid'],
    ['3×3 stride 2 same (overlapping windows)', [2, 9, 7, 4], [3, 3], [2, 2], 'same'],
    ['3×3 stride 1 same', [1, 5, 6, 2], [3, 3], [1, 1], 'same'],
    ['2×3 stride (1,2) valid', [2, 7, 8, 3], [2, 3], [1, 2], 'valid'],
  ];
  for (const [name, xs, window, strides, pad] of poolCases) {
    it(`MaxPool ${name}, a tie's gradient goes to its first pixel`, async () => {
      // Inputs on a coarse grid (−1, −½, 0, ½, 1): most windows hold a tied maximum, whose gradient the cpu backend
      // sends to the first of them in row-major order — one pixel, not each of them.
      const grid = Float32Array.from(rand(size(xs), 21), (v) => Math.round(v * 2) / 2);
      const f = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, window, strides, pad);
      const cpu = await valueAndGrad('cpu', f, xs, 21, grid);
      const wasm = await valueAndGrad('wasm', f, xs, 21, grid);
      expect(wasm.shape).toEqual(cpu.shape);
      expect(relDiff(wasm.y, cpu.y)).toBe(0);
      expect(relDiff(wasm.g, cpu.g)).toBeLessThan(1e-6);
    });
  }

  const reduceCases: [string, number[], number[], boolean][] = [
    ['leading axes [0,1,2] (a bias gradient)', [3, 4, 5, 6], [0, 1, 2], false],
    ['leading axes, keepDims (batch-norm moments)', [3, 4, 5, 6], [0, 1, 2], true],
    ['axis 0 of a matrix', [7, 5], [0], false],
    ['axes given out of order', [2, 3, 4], [1, 0], false],
    ['a trailing axis (wasm kernel)', [3, 4, 5], [2], false],
    ['a middle axis (wasm kernel)', [3, 4, 5], [1], true],
    ['every axis (wasm kernel)', [3, 4], [0, 1], false],
  ];
  for (const [name, shape, axes, keepDims] of reduceCases) {
    it(`Sum and Mean over ${name}`, async () => {
      for (const op of [tf.sum, tf.mean]) {
        const f = (x: tf.Tensor) => op(x, axes, keepDims);
        const cpu = await valueAndGrad('cpu', f, shape, 31);
        const wasm = await valueAndGrad('wasm', f, shape, 31);
        expect(wasm.shape).toEqual(cpu.shape);
        expect(relDiff(wasm.y, cpu.y)).toBeLessThan(1e-6);
        expect(relDiff(wasm.g, cpu.g)).toBeLessThan(1e-6);
      }
    });
  }

  const matMulCases: [string, number[], number[], boolean, boolean][] = [
    ['aᵀ·b', [6, 4], [6, 5], true, false],
    ['a·bᵀ', [4, 6], [5, 6], false, true],
    ['aᵀ·bᵀ', [6, 4], [5, 6], true, true],
    ['rank 3, one batch, a·bᵀ', [1, 4, 6], [1, 5, 6], false, true],
    ['two batches, aᵀ·b (wasm kernel)', [2, 6, 4], [2, 6, 5], true, false],
  ];
  for (const [name, aShape, bShape, tA, tB] of matMulCases) {
    it(`BatchMatMul ${name} and its gradients`, async () => {
      const [ca, cb] = await grads2('cpu', aShape, bShape, tA, tB);
      const [wa, wb] = await grads2('wasm', aShape, bShape, tA, tB);
      expect(relDiff(wa!, ca!)).toBeLessThan(1e-6);
      expect(relDiff(wb!, cb!)).toBeLessThan(1e-6);
    });
  }
  async function grads2(backend: string, aShape: number[], bShape: number[], tA: boolean, tB: boolean) {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const a = tf.tensor(rand(size(aShape), 41), aShape);
      const b = tf.tensor(rand(size(bShape), 42), bShape);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, tA, tB);
      const y = f(a, b);
      const w = tf.tensor(rand(size(y.shape), 43), y.shape);
      const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, z), w)))([a, b]);
      return [Float32Array.from(y.dataSync()), Float32Array.from(ga!.dataSync()), Float32Array.from(gb!.dataSync())].slice(1);
    });
  }

  it('frees every intermediate (no tensor or memory growth over repeated steps)', async () => {
    await tf.setBackend('wasm');
    const step = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(rand(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
        const k = tf.tensor4d(rand(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
        const dk = tf.tensor4d(rand(3 * 3 * 4, 3), [3, 3, 4, 1]);
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          const y = tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'same');
          const pooled = tf.maxPool(tf.relu(y), 2, 2, 'valid');
          const flat = tf.reshape(tf.sub(pooled, tf.mean(pooled, [0, 1, 2])), [2, -1]);
          return tf.sum(tf.matMul(flat, flat, false, true));
        })([x, k, dk]).forEach((g) => {
          g.dataSync();
        });
      });
    step();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
