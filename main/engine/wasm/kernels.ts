/**
 * Gradient kernels the TensorFlow.js wasm backend lacks (tfjs 4.22), built only from kernels it has. Each kernel
 * calls other wasm kernelFuncs directly on TensorInfos and frees every intermediate (tf.* ops inside a kernel
 * would leak), so only the returned TensorInfo survives. See ../../../docs/ENGINE.md for the derivations; the
 * gradient tests compare each one with the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { WASM_FUSED_KERNELS } from './fused-kernels';
import { convGeometry, depthwiseGeometry, simdFor } from './simd';

type Backend = { disposeData(dataId: object): void };
type Ctx = { backend: Backend };

function call(ctx: Ctx, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  return (kernel.kernelFunc as KernelFunc)({ inputs, backend: ctx.backend as never, attrs }) as TensorInfo;
}

/** Runs a sequence of kernel calls, disposing every intermediate that is not the result. */
function scoped(
  ctx: Ctx,
  fn: (k: (name: string, inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap) => TensorInfo) => TensorInfo,
): TensorInfo {
  const made: TensorInfo[] = [];
  const k = (name: string, inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap) => {
    const out = call(ctx, name, inputs, attrs);
    made.push(out);
    return out;
  };
  const result = fn(k);
  for (const t of made) if (t !== result) ctx.backend.disposeData(t.dataId);
  return result;
}

const reshape = (k: Parameters<Parameters<typeof scoped>[1]>[0], x: TensorInfo, shape: number[]) => k('Reshape', { x }, { shape });

function convPads(
  xShape: number[],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: unknown,
  dimRoundingMode: unknown,
  depthwise = false,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad as 'same',
    dimRoundingMode as 'floor' | undefined,
    depthwise,
  );
}

/**
 * A 1×1 convolution's weight gradient x2dᵀ·dy2d by our SIMD kernel where it beats XNNPACK, which packs dy2d — the
 * whole output activation, new at every step — as its weights on each call. Measured per call with new tensors
 * each time (MobileNetV2-0.35's shapes, batch 32, 2 threads): 32768 rows, 8 → 48 channels 31 → 3.9 ms; 8192 rows,
 * 16 → 96: 15 → 3.5; 8192 rows, 48 → 8: 5.7 → 1.8. From ~100 input channels on, XNNPACK is as fast or faster
 * (128 rows, 112 → 1280: 4.3 against 5.3 ms).
 */
function simdTransposedProduct(inC: number, outC: number, ...tensors: TensorInfo[]): boolean {
  return inC <= 64 && outC % 4 === 0 && tensors.every((t) => t.dtype === 'float32');
}

/**
 * Other filters' weight gradient by our SIMD kernel where it beats the XNNPACK convolution below, which packs dy —
 * there its filter — at every call and works on few, huge channels. Per call (ms, new tensors, 1 / 2 threads):
 * x 128×64×64×1, 3×3→32: 66 / 55 against 278 / 290; 128×32×32×32, 3×3→64: 302 / 268 against 850 / 552;
 * 64×14×14×32, 3×3→64: 28 / 28 against 39 / 29; MobileNetV2's stem, 32×64×64×3, 3×3/2→8: 2.1 / 1.6 against
 * 6.7 / 5.9; at 2 threads, 16×28×28×128, 3×3→128: 161 against 186. XNNPACK wins from about 256 input channels
 * (16×14×14×256, 3×3→256: 157 against 192 ms).
 */
function simdConvFilterGrad(inC: number, outC: number, x: TensorInfo, dy: TensorInfo): boolean {
  return outC % 4 === 0 && inC <= 128 && x.dtype === 'float32' && dy.dtype === 'float32';
}

