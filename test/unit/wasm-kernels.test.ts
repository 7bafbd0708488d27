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

  it('frees every intermediate (no tensor or memory growth over repeated steps)', async () => {
    await tf.setBackend('wasm');
    const step = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(rand(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
        const k = tf.tensor4d(rand(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
        const dk = tf.tensor4d(rand(3 * 3 * 4, 3), [3, 3, 4, 1]);
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'same')),
        )([x, k, dk]).forEach((g) => {
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
