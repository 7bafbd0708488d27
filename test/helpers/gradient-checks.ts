// The gradient checks every training backend passes against tfjs's reference `cpu` backend: the kernels the
// engine's models and losses back-propagate through, on awkward shapes (odd sizes, strides, 'same' padding, ties).
// wasm-kernels.test.ts runs them on wasm (where some of these kernels are ours), webgpu-kernels.test.ts on WebGPU.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CriterionConfig, ExtractorConfig } from '../../shared/schemas/config';
import { buildExtractor, trainableWeights } from '../../main/engine/models/extractor';
import { createCriterion } from '../../main/engine/train/factories';
import { mulberry32 } from '../../main/random';

export interface CheckOptions {
  /** Largest relative differences accepted: exact-ish kernels, and convolutions (a different summation order). */
  exact: number;
  conv: number;
  /**
   * Where MaxPool's gradient goes when a window's maximum is tied: to the first pixel (cpu, wasm and PyTorch) or to
   * the last (tfjs's WebGPU kernel). Either is a valid subgradient; training curves agree (ties are mostly zeros
   * after a ReLU, whose gradient is zero anyway).
   */
  maxPoolTies: 'first' | 'last';
}

/** Largest |a − b| relative to b's largest magnitude (a loop: a spread of a big gradient overflows the stack). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

/** Values of tensors made in a tf.tidy, read asynchronously (WebGPU cannot read synchronously in Node), then freed. */
async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(ts.map((t) => t.data()));
  tf.dispose(ts);
  return values.map((v) => Float32Array.from(v));
}

