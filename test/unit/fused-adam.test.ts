// Adam as one AdamStep kernel per variable on wasm (train/fused-adam.ts) computes tfjs's AdamOptimizer: the same
// weights, moments and optimizer state, bit for bit, as tfjs's own update on the cpu backend (both are IEEE
// float32 operations in the same order), through a resume from the saved state.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { fuseAdam } from '../../main/engine/train/fused-adam';
import { registerWasmTrainingKernels } from '../../main/engine/wasm/kernels';
import { mulberry32 } from '../../main/random';

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
// Sizes in fours and not (the kernel's scalar tail), a scalar, and one variable left without a gradient.
const SHAPES = [[3, 3, 4, 8], [7], [5, 3], []] as const;

/** Steps `from`..`to` of seeded gradients on `vars` with a fresh Adam, optionally restored from a saved state. */
async function steps(vars: tf.Variable[], from: number, to: number, state?: { name: string; tensor: tf.Tensor }[]) {
  const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
  if (state) await optimizer.setWeights(state);
  for (let step = from; step < to; step++) {
    const grads: tf.NamedTensorMap = {};
    for (const [i, v] of vars.slice(0, -1).entries()) grads[v.name] = tf.tensor(rand(v.size, 100 * step + i), v.shape);
    optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
    tf.dispose(Object.values(grads));
  }
  const saved = (await optimizer.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
  optimizer.dispose();
  return saved;
}

/** Six steps on fresh variables on `backend` — straight, or three, a save and three from the saved state. */
async function train(backend: string, tag: string, resume: boolean) {
  await tf.setBackend(backend);
  const vars = SHAPES.map((s, i) =>
    tf.variable(
      tf.tensor(
        rand(
          s.reduce((a, b) => a * b, 1),
          i + 1,
        ),
        [...s],
      ),
      true,
      `${tag}_${i}`,
    ),
  );
  const state = resume ? await steps(vars, 3, 6, await steps(vars, 0, 3)) : await steps(vars, 0, 6);
  const weights = await Promise.all(vars.map(async (v) => Array.from(await v.data())));
  const saved = await Promise.all(
    state.map(async ({ name, tensor }) => ({ name: name.replace(`${tag}_`, ''), values: Array.from(await tensor.data()) })),
  );
  tf.dispose([...vars, ...state.map((s) => s.tensor)]);
  return { weights, saved };
}

describe('Adam as one kernel per variable', () => {
  beforeAll(() => {
    configureWasm(1);
    registerWasmTrainingKernels();
    fuseAdam();
  });

  it("gives tfjs's weights and state bit for bit, also across a save and resume", async () => {
    const theirs = await train('cpu', 'cpu', false);
    const ours = await train('wasm', 'wasm', false);
    expect(ours.weights).toEqual(theirs.weights);
    expect(ours.saved).toEqual(theirs.saved);
    // The update moved every variable with a gradient and left the last one as it was.
    const initial = SHAPES.map((s, i) =>
      Array.from(
        rand(
          s.reduce((a, b) => a * b, 1),
          i + 1,
        ),
      ),
    );
    for (const i of [0, 1, 2]) expect(ours.weights[i]).not.toEqual(initial[i]);
    expect(ours.weights[3]).toEqual(initial[3]);
    expect(ours.saved.map((s) => s.name)).toEqual(['iter', '0/m', '1/m', '2/m', '0/v', '1/v', '2/v']);
    // A checkpoint's optimizer state restores the moments and the β powers (through the iteration count).
    const resumed = await train('wasm', 'res', true);
    expect(resumed.weights).toEqual(ours.weights);
    expect(resumed.saved).toEqual(ours.saved);
  });
});
