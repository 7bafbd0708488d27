/**
 * Our SIMD kernels (assembly/kernels.ts, compiled into simd-binary.ts), instantiated on the heap of tfjs's wasm
 * backend: they read and write tensors where tfjs keeps them, with no copy. The module is built twice because an
 * imported memory must match in kind: tfjs's threaded build has a shared heap, its single-thread build a plain one.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { HelperThread } from './helper-thread';
import { SIMD_KERNELS } from './simd-binary';

export interface SimdExports {
  bnForward(
    x: number,
    rows: number,
    C: number,
    scale: number,
    offset: number,
    eps: number,
    y: number,
    mean: number,
    variance: number,
    scratch: number,
  ): void;
  bnBackward(
    dy: number,
    x: number,
    rows: number,
    C: number,
    scale: number,
    mean: number,
    variance: number,
    eps: number,
    dx: number,
    dscale: number,
    doffset: number,
    scratch: number,
  ): void;
  relu6Backward(dy: number, x: number, n: number, dx: number): void;
  depthwiseFilterGrad(...args: [...DepthwisePair, ...DepthwiseGeometry, dw: number, scratch: number]): void;
  depthwiseInputGrad(...args: [...DepthwisePair, ...DepthwiseGeometry, dx: number]): void;
  /** Columns j0 … j0 + J of the O: see `byColumns`. */
  transposedProduct(
    ...args: [a: number, b: number, rows: number, I: number, O: number, j0: number, J: number, out: number, scratch: number]
  ): void;
  convFilterGrad(x: number, dy: number, ...args: [...ConvGeometry, j0: number, J: number, dw: number, scratch: number]): void;
  columnSums(x: number, rows: number, C: number, scale: number, out: number, scratch: number): void;
  batchNormInference(
    ...args: [
      x: number,
      rows: number,
      C: number,
      mean: number,
      variance: number,
      scale: number,
      offset: number,
      eps: number,
      y: number,
      scratch: number,
    ]
  ): void;
  reluBackward(dy: number, x: number, n: number, dx: number): void;
  maxPoolTiledBackward(x: number, dy: number, B: number, H: number, W: number, C: number, fH: number, fW: number, dx: number): void;
  adamStep(...args: [value: number, m: number, v: number, g: number, n: number, ...AdamScalars, w: number, m2: number, v2: number]): void;
}

/** β₁, 1 − β₁, β₂, 1 − β₂, 1 − β₁ᵗ, 1 − β₂ᵗ, ε, −lr (see assembly/kernels.ts). */
export type AdamScalars = [number, number, number, number, number, number, number, number];

/** The two tensors a depthwise gradient reads: (x, dy) for the filter's, (dy, filter) for the input's. */
type DepthwisePair = [a: number, b: number];
/** B, H, W, C, OH, OW, fH, fW, sH, sW, top, left (see assembly/kernels.ts). */
export type DepthwiseGeometry = [number, number, number, number, number, number, number, number, number, number, number, number];

/** B, H, W, in channels, out channels, OH, OW, fH, fW, sH, sW, top, left (see assembly/kernels.ts). */
export type ConvGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number];

