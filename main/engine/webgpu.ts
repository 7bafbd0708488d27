/**
 * TensorFlow.js's WebGPU backend in Node through Google's Dawn (`webgpu` npm package: prebuilt `dawn.node` for
 * Linux/Vulkan, macOS/Metal and Windows/D3D12, nothing downloaded at install). A GPU for users without CUDA.
 *
 * The adapter is probed once per process and reported (vendor, architecture, limits). A software adapter —
 * Mesa's lavapipe/llvmpipe, SwiftShader, Dawn's fallback — runs every kernel correctly but on the CPU and far
 * slower than wasm, so `auto` never picks it; naming the backend forces it (the functional tests do).
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuAdapter } from '../../shared/schemas/engine';

/** The slice of the WebGPU API this module touches (Dawn implements the whole standard). */
interface Adapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(desc: object): Promise<Device>;
}
interface Device {
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (e: { error: { message: string; constructor: { name: string } } }) => void): void;
}
interface Gpu {
  requestAdapter(options?: object): Promise<Adapter | null>;
}

/** Limits worth showing: what bounds a batch. */
const SHOWN_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
];

/** Names of CPU-emulated Vulkan/D3D/Metal implementations, for drivers that do not flag themselves as fallback. */
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|warp/i;

export function describeAdapter(adapter: Adapter): GpuAdapter {
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
  const fallback = Boolean(isFallbackAdapter) || SOFTWARE.test(`${architecture} ${device} ${description}`);
  const limits: Record<string, number> = {};
  for (const key of SHOWN_LIMITS) if (typeof adapter.limits[key] === 'number') limits[key] = adapter.limits[key]!;
  return { vendor, architecture, device, description, fallback, limits };
}

/** One line for people: "NVIDIA ampere (NVIDIA GeForce RTX 3080)" or "mesa software (llvmpipe …) — software". */
export function adapterLabel(a: GpuAdapter): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown GPU';
  const what = a.description || a.device;
  return `${name}${what ? ` (${what})` : ''}${a.fallback ? ' — software adapter' : ''}`;
}

interface Loaded {
  adapter: Adapter;
  report: GpuAdapter;
}

let loading: Promise<Loaded> | null = null;
/** The first error Dawn reported outside an error scope since the last look (out-of-memory arrives this way). */
let lastDeviceError: { kind: string; message: string } | null = null;

/**
 * Loads Dawn and finds the high-performance adapter: the probe (~75 ms). Throws, with the loader's reason, where
 * Dawn does not load or finds no adapter (no Vulkan driver, a headless box without one).
 */
export function loadWebgpu(): Promise<Loaded> {
  loading ??= (async () => {
    const specifier = 'webgpu'; // a native module: loaded only when asked for
    const { create, globals } = (await import(specifier)) as { create(flags: string[]): Gpu; globals: Record<string, unknown> };
    // tfjs's webgpu backend reads GPUBufferUsage/GPUMapMode/… as globals, as in a browser.
    for (const [key, value] of Object.entries(globals)) if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    const gpu = create([]);
    const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('Dawn loaded but found no GPU adapter (no Vulkan, Metal or D3D12 driver)');
    return { adapter, report: describeAdapter(adapter) };
  })();
  return loading;
}

let registered: Promise<void> | null = null;
/**
 * Registers tfjs's `webgpu` backend on the probed adapter — only in a process that will run on it: the package
 * takes ~100 ms to load, which every probing process (each CLI command, each worker) would otherwise pay.
 */
export function registerWebgpuBackend(): Promise<void> {
  registered ??= (async () => {
    const { adapter } = await loadWebgpu();
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    // The package registers its own factory when imported; ours uses the adapter that was probed and reported,
    // and listens for the errors Dawn raises outside error scopes. Priority 1, under wasm's 2: nothing that leaves
    // the choice to tfjs lands on a GPU (perhaps a software one) by accident; useBackend names it.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      async () => {
        const l = adapter.limits;
        const device = await adapter.requestDevice({
          requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
          requiredLimits: {
            maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
            maxBufferSize: l.maxBufferSize,
            maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          },
        });
        // The first error is the cause; what follows ("invalid due to a previous error") only repeats it.
        device.addEventListener('uncapturederror', (e) => {
          lastDeviceError ??= { kind: e.error.constructor.name, message: e.error.message };
        });
        void device.lost.then((info) => {
          lastDeviceError ??= { kind: 'device lost', message: `${info.reason}: ${info.message}` };
        });
        return new WebGPUBackend(device as never, adapter.info as never);
      },
      1,
    );
  })();
  return registered;
}

/** The first error Dawn reported outside tfjs's own checks since the last call (an out-of-memory, a lost device), cleared. */
export function takeDeviceError(): { kind: string; message: string } | null {
  const e = lastDeviceError;
  lastDeviceError = null;
  return e;
}

/** Bytes tfjs holds on the GPU now (its buffer pool included), or null off webgpu. */
export function gpuBytes(): { used: number; allocated: number } | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  return { used: m.numBytesInGPU ?? 0, allocated: m.numBytesAllocatedInGPU ?? m.numBytesInGPU ?? 0 };
}
