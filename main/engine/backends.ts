import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { enableWasmThreads, resolveThreads, withCoreCount } from './wasm/threads';
import { registerGradients } from './gradients/batch-norm';
import { fuseBatchNormTraining } from './models/batch-norm-layer';
import { fuseRelu6Layer } from './models/relu-layer';
import { registerBatchNormTraining } from './ops/batch-norm-training';
import { fuseAdam } from './train/fused-adam';
import { BACKEND_PREFERENCE, autoSelectable, type BackendName, type BackendProbe, type BackendReport } from '../../shared/schemas/engine';
import { adapterLabel, loadWebgpu, registerWebgpuBackend } from './webgpu';

const require = createRequire(import.meta.url);

const PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

function packageVersion(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find (package|module)/.test(msg))
    return 'not installed (its native download needs internet at install time, or it was skipped)';
  return msg.split('\n')[0]!;
}

/** tfjs-node(-gpu) both register tfjs's "tensorflow" backend; loading them is the only honest probe. */
async function probeNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<BackendProbe> {
  const pkg = PACKAGES[name];
  try {
    const specifier = pkg; // a variable keeps bundlers and tsc from requiring the optional package
    await import(specifier);
    const ok = tf.findBackendFactory('tensorflow') !== null;
    return {
      name,
      package: pkg,
      available: ok,
      version: packageVersion(pkg),
      detail: ok ? 'libtensorflow loaded' : 'package loaded but registered no backend',
    };
  } catch (err) {
    return { name, package: pkg, available: false, version: packageVersion(pkg), detail: reason(err) };
  }
}

let wasmThreads: number | null = null;
/**
 * Points the wasm backend at its .wasm files on disk (Node has no fetch path for them) and fixes its thread count
 * for this process: one thread runs the plain SIMD build, more run the threaded-SIMD build on `worker_threads`.
 * The first call wins — the backend initialises once per process.
 */
export function configureWasm(threads: number = resolveThreads('auto')): void {
  if (wasmThreads !== null) return;
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(dist + path.sep);
  if (threads > 1) enableWasmThreads();
  setThreadsCount(threads);
  wasmThreads = threads;
}

async function probeWasm(): Promise<BackendProbe> {
  const pkg = PACKAGES.wasm;
  try {
    configureWasm();
    const previous = tf.getBackend();
    const ok = await withCoreCount(wasmThreads!, () => tf.setBackend('wasm'));
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = ok ? getThreadsCount() : 0;
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
    return {
      name: 'wasm',
      package: pkg,
      available: ok,
      version: packageVersion(pkg),
      detail: ok ? `WebAssembly${simd ? ' + SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}` : 'failed to initialise',
    };
  } catch (err) {
    return { name: 'wasm', package: pkg, available: false, version: packageVersion(pkg), detail: reason(err) };
  }
}

/** How long a GPU driver may take to answer the probe (it takes ~75 ms): a hung driver must not hold up training on the CPU. */
export const WEBGPU_PROBE_MS = 15_000;

/** Dawn and its adapter: available where a Vulkan/Metal/D3D12 driver answers, auto-selectable only on real GPUs. */
async function probeWebgpu(): Promise<BackendProbe> {
  const pkg = PACKAGES.webgpu;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the GPU driver did not answer within ${WEBGPU_PROBE_MS / 1000} s`)), WEBGPU_PROBE_MS);
      timer.unref();
    });
    const { report } = await Promise.race([loadWebgpu(), timeout]);
    const detail = report.fallback
      ? 'a software adapter, emulated on the CPU and slower than wasm: never chosen by auto (backend: webgpu forces it)'
      : `Dawn on ${adapterLabel(report)}`;
    return { name: 'webgpu', package: pkg, available: true, version: packageVersion(pkg), detail, adapter: report };
  } catch (err) {
    return { name: 'webgpu', package: pkg, available: false, version: packageVersion(pkg), detail: reason(err) };
  } finally {
    clearTimeout(timer);
  }
}

const PROBES: Record<BackendName, () => Promise<BackendProbe>> = {
  'tensorflow-gpu': () => probeNative('tensorflow-gpu'),
  webgpu: probeWebgpu,
  tensorflow: () => probeNative('tensorflow'),
  wasm: probeWasm,
  cpu: async () => ({
    name: 'cpu',
    package: PACKAGES.cpu,
    available: true,
    version: packageVersion(PACKAGES.cpu),
    detail: 'pure JavaScript: fine for inference, far too slow to train',
  }),
};
const probed = new Map<BackendName, Promise<BackendProbe>>();
/** One backend's probe, once per process. */
function probeOne(name: BackendName): Promise<BackendProbe> {
  if (!probed.has(name)) probed.set(name, PROBES[name]());
  return probed.get(name)!;
}

let cached: Promise<BackendReport> | null = null;

/** Tries every backend once per process, in preference order, and keeps the answer. */
export function probeBackends(): Promise<BackendReport> {
  cached ??= (async () => {
    const probes: BackendProbe[] = [];
    for (const name of BACKEND_PREFERENCE) probes.push(await probeOne(name));
    const selected = BACKEND_PREFERENCE.find((n) => probes.some((p) => p.name === n && autoSelectable(p))) ?? 'cpu';
    return { selected, probes };
  })();
  return cached;
}

export interface ActiveBackend {
  name: BackendName;
  version: string | null;
  threads: number;
  detail: string;
  /** The GPU it runs on, for people (webgpu), or null. */
  device: string | null;
  /** The backends preferred to it that were not used, and why: shown so a user sees why their GPU did not run. */
  passedOver: { name: BackendName; detail: string }[];
}

/**
 * Makes `preference` (or the best that loads, for "auto") the active tfjs backend, with the wasm training kernels
 * registered. A backend that was asked for by name and does not load is an error that says why; only it is probed.
 */
export async function useBackend(preference: 'auto' | BackendName, threads: 'auto' | number = 'auto'): Promise<ActiveBackend> {
  configureWasm(resolveThreads(threads));
  const report = preference === 'auto' ? await probeBackends() : null;
  const name = report?.selected ?? (preference as BackendName);
  const probe = await probeOne(name);
  if (!probe.available) throw new Error(`Backend "${name}" is not available: ${probe.detail}`);
  registerGradients();
  registerBatchNormTraining();
  fuseBatchNormTraining();
  fuseRelu6Layer();
  fuseAdam();
  let count = 1;
  if (name === 'wasm') {
    const { registerWasmTrainingKernels } = await import('./wasm/kernels');
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    count = getThreadsCount();
  } else if (name === 'cpu' || name === 'webgpu') {
    if (name === 'webgpu') await registerWebgpuBackend();
    await tf.setBackend(name);
    if (name === 'webgpu') count = 0; // the GPU's own parallelism, no CPU pool
  } else {
    await tf.setBackend('tensorflow');
    count = 0; // native TensorFlow manages its own thread pools
  }
  await tf.ready();
  const rank = BACKEND_PREFERENCE.indexOf(name);
  // Named in the config: nothing was passed over.
  const passedOver = (report?.probes ?? [])
    .filter((p) => BACKEND_PREFERENCE.indexOf(p.name) < rank)
    .map(({ name, detail }) => ({ name, detail }));
  return {
    name,
    version: probe.version,
    threads: count,
    detail: probe.detail,
    device: probe.adapter ? adapterLabel(probe.adapter) : null,
    passedOver,
  };
}