/** dW = correlation of x with dy: a Conv2D over batch↔channel-transposed tensors, dilated by the forward stride. */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
    strides: [number, number];
    pad: unknown;
    dimRoundingMode: unknown;
    filterShape: [number, number, number, number];
    dataFormat: string;
  };
  if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const ctx = { backend: backend as unknown as Backend };
  const info = convPads(x.shape, filterShape, strides, pad, dimRoundingMode);
  const [kH, kW, inC, outC] = filterShape;
  const [B, H, W] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  return scoped(ctx, (k) => {
    if (
      kH === 1 &&
      kW === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      top === 0 &&
      left === 0 &&
      info.outHeight === H &&
      info.outWidth === W
    ) {
      // 1×1 stride 1: dW = x2dᵀ · dy2d.
      if (simdTransposedProduct(inC, outC, x, dy)) {
        const out = (backend as unknown as WasmHeap).makeOutput(filterShape, 'float32');
        const simd = simdFor(backend);
        const rows = B * H * W;
        simd.byColumns(
          'transposedProduct',
          outC,
          rows * inC * outC,
          (J) => 12 * inC * J,
          (j0, J, scratch) => [simd.offset(x), simd.offset(dy), rows, inC, outC, j0, J, simd.offset(out), scratch],
        );
        return out;
      }
      // XNNPACK's aᵀ·b runs faster with the wider matrix as b (576 → 96 at 25k rows: 80 against 123 ms), so a
      // narrowing convolution's gradient is taken as (dyᵀ·x)ᵀ.
      const [a, b] = [reshape(k, x, [1, B * H * W, inC]), reshape(k, dy, [1, B * H * W, outC])];
      if (inC > outC) {
        const prodT = k('BatchMatMul', { a: b, b: a }, { transposeA: true, transposeB: false });
        return reshape(k, k('Transpose', { x: reshape(k, prodT, [outC, inC]) }, { perm: [1, 0] }), [1, 1, inC, outC]);
      }
      const prod = k('BatchMatMul', { a, b }, { transposeA: true, transposeB: false });
      return reshape(k, prod, [1, 1, inC, outC]);
    }
    if (simdConvFilterGrad(inC, outC, x, dy)) {
      const out = (backend as unknown as WasmHeap).makeOutput(filterShape, 'float32');
      const simd = simdFor(backend);
      const geometry = convGeometry(info);
      simd.byColumns(
        'convFilterGrad',
        outC,
        B * info.outHeight * info.outWidth * kH * kW * inC * outC,
        (J) => 12 * kH * kW * inC * J,
        (j0, J, scratch) => [simd.offset(x), simd.offset(dy), ...geometry, j0, J, simd.offset(out), scratch],
      );
      return out;
    }
    const xT = k('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [inC, H, W, B]
    const dyT = k('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [outH, outW, B, outC]
    const bottom = Math.max(0, kH - H - top + (info.outHeight - 1) * info.strideHeight);
    const right = Math.max(0, kW - W - left + (info.outWidth - 1) * info.strideWidth);
    const conv = k('Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap); // [inC, ≥kH, ≥kW, outC]
    const cut = k('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [inC, kH, kW, outC] });
    return k('Transpose', { x: cut }, { perm: [1, 2, 0, 3] });
  });
};

/** dy with stride−1 zeros between its pixels: the input of a stride-1 correlation equivalent to a strided one. */
function zeroInsert(k: Parameters<Parameters<typeof scoped>[1]>[0], dy: TensorInfo, sH: number, sW: number): TensorInfo {
  if (sH === 1 && sW === 1) return dy;
  const [B, oh, ow, C] = dy.shape as [number, number, number, number];
  const six = reshape(k, dy, [B, oh, 1, ow, 1, C]);
  const padded = k(
    'PadV2',
    { x: six },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sH - 1],
        [0, 0],
        [0, sW - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const flat = reshape(k, padded, [B, oh * sH, ow * sW, C]);
  return k('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [B, (oh - 1) * sH + 1, (ow - 1) * sW + 1, C] });
}

/**
 * dx for Conv2D, replacing wasm's own naive loop kernel: a stride-1 Conv2D (XNNPACK) of zero-inserted dy with
 * the 180°-rotated filter, its in/out channels swapped; 1×1 stride-1 filters are a plain dy · Wᵀ.
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dimRoundingMode, inputShape, dataFormat } = attrs as unknown as {
    strides: [number, number];
    pad: unknown;
    dimRoundingMode: unknown;
    inputShape: [number, number, number, number];
    dataFormat: string;
  };
  if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropInput on wasm supports NHWC only');
  const ctx = { backend: backend as unknown as Backend };
  const fShape = filter.shape as [number, number, number, number];
  const info = convPads(inputShape, fShape, strides, pad, dimRoundingMode);
  const [kH, kW, inC, outC] = fShape;
  const [B, H, W] = inputShape;
  return scoped(ctx, (k) => {
    if (
      kH === 1 &&
      kW === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.padInfo.top === 0 &&
      info.padInfo.left === 0 &&
      info.outHeight === H &&
      info.outWidth === W
    ) {
      const prod = k(
        'BatchMatMul',
        { a: reshape(k, dy, [1, B * H * W, outC]), b: reshape(k, filter, [1, inC, outC]) },
        { transposeA: false, transposeB: true },
      );
      return reshape(k, prod, [B, H, W, inC]);
    }
    const up = zeroInsert(k, dy, info.strideHeight, info.strideWidth);
    const [, L1, L2] = up.shape as [number, number, number, number];
    const before = [kH - 1 - info.padInfo.top, kW - 1 - info.padInfo.left];
    const after = [Math.max(0, H - L1 - before[0]! + kH - 1), Math.max(0, W - L2 - before[1]! + kW - 1)];
    const rotated = k('Transpose', { x: k('Reverse', { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] }); // [kH, kW, outC, inC]
    const conv = k('Conv2D', { x: up, filter: rotated }, {
      strides: [1, 1],
      pad: [
        [0, 0],
        [before[0], after[0]],
        [before[1], after[1]],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap);
    const [, oh, ow] = conv.shape as [number, number, number, number];
    return oh === H && ow === W ? conv : k('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [B, H, W, inC] });
  });
};

function checkDepthwise(dilations: unknown, multiplier: number): void {
  const d = Array.isArray(dilations) ? dilations : [dilations ?? 1, dilations ?? 1];
  if (d.some((v) => v !== 1)) throw new Error('Depthwise convolution gradients on wasm support dilation 1 only');
  if (multiplier !== 1) throw new Error('Depthwise convolution gradients on wasm support channel multiplier 1 only');
}

/**
 * Our SIMD kernels (assembly/kernels.ts) take the depthwise gradients in one pass when channels come in fours.
 * Measured per call at MobileNetV2-0.35's shapes, batch 32, 2 threads, against the convolution-based versions below:
 * the filter's gradient 1.5–2.1 ms against 6.4–19 (every shape); the input's 10 against 29 ms at stride 2
 * ([32, 32, 32, 48]) but no faster at stride 1, where the old path is one XNNPACK convolution on every thread, so
 * the input's gradient uses it only for strides above 1.
 */
function simdDepthwise(info: tf.backend_util.Conv2DInfo, ...tensors: TensorInfo[]): boolean {
  return info.inChannels % 4 === 0 && tensors.every((t) => t.dtype === 'float32');
}

/** dx = full correlation of zero-inserted dy with the 180°-rotated filter (depthwise, so per channel). */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: [number, number];
    dilations: unknown;
    pad: unknown;
    dimRoundingMode: unknown;
    inputShape: [number, number, number, number];
  };
  const fShape = filter.shape as [number, number, number, number];
  checkDepthwise(dilations, fShape[3]);
  const ctx = { backend: backend as unknown as Backend };
  const info = convPads(inputShape, fShape, strides, pad, dimRoundingMode, true);
  if (simdDepthwise(info, dy, filter) && (info.strideHeight > 1 || info.strideWidth > 1)) {
    const out = (backend as unknown as WasmHeap).makeOutput(inputShape, 'float32');
    const simd = simdFor(backend);
    simd.kernels.depthwiseInputGrad(simd.offset(dy), simd.offset(filter), ...depthwiseGeometry(info), simd.offset(out));
    return out;
  }
  const [kH, kW] = fShape;
  const [, H, W] = inputShape;
  return scoped(ctx, (k) => {
    const up = zeroInsert(k, dy, info.strideHeight, info.strideWidth);
    const [, L1, L2] = up.shape as [number, number, number, number];
    const before = [kH - 1 - info.padInfo.top, kW - 1 - info.padInfo.left];
    const after = [Math.max(0, H - L1 - before[0]! + kH - 1), Math.max(0, W - L2 - before[1]! + kW - 1)];
    const rotated = k('Reverse', { x: filter }, { dims: [0, 1] });
    const conv = k('DepthwiseConv2dNative', { x: up, filter: rotated }, {
      strides: [1, 1],
      pad: [
        [0, 0],
        [before[0], after[0]],
        [before[1], after[1]],
        [0, 0],
      ],
      dilations: [1, 1],
      dataFormat: 'NHWC',
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap);
    const [B, oh, ow, C] = conv.shape as [number, number, number, number];
    return oh === H && ow === W ? conv : k('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [B, H, W, C] });
  });
};

/** dW: a depthwise correlation with the batch folded into channels and dy as the filter, then summed over the batch. */
const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number];
    dilations: unknown;
    pad: unknown;
    dimRoundingMode: unknown;
    filterShape: [number, number, number, number];
  };
  checkDepthwise(dilations, filterShape[3]);
  const ctx = { backend: backend as unknown as Backend };
  const info = convPads(x.shape, filterShape, strides, pad, dimRoundingMode, true);
  if (simdDepthwise(info, x, dy)) {
    const out = (backend as unknown as WasmHeap).makeOutput(filterShape, 'float32');
    const simd = simdFor(backend);
    const scratch = simd.scratch(12 * info.filterHeight * info.filterWidth * info.inChannels);
    simd.kernels.depthwiseFilterGrad(simd.offset(x), simd.offset(dy), ...depthwiseGeometry(info), simd.offset(out), scratch);
    return out;
  }
  const [kH, kW, C] = filterShape;
  const [B, H, W] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  return scoped(ctx, (k) => {
    const xF = reshape(k, k('Transpose', { x }, { perm: [1, 2, 0, 3] }), [1, H, W, B * C]);
    const dyF = reshape(k, k('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }), [info.outHeight, info.outWidth, B * C, 1]);
    const bottom = Math.max(0, kH - H - top + (info.outHeight - 1) * info.strideHeight);
    const right = Math.max(0, kW - W - left + (info.outWidth - 1) * info.strideWidth);
    const conv = k('DepthwiseConv2dNative', { x: xF, filter: dyF }, {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dilations: [info.strideHeight, info.strideWidth],
      dataFormat: 'NHWC',
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap);
    const cut = k('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [1, kH, kW, B * C] });
    const summed = k('Sum', { x: reshape(k, cut, [kH, kW, B, C]) }, { axis: [2], keepDims: false });
    return reshape(k, summed, [kH, kW, C, 1]);
  });
};

type WasmHeap = Backend & {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
};

/**
 * out[s] = Σ_{i: ids[i] = s} x[i] (gather's gradient) as a scatter-add straight on the wasm heap: O(N·R). A
 * one-hot(ids)ᵀ · x product would cost O(N·S·R) and an N × S one-hot matrix — a gigabyte for the ~40k
 * distances an all-triplets batch gathers from an 80 × 80 distance matrix.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  if (segmentIds.shape.length !== 1) throw new Error('UnsortedSegmentSum on wasm supports 1-D segment ids only');
  if (x.dtype !== 'float32') throw new Error('UnsortedSegmentSum on wasm supports float32 values only');
  const heap = backend as unknown as WasmHeap;
  const [N, ...rest] = x.shape;
  const R = rest.reduce((a, b) => a * b, 1);
  const out = heap.makeOutput([numSegments, ...rest], 'float32');
  const values = heap.typedArrayFromHeap(x) as Float32Array;
  const ids = heap.typedArrayFromHeap(segmentIds);
  const sums = heap.typedArrayFromHeap(out) as Float32Array;
  sums.fill(0);
  for (let i = 0; i < N!; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const src = i * R;
    const dst = s * R;
    for (let r = 0; r < R; r++) sums[dst + r]! += values[src + r]!;
  }
  return out;
};

/**
 * dx for MaxPool, replacing wasm's own (a port of the cpu kernel: for every input pixel it rescans every window that
 * covers it — 390 ms per call at 128×64×64×32, more than all the step's convolutions). One pass over the windows
 * instead: each window's first strict maximum in row-major order (the cpu kernel's rule, so a tie — all-zero
 * windows after a ReLU — sends the gradient to one pixel, not to each) receives that window's dy.
 */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32') throw new Error('MaxPoolGrad on wasm supports float32 values only');
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const heap = backend as unknown as WasmHeap;
  const out = heap.makeOutput(input.shape, 'float32');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sH, strideWidth: sW, filterHeight: fH, filterWidth: fW } = info;
  const { top, left } = info.padInfo;
  // Windows that tile the input (the 2×2/2 pools of small CNNs): our SIMD kernel, ~10× faster than the loop below.
  const tiled = sH === fH && sW === fW && top === 0 && left === 0 && OH === Math.floor(H / fH) && OW === Math.floor(W / fW);
  if (tiled && C % 4 === 0 && dy.dtype === 'float32') {
    const simd = simdFor(backend);
    const [x, g, dx] = [simd.offset(input), simd.offset(dy), simd.offset(out)];
    const item = H * W * C * 4;
    const dyItem = OH * OW * C * 4;
    simd.byItems('maxPoolTiledBackward', B, B * (2 * item + dyItem), (b0, k) => [
      x + b0 * item,
      g + b0 * dyItem,
      k,
      H,
      W,
      C,
      fH,
      fW,
      dx + b0 * item,
    ]);
    return out;
  }
  const x = heap.typedArrayFromHeap(input) as Float32Array;
  const g = heap.typedArrayFromHeap(dy) as Float32Array;
  const dx = heap.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const bestValue = new Float32Array(C);
  const bestAt = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = oh * sH - top;
      const rEnd = Math.min(H, r0 + fH);
      for (let ow = 0; ow < OW; ow++) {
        const c0 = ow * sW - left;
        const cEnd = Math.min(W, c0 + fW);
        bestValue.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let r = Math.max(0, r0); r < rEnd; r++) {
          for (let c = Math.max(0, c0); c < cEnd; c++) {
            const base = ((b * H + r) * W + c) * C;
            for (let d = 0; d < C; d++) {
              const v = x[base + d]!;
              if (v > bestValue[d]!) {
                bestValue[d] = v;
                bestAt[d] = base + d;
              }
            }
          }
        }
        const gBase = ((b * OH + oh) * OW + ow) * C;
        for (let d = 0; d < C; d++) if (bestAt[d]! >= 0) dx[bestAt[d]!]! += g[gBase + d]!;
      }
    }
  }
  return out;
};

/**
 * Sum and Mean over leading axes (a bias gradient over [B, H, W], batch-norm statistics, a Mean gradient's
 * reduction): wasm first transposes the reduced axes innermost, a full copy that costs more than the sum. Here the
 * input is read once in place, as R rows of C values, into float64 accumulators. Other reductions keep wasm's kernel.
 */
function leadingReduce(original: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const rest = x.shape.slice(axes.length);
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const cols = rest.reduce((a, b) => a * b, 1);
    const heap = backend as unknown as WasmHeap;
    const out = heap.makeOutput(keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
    if (cols % 4 === 0) {
      const simd = simdFor(backend);
      simd.kernels.columnSums(simd.offset(x), rows, cols, mean ? 1 / rows : 1, simd.offset(out), simd.scratch(12 * cols));
      return out;
    }
    const values = heap.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c]! += values[base + c]!;
    }
    const result = heap.typedArrayFromHeap(out) as Float32Array;
    const scale = mean ? 1 / rows : 1;
    for (let c = 0; c < cols; c++) result[c] = acc[c]! * scale;
    return out;
  };
}

