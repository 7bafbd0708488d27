// The fused training batch norm (ops/batch-norm-training.ts, wasm/batch-norm.ts) against what tfjs-layers computes
// without it — moments, then batchNorm, differentiated through both — on the cpu backend, for outputs, batch
// statistics and all three gradients; on cpu (JavaScript) and wasm (SIMD, and JavaScript for channels not in fours).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { fuseBatchNormTraining } from '../../main/engine/models/batch-norm-layer';
import { batchNormTraining, registerBatchNormTraining } from '../../main/engine/ops/batch-norm-training';
import { registerWasmTrainingKernels } from '../../main/engine/wasm/kernels';
import { mulberry32 } from '../../main/random';
import { relDiff } from '../helpers/gradient-checks';

const rand = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + r() * (hi - lo));
};
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

beforeAll(() => {
  configureWasm(1);
  registerWasmTrainingKernels();
  registerBatchNormTraining();
});

type Impl = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => [tf.Tensor, tf.Tensor, tf.Tensor];
const composite: Impl = (x, scale, offset) => {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3), mean, variance];
};
const fused: Impl = (x, scale, offset) => batchNormTraining(x, scale, offset, 1e-3);

/** y, mean, variance, and d Σ w·y / d(x, scale, offset), with x's values shifted by `shift` (a large mean). */
async function run(backend: string, impl: Impl, shape: number[], shift: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const C = shape.at(-1)!;
  const values = tf.tidy(() => {
    const x = tf.add(tf.tensor(rand(size(shape), 1, -2, 2), shape), shift);
    const scale = tf.tensor1d(rand(C, 2, 0.5, 1.5));
    const offset = tf.tensor1d(rand(C, 3));
    const w = tf.tensor(rand(size(shape), 4), shape);
    const [y, mean, variance] = impl(x, scale, offset);
    const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(impl(a, s, o)[0], w)))([x, scale, offset]);
    return [y, mean, variance, ...grads];
  });
  const out = await Promise.all(values.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(values);
  return out;
}

