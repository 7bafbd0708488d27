// Child process for the threads test: our SIMD kernels on the wasm backend started with the thread count from
// argv (tfjs's threaded build puts its heap in a shared memory, so the other build of our module loads), against
// tfjs's composite on the cpu backend. Prints the heap's kind and the worst relative differences as one JSON line.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '../../main/engine/backends';
import { batchNormTraining } from '../../main/engine/ops/batch-norm-training';
import { mulberry32 } from '../../main/random';
import { relDiff } from './gradient-checks';

await useBackend('wasm', Number(process.argv[2]));
const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm.wasmMemory;
const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
};
const shape = [4, 6, 6, 24];
const n = shape.reduce((a, b) => a * b, 1);

/** y and d Σ w·relu6(y) / d(x, scale, offset), through batch norm then ReLU6: the fused path, or tfjs's. */
async function run(backend: string, fused: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const values = tf.tidy(() => {
    const [x, w] = [tf.tensor(rand(n, 1), shape), tf.tensor(rand(n, 2), shape)];
    const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      if (fused) return batchNormTraining(a, s, o, 1e-3)[0];
      const m = tf.moments(a, [0, 1, 2]);
      return tf.batchNorm(a, m.mean, m.variance, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3);
    };
    const [scale, offset] = [tf.fill([24], 3), tf.fill([24], 2)];
    return [
      f(x, scale, offset),
      ...tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.relu6(f(a, s, o)), w)))([x, scale, offset]),
    ];
  });
  const out = await Promise.all(values.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(values);
  return out;
}
const got = await run('wasm', true);
const want = await run('cpu', false);
const diffs = got.map((g, i) => relDiff(g, want[i]!));
process.stdout.write(`${JSON.stringify({ threads: getThreadsCount(), shared: memory?.buffer instanceof SharedArrayBuffer, diffs })}\n`);
