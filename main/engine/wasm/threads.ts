import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

/** Env var that sets the thread count where a config says `threads: auto` (CI pins it so no result depends on the machine). */
export const THREADS_ENV = 'METRIC_STUDIO_THREADS';

/** The thread count a run gets: an explicit number, else the env var, else every core the OS gives this process. */
export function resolveThreads(requested: 'auto' | number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (typeof requested === 'number') return requested;
  const fromEnv = Number(env[THREADS_ENV]);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  return Math.max(1, os.availableParallelism());
}

/**
 * The Emscripten pthread worker of tfjs's threaded-SIMD build, started the way Node can start it.
 *
 * tfjs keeps wasm threads off under Node (tfjs#3830) because its browser path hands Emscripten `blob:` URLs:
 * Node's `Worker` refuses them (ERR_WORKER_PATH) and the worker's `importScripts` reads files only. The package
 * also ships both scripts unbundled in `wasm-out/`, so each pthread starts from the worker script's source and is
 * told to load the factory from its file — the same code the browser path loads from blobs.
 */
function pthreadWorkerClass(): typeof NodeWorker {
  const wasmOut = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
  const factoryScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The source sits in a template literal upstream: its "\n" inside string literals are real newlines (tfjs escapes them too).
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
  return class PthreadWorker extends NodeWorker {
    constructor(_blobUrl: string | URL) {
      super(workerSource, { eval: true });
      this.unref();
    }
    /**
     * Emscripten refs a pthread's worker while it runs; XNNPACK's pool threads run for the life of the process, so
     * that would keep every process alive after its work is done. The main thread waits on them synchronously
     * whenever they have work: they never need to hold the event loop.
     */
    override ref(): void {}
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const msg = message as { cmd?: string } | null;
      super.postMessage(msg?.cmd === 'load' ? { ...msg, urlOrBlob: factoryScript } : message, transfer);
    }
  };
}

let enabled = false;

/**
 * Turns on the threaded-SIMD wasm build for the next wasm initialisation and returns a wrapper for that
 * initialisation. Call before anything initialises the wasm backend; the thread count is fixed for the process.
 */
export function enableWasmThreads(): void {
  if (enabled) return;
  enabled = true;
  const Worker = pthreadWorkerClass();
  // Emscripten assigns `global.Worker = worker_threads.Worker` while it loads; keep ours in place.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => Worker, set: () => {} });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
}

/**
 * Runs the wasm backend's initialisation so that XNNPACK gets `threads` threads. tfjs's C side caps an explicit
 * count at half the logical cores it sees (a browser heuristic for hyper-threads); the OS's count is reported
 * doubled while it initialises, so the count asked for is the count given.
 */
export async function withCoreCount<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const one = cpus()[0];
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, () => one!);
  try {
    return await init();
  } finally {
    (os as { cpus: () => os.CpuInfo[] }).cpus = cpus;
  }
}
