/**
 * A second thread for our SIMD kernels on the threaded build's shared heap. tfjs's XNNPACK kernels spread over its
 * own pool of threads; ours ran on the calling thread alone, while the pool waited: a fifth of a MobileNetV2 step
 * on two threads. A kernel that can split its output columns gives the helper one share and computes the other:
 * each column's sums are the same in the same order, so the result is the single-thread one bit for bit.
 *
 * The helper is a `worker_thread` started from source (no file to find in a bundle or an asar) that instantiates
 * the same module on the same memory. Calls go through a small SharedArrayBuffer: the caller writes the kernel and
 * its arguments, bumps a sequence number and wakes the helper; the helper runs, writes the number back and wakes the
 * caller, which waits for it after computing its own share.
 */
import { Worker } from 'node:worker_threads';

// Control words: the call's sequence number, the kernel, the argument count, the finished call, its status.
const SEQ = 0;
const KERNEL = 1;
const COUNT = 2;
const DONE = 3;
const STATUS = 4;
const MAX_ARGS = 32;
/** How long the caller waits for the helper's share before it gives up (a helper that died never answers). */
const TIMEOUT_MS = 60_000;

const SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control, 0, 8);
const args = new Float64Array(control, 32, ${MAX_ARGS});
let seen = 0;
for (;;) {
  const seq = Atomics.load(ctl, ${SEQ});
  if (seq === seen) {
    Atomics.wait(ctl, ${SEQ}, seen);
    continue;
  }
  seen = seq;
  let status = 0;
  try {
    kernels[names[ctl[${KERNEL}]]](...Array.from(args.subarray(0, ctl[${COUNT}])));
  } catch {
    status = 1;
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
}
`;

export class HelperThread {
  private readonly worker: Worker;
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private seq = 0;
  private running = false;

  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly names: readonly string[],
  ) {
    const control = new SharedArrayBuffer(32 + 8 * MAX_ARGS);
    this.ctl = new Int32Array(control, 0, 8);
    this.args = new Float64Array(control, 32, MAX_ARGS);
    this.worker = new Worker(SOURCE, { eval: true, workerData: { module, memory, control, names } });
    // It waits on the control words for the life of the process, never on the event loop: unref'd, it does not
    // keep a finished process alive (as tfjs's own pool threads, wasm/threads.ts).
    this.worker.unref();
  }

  /** Starts `kernel(...args)` on the helper; `finish` waits for it. */
  start(kernel: string, args: readonly number[]): void {
    if (this.running) throw new Error('the helper thread is already running a kernel');
    const index = this.names.indexOf(kernel);
    if (index < 0 || args.length > MAX_ARGS) throw new Error(`the helper thread cannot run ${kernel} with ${args.length} arguments`);
    this.args.set(args);
    Atomics.store(this.ctl, KERNEL, index);
    Atomics.store(this.ctl, COUNT, args.length);
    this.seq++;
    this.running = true;
    Atomics.store(this.ctl, SEQ, this.seq);
    Atomics.notify(this.ctl, SEQ);
  }

  finish(): void {
    const deadline = performance.now() + TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (done === this.seq) break;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error('the SIMD helper thread did not answer (it may have stopped)');
      Atomics.wait(this.ctl, DONE, done, left);
    }
    this.running = false;
    if (Atomics.load(this.ctl, STATUS) !== 0) throw new Error('a SIMD kernel failed on the helper thread');
  }
}