/**
 * wasm's BatchMatMul reaches XNNPACK only without transposes and with one batch; with `transposeA` or `transposeB`
 * it runs a scalar loop 8–13× slower (measured: 1.3 against 12 GFLOP/s). Training asks for transposes all the
 * time — every dense layer's gradients, every 1×1 convolution's gradients — so those are transposed explicitly
 * (a copy, O(size)) and multiplied on the fast path (equal to float rounding: XNNPACK orders the sums its way).
 */
function fastBatchMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const single = (t: TensorInfo) => t.shape.slice(0, -2).every((d) => d === 1);
    if ((!transposeA && !transposeB) || !single(a) || !single(b)) return original(args);
    const ctx = { backend: backend as unknown as Backend };
    const [M, K] = a.shape.slice(-2) as [number, number];
    const N = b.shape.at(-2)!;
    // a·bᵀ with b the larger (a dense layer's input gradient, dy·Wᵀ): XNNPACK packs its second operand as weights at
    // every call, so the product runs as (b·aᵀ)ᵀ, packing aᵀ. Transposing a and the result costs less than
    // transposing and packing b: [64, 128]·[3136, 128]ᵀ 9.5 → 4.4–5.1 ms, [32, 128]·[1280, 128]ᵀ 4.5 → 2.0–2.5.
    if (!transposeA && transposeB && N > M && M * (N + K) < 2 * N * K) {
      return scoped(ctx, (k) => {
        const aT = k('Transpose', { x: reshape(k, a, [M, K]) }, { perm: [1, 0] });
        const prod = k(
          'BatchMatMul',
          { a: reshape(k, b, [1, N, K]), b: reshape(k, aT, [1, K, M]) },
          { transposeA: false, transposeB: false },
        );
        const outShape = [...(a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2), M, N];
        return reshape(k, k('Transpose', { x: reshape(k, prod, [N, M]) }, { perm: [1, 0] }), outShape);
      });
    }
    return scoped(ctx, (k) => {
      const flip = (t: TensorInfo, yes: boolean) => {
        if (!yes) return t;
        const [r, c] = t.shape.slice(-2) as [number, number];
        return k('Transpose', { x: reshape(k, t, [r, c]) }, { perm: [1, 0] });
      };
      // Made outside `k`, so scoped() keeps it; its shape is already the broadcast one.
      return original({
        inputs: { a: flip(a, transposeA), b: flip(b, transposeB) },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
    });
  };
}