export function defineGradientChecks(target: string, opts: Partial<CheckOptions> = {}): void {
  const tol: CheckOptions = { exact: 1e-6, conv: 1e-5, maxPoolTies: 'first', ...opts };
  const rand = (n: number, seed: number) => {
    const r = mulberry32(seed);
    return Float32Array.from({ length: n }, () => r() * 2 - 1);
  };
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

  /** Gradients of Σ w·f(x, k) with respect to x and k, on one backend. */
  async function grads(
    backend: string,
    f: (x: tf.Tensor4D, k: tf.Tensor4D) => tf.Tensor,
    xShape: number[],
    kShape: number[],
    seed: number,
  ) {
    await tf.setBackend(backend);
    return read(
      tf.tidy(() => {
        const x = tf.tensor4d(rand(size(xShape), seed), xShape as [number, number, number, number]);
        const k = tf.tensor4d(rand(size(kShape), seed + 1), kShape as [number, number, number, number]);
        const outShape = f(x, k).shape;
        const w = tf.tensor(rand(size(outShape), seed + 2), outShape);
        const [gx, gk] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), w)))([x, k]);
        return [gx!, gk!];
      }),
    );
  }

  async function compare(f: (x: tf.Tensor4D, k: tf.Tensor4D) => tf.Tensor, xShape: number[], kShape: number[]) {
    const [cx, ck] = await grads('cpu', f, xShape, kShape, 11);
    const [wx, wk] = await grads(target, f, xShape, kShape, 11);
    return { input: relDiff(wx!, cx!), filter: relDiff(wk!, ck!) };
  }

  describe(`${target} training kernels match the cpu backend`, () => {
    type ConvCase = [string, number[], number[], [number, number], 'same' | 'valid'];
    const convCases: ConvCase[] = [
      ['3×3 stride 1 same', [2, 7, 6, 3], [3, 3, 3, 4], [1, 1], 'same'],
      ['3×3 stride 2 same', [2, 8, 7, 3], [3, 3, 3, 5], [2, 2], 'same'],
      ['3×3 stride 2 valid', [1, 9, 9, 2], [3, 3, 2, 3], [2, 2], 'valid'],
      ['5×5 stride (2,1) valid', [2, 11, 8, 2], [5, 5, 2, 2], [2, 1], 'valid'],
      ['1×1 stride 1', [3, 5, 5, 4], [1, 1, 4, 6], [1, 1], 'same'],
      ['1×1 stride 2', [2, 6, 6, 3], [1, 1, 3, 2], [2, 2], 'valid'],
      // wasm's SIMD weight gradient (output channels in fours; 162 rows: not a multiple of its 4- and 16-row blocks).
      ['1×1 stride 1, 8 → 12 channels', [2, 9, 9, 8], [1, 1, 8, 12], [1, 1], 'same'],
      // Past 64 input channels wasm takes a matrix product, the narrowing one as (dyᵀ·x)ᵀ (MobileNetV2's projections).
      ['1×1 stride 1, 72 → 80 channels', [2, 5, 3, 72], [1, 1, 72, 80], [1, 1], 'same'],
      ['1×1 stride 1, 96 → 68 channels', [2, 5, 3, 96], [1, 1, 96, 68], [1, 1], 'same'],
      // wasm's SIMD weight gradient for other filters: taps cut by the border on every side, strided runs of an input
      // row, output rows of 19 pixels (sums flushed across rows), a tap that reads no pixel at all.
      ['3×3 stride 2 same, odd size, 3 → 8 channels', [2, 9, 7, 3], [3, 3, 3, 8], [2, 2], 'same'],
      ['5×5 stride (2,1) valid, 2 → 4 channels', [2, 11, 8, 2], [5, 5, 2, 4], [2, 1], 'valid'],
      ['3×3 stride 1 same, 1 → 32 channels, 19 wide', [3, 5, 19, 1], [3, 3, 1, 32], [1, 1], 'same'],
      ['3×3 stride 2 same on 2×2, 2 → 4 channels', [2, 2, 2, 2], [3, 3, 2, 4], [2, 2], 'same'],
    ];
    const dwCases: ConvCase[] = [
      ['3×3 stride 1 same', [2, 7, 6, 3], [3, 3, 3, 1], [1, 1], 'same'],
      ['3×3 stride 2 same', [2, 8, 8, 4], [3, 3, 4, 1], [2, 2], 'same'],
      ['3×3 stride 2 same, odd size', [1, 7, 9, 2], [3, 3, 2, 1], [2, 2], 'same'],
      ['3×3 stride 2 valid', [2, 9, 9, 2], [3, 3, 2, 1], [2, 2], 'valid'],
      ['5×5 stride 1 valid', [1, 8, 8, 3], [5, 5, 3, 1], [1, 1], 'valid'],
      // Channels in fours: wasm's SIMD kernels (the cases above take its other path).
      ['3×3 stride 1 same, 8 channels', [2, 7, 6, 8], [3, 3, 8, 1], [1, 1], 'same'],
      ['3×3 stride 2 same, odd size, 12 channels', [3, 7, 9, 12], [3, 3, 12, 1], [2, 2], 'same'],
      ['5×5 stride (2,1) valid, 4 channels', [2, 11, 8, 4], [5, 5, 4, 1], [2, 1], 'valid'],
    ];
    const convolutions: [string, ConvCase[], typeof tf.conv2d | typeof tf.depthwiseConv2d][] = [
      ['Conv2D', convCases, tf.conv2d],
      ['DepthwiseConv2dNative', dwCases, tf.depthwiseConv2d],
    ];
    for (const [kernel, cases, op] of convolutions)
      for (const [name, xs, ks, strides, pad] of cases) {
        it(`${kernel} ${name}`, async () => {
          const d = await compare((x, k) => op(x, k, strides, pad), xs, ks);
          expect(d.filter).toBeLessThan(tol.conv);
          expect(d.input).toBeLessThan(tol.conv);
        });
      }

    it('gather (UnsortedSegmentSum) with repeated indices', async () => {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const [g] = await read([
          tf.tidy(() => {
            const x = tf.tensor2d(rand(5 * 3, 4), [5, 3]);
            const idx = tf.tensor1d([4, 0, 4, 2, 4], 'int32');
            const w = tf.tensor2d(rand(5 * 3, 5), [5, 3]);
            return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(x);
          }),
        ]);
        return g!;
      };
      expect(relDiff(await run(target), await run('cpu'))).toBeLessThan(tol.exact);
    });

    /** One function's value and gradient on one backend, flattened. */
    async function valueAndGrad(backend: string, f: (x: tf.Tensor) => tf.Tensor, shape: number[], seed: number, input?: Float32Array) {
      await tf.setBackend(backend);
      const [y, g] = tf.tidy(() => {
        const x = tf.tensor(input ?? rand(size(shape), seed), shape);
        const out = f(x);
        const w = tf.tensor(rand(size(out.shape), seed + 1), out.shape);
        return [out, tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)];
      });
      const shape_ = y!.shape;
      const [yv, gv] = await read([y!, g!]);
      return { y: yv!, g: gv!, shape: shape_ };
    }

    for (const [name, shape] of [
      ['a size in fours', [2, 5, 5, 8]],
      ['a size not in fours', [1, 3, 3, 3]],
    ] as const) {
      it(`ReLU, ${name}`, async () => {
        const f = (x: tf.Tensor) => tf.relu(tf.sub(x, 0.25));
        const cpu = await valueAndGrad('cpu', f, [...shape], 61);
        const got = await valueAndGrad(target, f, [...shape], 61);
        expect(relDiff(got.y, cpu.y)).toBeLessThan(tol.exact);
        expect(relDiff(got.g, cpu.g)).toBeLessThan(tol.exact);
      });
    }

    const poolCases: [string, number[], [number, number], [number, number], 'same' | 'valid'][] = [
      ['2×2 stride 2 valid', [2, 8, 6, 3], [2, 2], [2, 2], 'valid'],
      ['3×3 stride 2 same (overlapping windows)', [2, 9, 7, 4], [3, 3], [2, 2], 'same'],
      ['3×3 stride 1 same', [1, 5, 6, 2], [3, 3], [1, 1], 'same'],
      ['2×3 stride (1,2) valid', [2, 7, 8, 3], [2, 3], [1, 2], 'valid'],
      // Windows that tile the input, channels in fours: wasm's SIMD kernel (leftover rows and columns get no gradient).
      ['2×2 stride 2 valid, 8 channels (tiled)', [2, 8, 6, 8], [2, 2], [2, 2], 'valid'],
      ['2×2 stride 2 valid, odd size, 4 channels (tiled)', [2, 9, 7, 4], [2, 2], [2, 2], 'valid'],
      ['3×3 stride 3 valid, 12 channels (tiled)', [1, 9, 9, 12], [3, 3], [3, 3], 'valid'],
    ];
    for (const [name, xs, window, strides, pad] of poolCases) {
      it(`MaxPool ${name}, a tie's gradient goes to its ${tol.maxPoolTies} pixel`, async () => {
        // Inputs on a coarse grid (−1, −½, 0, ½, 1): most windows hold a tied maximum, whose gradient the cpu backend
        // sends to the first of them in row-major order — one pixel, not each of them.
        const grid = Float32Array.from(rand(size(xs), 21), (v) => Math.round(v * 2) / 2);
        const f = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, window, strides, pad);
        const cpu = await valueAndGrad('cpu', f, xs, 21, grid);
        const got = await valueAndGrad(target, f, xs, 21, grid);
        expect(got.shape).toEqual(cpu.shape);
        expect(relDiff(got.y, cpu.y)).toBe(0);
        if (tol.maxPoolTies === 'first') expect(relDiff(got.g, cpu.g)).toBeLessThan(tol.exact);
        else {
          // The same total, placed elsewhere among tied maxima; without ties, on the same pixels.
          const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
          expect(Math.abs(sum(got.g) - sum(cpu.g))).toBeLessThan(1e-4);
          expect(relDiff(got.g, cpu.g)).toBeGreaterThan(0);
          const smooth = rand(size(xs), 22);
          const cpuNoTies = await valueAndGrad('cpu', f, xs, 22, smooth);
          const gotNoTies = await valueAndGrad(target, f, xs, 22, smooth);
          expect(relDiff(gotNoTies.g, cpuNoTies.g)).toBeLessThan(tol.exact);
        }
      });
    }

    const reduceCases: [string, number[], number[], boolean][] = [
      ['leading axes [0,1,2] (a bias gradient)', [3, 4, 5, 6], [0, 1, 2], false],
      ['leading axes, keepDims (batch-norm moments)', [3, 4, 5, 6], [0, 1, 2], true],
      ['leading axes, 8 columns (wasm SIMD)', [3, 4, 5, 8], [0, 1, 2], false],
      ['axis 0 of a matrix, 12 columns, keepDims (wasm SIMD)', [37, 12], [0], true],
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
          const got = await valueAndGrad(target, f, shape, 31);
          expect(got.shape).toEqual(cpu.shape);
          expect(relDiff(got.y, cpu.y)).toBeLessThan(tol.exact);
          expect(relDiff(got.g, cpu.g)).toBeLessThan(tol.exact);
        }
      });
    }

    // MobileNetV2's own kernels at its shapes: ReLU6 (clipped at both ends), training-mode batch norm over wide
    // channel counts, depthwise 3×3 over hundreds of channels at 2×2 — where its last blocks run at 64 px.
    const mobileNetCases: [string, number[], (x: tf.Tensor) => tf.Tensor][] = [
      ['ReLU6 on both sides of its clip', [2, 5, 5, 8], (x) => tf.relu6(tf.mul(x, 8))],
      ['ReLU6, a size not in fours (27)', [1, 3, 3, 3], (x) => tf.relu6(tf.mul(x, 8))],
      [
        'training-mode batch norm, 336 channels',
        [8, 2, 2, 336],
        (x) => {
          const m = tf.moments(x, [0, 1, 2]);
          return tf.batchNorm(x, m.mean, m.variance, tf.fill([336], 0.3), tf.fill([336], 1.2), 1e-3);
        },
      ],
      [
        'depthwise 3×3 stride 2, 192 channels at 4×4',
        [8, 4, 4, 192],
        (x) => tf.depthwiseConv2d(x as tf.Tensor4D, tf.tensor4d(rand(9 * 192, 5), [3, 3, 192, 1]), 2, 'same'),
      ],
    ];
    for (const [name, shape, f] of mobileNetCases) {
      it(`MobileNetV2: ${name}`, async () => {
        const cpu = await valueAndGrad('cpu', f, shape, 51);
        const got = await valueAndGrad(target, f, shape, 51);
        expect(relDiff(got.y, cpu.y)).toBeLessThan(tol.conv);
        expect(relDiff(got.g, cpu.g)).toBeLessThan(tol.conv);
      });
    }

    const matMulCases: [string, number[], number[], boolean, boolean][] = [
      ['aᵀ·b', [6, 4], [6, 5], true, false],
      ['a·bᵀ', [4, 6], [5, 6], false, true],
      ['aᵀ·bᵀ', [6, 4], [5, 6], true, true],
      ['rank 3, one batch, a·bᵀ', [1, 4, 6], [1, 5, 6], false, true],
      ['two batches, aᵀ·b (wasm kernel)', [2, 6, 4], [2, 6, 5], true, false],
      // wasm: run as (b·aᵀ)ᵀ when b is the larger operand (a dense layer's input gradient).
      ['a·bᵀ, b much larger', [3, 8], [40, 8], false, true],
      ['rank 3, one batch, a·bᵀ, b much larger', [1, 5, 16], [1, 37, 16], false, true],
    ];
    for (const [name, aShape, bShape, tA, tB] of matMulCases) {
      it(`BatchMatMul ${name} and its gradients`, async () => {
        const [ca, cb, cy] = await grads2('cpu', aShape, bShape, tA, tB);
        const [wa, wb, wy] = await grads2(target, aShape, bShape, tA, tB);
        expect(relDiff(wy!, cy!)).toBeLessThan(tol.exact);
        expect(relDiff(wa!, ca!)).toBeLessThan(tol.exact);
        expect(relDiff(wb!, cb!)).toBeLessThan(tol.exact);
      });
    }
    async function grads2(backend: string, aShape: number[], bShape: number[], tA: boolean, tB: boolean) {
      await tf.setBackend(backend);
      return read(
        tf.tidy(() => {
          const a = tf.tensor(rand(size(aShape), 41), aShape);
          const b = tf.tensor(rand(size(bShape), 42), bShape);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, tA, tB);
          const w = tf.tensor(rand(size(f(a, b).shape), 43), f(a, b).shape);
          const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, z), w)))([a, b]);
          return [ga!, gb!, f(a, b)];
        }),
      );
    }

    it('frees every intermediate (no tensor or memory growth over repeated steps)', async () => {
      await tf.setBackend(target);
      const step = () =>
        read(
          tf.tidy(() => {
            const x = tf.tensor4d(rand(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
            const k = tf.tensor4d(rand(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
            const dk = tf.tensor4d(rand(3 * 3 * 4, 3), [3, 3, 4, 1]);
            return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
              const y = tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'same');
              const pooled = tf.maxPool(tf.relu(y), 2, 2, 'valid');
              const flat = tf.reshape(tf.sub(pooled, tf.mean(pooled, [0, 1, 2])), [2, -1]);
              return tf.sum(tf.matMul(flat, flat, false, true));
            })([x, k, dk]);
          }),
        );
      await step();
      const before = tf.memory();
      for (let i = 0; i < 20; i++) await step();
      const after = tf.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
    });
  });
}