describe('fused training batch norm', () => {
  const cases: [string, number[], number][] = [
    ['MobileNetV2-like, channels in fours', [6, 9, 7, 16], 0],
    ['channels not in fours (6)', [3, 4, 5, 6], 0],
    ['rank 2 (after a dense layer)', [10, 12], 0],
    ['a large mean (|μ| ≫ σ)', [4, 8, 8, 8], 100],
    ['two rows per channel', [2, 1, 1, 8], 0],
  ];
  const names = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset'];
  for (const backend of ['cpu', 'wasm']) {
    for (const [label, shape, shift] of cases) {
      it(`${backend}: ${label} — values and gradients equal moments + batchNorm's`, async () => {
        const want = await run('cpu', composite, shape, shift);
        const got = await run(backend, fused, shape, shift);
        const diffs = Object.fromEntries(names.map((n, i) => [n, relDiff(got[i]!, want[i]!)]));
        // Sums differ only in order (float64 or blocked float32 here, float32 running sums in tfjs's cpu kernels).
        for (const n of names) expect(diffs[n], n).toBeLessThan(shift > 0 ? 2e-4 : 2e-5);
      });
    }
  }

  it('the batch-norm layer trains through it and updates its moving averages as tfjs does', async () => {
    await tf.setBackend('wasm');
    fuseBatchNormTraining();
    const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    const shape = [4, 5, 5, 8];
    const x = tf.tensor(rand(size(shape), 7, 0, 3), shape);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    // The variables are read now: a later update changes them in place.
    const [, , m1, v1] = await Promise.all(layer.getWeights().map((w) => w.data()));
    const [want, mean, variance] = composite(x, tf.ones([8]), tf.zeros([8]));
    let y: tf.Tensor | null = null;
    const { kernelNames } = await tf.profile(() => {
      y = layer.apply(x, { training: true }) as tf.Tensor;
      return y;
    });
    expect(kernelNames).toContain('BatchNormTraining');
    expect(kernelNames).not.toContain('FusedBatchNorm');
    // Both moving averages in one kernel, not tfjs-layers' Sub, Mul, Sub for each.
    expect(kernelNames).toContain('BatchNormMovingAverages');
    expect(kernelNames).not.toContain('Sub');
    // From (0, 1): m₁ = 0.1·μ and v₁ = 0.9 + 0.1·σ², then m₂ = 0.19·μ and v₂ = 0.81 + 0.19·σ² (the same batch twice).
    const m = await mean.data();
    const v = await variance.data();
    expect(
      relDiff(
        m1!,
        Float32Array.from(m, (u) => 0.1 * u),
      ),
    ).toBeLessThan(1e-5);
    expect(
      relDiff(
        v1!,
        Float32Array.from(v, (s) => 0.9 + 0.1 * s),
      ),
    ).toBeLessThan(1e-5);
    const [m2, v2] = layer.getWeights().slice(2);
    // Bit for bit what tfjs-layers' own update gives on this backend.
    const stock = (old: tf.TypedArray, value: tf.Tensor) => tf.sub(tf.tensor(old), tf.mul(tf.sub(tf.tensor(old), value), 1 - 0.9));
    expect(Array.from(await m2!.data())).toEqual(Array.from(await stock(m1!, mean).data()));
    expect(Array.from(await v2!.data())).toEqual(Array.from(await stock(v1!, variance).data()));
    expect(
      relDiff(
        await m2!.data(),
        Float32Array.from(m, (u) => 0.19 * u),
      ),
    ).toBeLessThan(1e-5);
    expect(
      relDiff(
        await v2!.data(),
        Float32Array.from(v, (s) => 0.81 + 0.19 * s),
      ),
    ).toBeLessThan(1e-5);
    expect(relDiff(await y!.data(), await want.data())).toBeLessThan(2e-5);
    // Inference uses the moving averages, as before.
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    const expected = tf.batchNorm(x, m2!, v2!, tf.zeros([8]), tf.ones([8]), 1e-3);
    expect(relDiff(await inference.data(), await expected.data())).toBeLessThan(1e-6);
    tf.dispose([x, y!, want, mean, variance, inference, expected]);
    layer.dispose();
  });

  it("inference batch norm (given statistics) on wasm equals the cpu backend's, per-channel or not", async () => {
    const cases: [number[], boolean][] = [
      [[4, 6, 5, 16], true], // SIMD: statistics, scale and offset per channel, channels in fours
      [[3, 4, 5, 6], true], // wasm's own kernel: channels not in fours
      [[4, 3, 3, 8], false], // wasm's own kernel: no scale or offset
    ];
    for (const [shape, affine] of cases) {
      const C = shape.at(-1)!;
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const y = tf.tidy(() => {
          const x = tf.tensor(rand(size(shape), 11, -3, 3), shape);
          const [mean, variance, offset, scale] = [rand(C, 12), rand(C, 13, 0.1, 2), rand(C, 14), rand(C, 15)].map((v) => tf.tensor1d(v));
          return affine
            ? tf.batchNorm(x, mean!, variance!, offset, scale, 1e-3)
            : tf.batchNorm(x, mean!, variance!, undefined, undefined, 1e-3);
        });
        const values = await y.data();
        y.dispose();
        return values;
      };
      expect(relDiff(await run('wasm'), await run('cpu')), JSON.stringify(shape)).toBeLessThan(1e-6);
    }
  });

  it('frees every intermediate over repeated steps', async () => {
    await tf.setBackend('wasm');
    const step = () =>
      tf.tidy(() => {
        const x = tf.tensor(rand(2 * 4 * 4 * 8, 9), [2, 4, 4, 8]);
        const g = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.square(fused(a, s, o)[0])))([
          x,
          tf.ones([8]),
          tf.zeros([8]),
        ]);
        return g.map((t) => t.dataSync()[0]);
      });
    step();
    const before = tf.memory();
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