/**
 * Identity without a copy, as the cpu backend does it: one more reference to the same buffer. wasm copies, and the
 * engine clones every tensor it saves for the backward pass (tfjs's saveTensorsForBackwardMode): 1,430 copies in a
 * MobileNetV2 step. Tensors are immutable (a variable's assign swaps its buffer), so sharing is safe.
 */
function sharedIdentity(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Batch norm with given statistics (inference: embedding, validation, the explorer) as one SIMD pass when the
 * statistics, scale and offset are per channel and channels come in fours. wasm's own kernel computes broadcast
 * indices per element: 1,477 of 2,372 ms of a MobileNetV2-1.0 forward at 224 px, batch 32.
 */
function fastBatchNorm(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    const C = x!.shape.at(-1)!;
    const perChannel = (t: TensorInfo | undefined) => t !== undefined && t.shape.length === 1 && t.shape[0] === C && t.dtype === 'float32';
    if (C % 4 !== 0 || x!.dtype !== 'float32' || ![mean, variance, offset, scale].every(perChannel)) return original(args);
    const out = (args.backend as unknown as WasmHeap).makeOutput(x!.shape, 'float32');
    const simd = simdFor(args.backend);
    const at = simd.offset;
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const rows = x!.shape.reduce((a, b) => a * b, 1) / C;
    simd.kernels.batchNormInference(
      at(x!),
      rows,
      C,
      at(mean!),
      at(variance!),
      at(scale!),
      at(offset!),
      varianceEpsilon,
      at(out),
      simd.scratch(4 * C),
    );
    return out;
  };
}

export const WASM_TRAINING_KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseBackpropInput },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseBackpropFilter },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum },
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad },
  ...WASM_FUSED_KERNELS,
];

let registered = false;
/** Kernels wasm has but whose implementation ours replaces (measured faster). */
const REPLACED = new Set(['Conv2DBackpropInput', 'MaxPoolGrad']);

/**
 * Idempotent: registers the kernels above for the wasm backend (once per process), and wraps wasm's own
 * BatchMatMul, Sum, Mean, Identity and FusedBatchNorm (keeping their setup, which binds the C functions) with the faster paths above.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const k of WASM_TRAINING_KERNELS) {
    if (REPLACED.has(k.kernelName) && tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
  const wrap = (name: string, faster: (original: KernelFunc) => KernelFunc) => {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) return;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...kernel, kernelFunc: faster(kernel.kernelFunc as KernelFunc) });
  };
  wrap('BatchMatMul', fastBatchMatMul);
  wrap('Sum', (k) => leadingReduce(k, false));
  wrap('Mean', (k) => leadingReduce(k, true));
  wrap('Identity', sharedIdentity);
  wrap('FusedBatchNorm', fastBatchNorm);
  registered = true;
}
