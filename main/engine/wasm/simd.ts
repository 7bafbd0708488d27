/**
 * Our SIMD kernels (assembly/kernels.ts, compiled into simd-binary.ts), instantiated on the heap of tfjs's wasm
 * backend: they read and write tensors where tfjs keeps them, with no copy. The module is built twice because an
 * imported memory must match in kind: tfjs's threaded build has a shared heap, its single-thread build a plain one.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
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
  transposedProduct(a: number, b: number, rows: number, I: number, J: number, out: number, scratch: number): void;
  convFilterGrad(x: number, dy: number, ...args: [...ConvGeometry, dw: number, scratch: number]): void;
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
}

const instances = new WeakMap<object, Simd>();

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
  let block = 0;
  let size = 0;
  const simd: Simd = {
    kernels,
    offset(t) {
      const data = backend.dataIdMap.get(t.dataId);
      if (!data) throw new Error('tensor is not on the wasm backend');
      return data.memoryOffset;
    },
    scratch(bytes) {
      if (bytes > size) {
        if (block) backend.wasm._free(block);
        size = Math.max(bytes, 2 * size);
        block = backend.wasm._malloc(size);
      }
      return block;
    },
  };
  instances.set(backend, simd);
  return simd;
}