/**
 * The whole of what training back-propagates through, per backbone and per criterion: the gradients of every
 * trainable weight (backbones) or of the features and the criterion's own weights (criteria), on `target` against
 * `cpu`, from the same weights and inputs.
 */
export function defineTrainingGradientChecks(target: string, tol = 1e-4): void {
  const rand = (n: number, seed: number) => {
    const r = mulberry32(seed);
    return Float32Array.from({ length: n }, () => r() * 2 - 1);
  };
  /**
   * ‖a − b‖ / ‖b‖ over all gradients together. Not per weight: a beta that feeds a training-mode batch norm has a
   * true gradient of zero, and its float noise against the other backend's noise is no measure of either.
   */
  const worst = (a: (readonly [string, Float32Array])[], b: (readonly [string, Float32Array])[]) => {
    expect(a.map(([k]) => k)).toEqual(b.map(([k]) => k));
    let diff = 0;
    let norm = 0;
    for (const [i, [, x]] of a.entries()) {
      const y = b[i]![1];
      for (let j = 0; j < y.length; j++) {
        diff += (x[j]! - y[j]!) ** 2;
        norm += y[j]! ** 2;
      }
    }
    return Math.sqrt(diff / norm);
  };

  describe(`${target}: training gradients match the cpu backend`, () => {
    // [label, args, input shape, batch]. MobileNetV2 is checked kernel by kernel (ReLU6, training-mode batch norm,
    // wide depthwise convolutions above), not whole: through its 52 training-mode batch norms, each dividing by a
    // batch σ, two fresh builds of it differ by ~1 % (norm-relative) between any two backends, wasm and webgpu too.
    const backbones: [string, object, [number, number, number], number][] = [
      ['small_cnn', { emb_dim: 16 }, [20, 20, 1], 4],
      ['small_cnn, GeM pooling, MLP head', { emb_dim: 16, pooling: 'gem', head: 'mlp' }, [20, 20, 3], 4],
    ];
    for (const [label, args, shape, batch] of backbones) {
      it(`${label}: every weight's gradient`, async () => {
        const name = label.split(/[ ,]/)[0]!;
        const build = () => buildExtractor(ExtractorConfig.parse({ name, args }), shape, 1);
        const first = build();
        const weights = await Promise.all(first.getWeights().map(async (t) => [await t.data(), t.shape] as const));
        first.dispose();
        // Everything is made anew on each backend, weights from values, so no tensor moves between backends (a move
        // reads synchronously, which WebGPU cannot do in Node).
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          const model = build();
          model.setWeights(weights.map(([values, s]) => tf.tensor(values, s)));
          const vars = trainableWeights(model, false);
          const x = tf.tensor4d(rand(batch * shape[0] * shape[1] * shape[2], 2), [batch, ...shape]);
          const w = tf.tensor2d(rand(batch * 16, 3), [batch, 16]);
          const { value, grads } = tf.variableGrads(
            () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar,
            vars,
          );
          // Variable names are unique per process: compare by position.
          const values = await read(vars.map((v) => grads[v.name]!));
          tf.dispose([value, x, w]);
          model.dispose();
          return values.map((v, i) => [String(i), v] as const);
        };
        const want = await run('cpu');
        const got = await run(target);
        expect(want.length).toBeGreaterThan(5);
        expect(worst(got, want)).toBeLessThan(tol);
      });
    }

    const labels = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    const criteria: [string, object][] = [
      ['triplet, all triplets', { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets' } } }],
      ['triplet, hard triplets, soft margin', { name: 'triplet_with_miner', args: { margin: null, miner: { name: 'hard_triplets' } } }],
      ['arcface with label smoothing', { name: 'arcface', args: { smoothing_epsilon: 0.1 } }],
      ['surrogate precision', { name: 'surrogate_precision', args: { k: 2 } }],
    ];
    for (const [label, cfg] of criteria) {
      it(`${label}: gradients of the features and the criterion's weights`, async () => {
        const values = rand(12 * 8, 5);
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          const criterion = createCriterion(CriterionConfig.parse(cfg), 8, 4, new Map(), 9);
          const features = tf.variable(tf.tensor2d(values, [12, 8]), true, `features_${backend}_${label}`);
          const { value, grads } = tf.variableGrads(
            () => criterion.compute(features, labels, values).loss as tf.Scalar,
            [features, ...criterion.trainableVariables],
          );
          // Names differ per backend (variables are global): compare by position.
          const got = await read([features, ...criterion.trainableVariables].map((v) => grads[v.name]!));
          tf.dispose([value, features, ...criterion.trainableVariables]);
          return got.map((v, i) => [String(i), v] as const);
        };
        const cpu = await run('cpu');
        const got = await run(target);
        expect(worst(got, cpu)).toBeLessThan(tol);
        expect(cpu[0]![1].some((v) => v !== 0)).toBe(true);
      });
    }
  });
}