/** The depthwise kernels' geometry from tfjs's description of the convolution. */
export function depthwiseGeometry(info: backend_util.Conv2DInfo): DepthwiseGeometry {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  return [
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** convFilterGrad's geometry: the depthwise one with the output channels after the input channels. */
export function convGeometry(info: backend_util.Conv2DInfo): ConvGeometry {
  const [B, H, W, C, ...rest] = depthwiseGeometry(info);
  return [B, H, W, C, info.outChannels, ...rest];
}

/** What we use of tfjs's wasm backend (its TypeScript class is not exported). */
interface WasmBackend {
  wasm: {
    wasmMemory?: WebAssembly.Memory;
    asm?: { memory?: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

export interface Simd {
  kernels: SimdExports;
  /** The byte offset of a tensor's values in the heap. */
  offset(t: TensorInfo): number;
  /** A scratch block of at least `bytes`, reused between calls (kernels run one at a time on this thread). */
  scratch(bytes: number): number;
  /**
   * Runs a kernel that computes columns j0 … j0 + J of O (in fours) given its arguments for a share: split between
   * this thread and the helper thread when the heap is shared, tfjs runs more than one thread and the work (`macs`
   * multiply-adds) is worth a wake-up; else whole here. `scratchBytes(J)`: what a share of J columns needs.
   */
  byColumns(
    kernel: ColumnKernel,
    O: number,
    macs: number,
    scratchBytes: (J: number) => number,
    args: (j0: number, J: number, scratch: number) => number[],
  ): void;
  /**
   * Runs a kernel over `n` independent items (a batch's images) given its arguments for items i0 … i0 + k: split
   * in two like `byColumns` when the pass (`bytes` read and written) is worth a wake-up. No item depends on another,
   * so the split changes no value.
   */
  byItems(kernel: ItemKernel, n: number, bytes: number, args: (i0: number, k: number) => number[]): void;
}

/** The kernels that take a share of their output columns. */
export type ColumnKernel = 'transposedProduct' | 'convFilterGrad';
/**
 * The kernels that take a share of their items (a batch's images). Only the max-pool gradient: it pays on 2 cores
 * (5.1 → 3.7 ms in a 28 px small-CNN step), while the ReLU and ReLU6 gradients, pure streaming passes, ran slower
 * split (ReLU6's in a MobileNetV2-0.35 step: 2.8 → 4.6–5.9 ms).
 */
export type ItemKernel = 'maxPoolTiledBackward';

/**
 * This thread's share of O columns, or null for no split. The kernels sum full blocks of 16 columns one way and the
 * columns left over another (pairs of rows): a share ends on a block boundary, so every column is summed as in the
 * whole and the results are equal bit for bit. O = 16 is one block and stays whole.
 */
function firstShare(O: number): number | null {
  if (O < 8 || O === 16) return null;
  return O < 16 ? 4 * Math.ceil(O / 8) : 16 * Math.ceil(O / 32);
}

/** Below this many multiply-adds a kernel runs on one thread: waking the helper costs tens of microseconds. */
const SPLIT_FROM_MACS = 1 << 21;
/** The same for an element-wise pass, in bytes it reads and writes (~0.1 ms of memory traffic). */
const SPLIT_FROM_BYTES = 1 << 20;

const instances = new WeakMap<object, Simd>();
const HELPER_KERNELS: readonly (ColumnKernel | ItemKernel)[] = ['transposedProduct', 'convFilterGrad', 'maxPoolTiledBackward'];

/** The kernels on this backend's heap, made once per backend. */
export function simdFor(backendObject: unknown): Simd {
  const backend = backendObject as WasmBackend;
  const cached = instances.get(backend);
  if (cached) return cached;
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!memory) throw new Error("tfjs's wasm backend exposes no memory");
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(Buffer.from(shared ? SIMD_KERNELS.shared : SIMD_KERNELS.plain, 'base64'));
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
  const blocks = [
    { at: 0, size: 0 },
    { at: 0, size: 0 },
  ];
  /** Block 0 is this thread's scratch, block 1 the helper's. */
  const scratch = (bytes: number, which = 0) => {
    const b = blocks[which]!;
    if (bytes > b.size) {
      if (b.at) backend.wasm._free(b.at);
      b.size = Math.max(bytes, 2 * b.size);
      b.at = backend.wasm._malloc(b.size);
    }
    return b.at;
  };
  let helper: HelperThread | null | undefined;
  const helperThread = () => (helper ??= shared && getThreadsCount() > 1 ? new HelperThread(module, memory, HELPER_KERNELS) : null);
  const run = (kernel: ColumnKernel | ItemKernel, args: number[]) => (kernels[kernel] as (...a: number[]) => void)(...args);
  /** `kernel(...theirs)` on the helper while `kernel(...mine)` runs here. */
  const inTwo = (h: HelperThread, kernel: ColumnKernel | ItemKernel, mine: number[], theirs: number[]) => {
    h.start(kernel, theirs);
    try {
      run(kernel, mine);
    } finally {
      h.finish();
    }
  };
  const simd: Simd = {
    kernels,
    offset(t) {
      const data = backend.dataIdMap.get(t.dataId);
      if (!data) throw new Error('tensor is not on the wasm backend');
      return data.memoryOffset;
    },
    scratch: (bytes) => scratch(bytes),
    byColumns(kernel, O, macs, scratchBytes, args) {
      const h = helperThread();
      const first = firstShare(O);
      if (!h || first === null || macs < SPLIT_FROM_MACS) {
        run(kernel, args(0, O, scratch(scratchBytes(O))));
        return;
      }
      // Both scratch blocks are made before the helper starts: an allocation may grow the heap under it.
      const mine = scratch(scratchBytes(first));
      const theirs = scratch(scratchBytes(O - first), 1);
      inTwo(h, kernel, args(0, first, mine), args(first, O - first, theirs));
    },
    byItems(kernel, n, bytes, args) {
      const h = helperThread();
      const first = Math.ceil(n / 2);
      if (!h || bytes < SPLIT_FROM_BYTES || first >= n) run(kernel, args(0, n));
      else inTwo(h, kernel, args(0, first), args(first, n - first));
    },
  };
  instances.set(backend, simd);
  return simd;
}
