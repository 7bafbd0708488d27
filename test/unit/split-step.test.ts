import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExtractorConfig } from '../../shared/schemas/config';
import { useBackend } from '../../main/engine/backends';
import { buildExtractor, trainableWeights } from '../../main/engine/models/extractor';
import { TripletLossWithMiner } from '../../main/engine/losses/triplet';
import { HardTripletsMiner } from '../../main/engine/miners/hard-triplets';
import { splitGradients } from '../../main/engine/train/split-step';
import { mulberry32 } from '../../main/random';
import { relDiff } from '../helpers/gradient-checks';

beforeAll(async () => {
  await useBackend('wasm', 1);
});

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

function maxRelDiff(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  return Math.max(...Object.keys(b).map((name) => relDiff(a[name]!.dataSync(), b[name]!.dataSync())));
}

describe('splitGradients: the forward read back asynchronously before the loss', () => {
  // A small CNN with batch norm (its moving statistics are side branches off the tape) and a hard-triplet miner
  // that reads the features on the CPU: the step the trainer takes.
  const labels = Int32Array.from({ length: 12 }, (_, i) => Math.floor(i / 3));
  const setup = () => {
    const model = buildExtractor(ExtractorConfig.parse({ name: 'small_cnn', args: { emb_dim: 16 } }), [12, 12, 1], 3);
    const x = tf.tensor4d(rand(12 * 12 * 12, 5), [12, 12, 12, 1]);
    return { model, x, vars: trainableWeights(model, false) };
  };

  it('gives the gradients of one tf.variableGrads over the whole step, and frees the tape', async () => {
    const { model, x, vars } = setup();
    const criterion = () => new TripletLossWithMiner({ margin: 0.2 }, new HardTripletsMiner());
    // Moving statistics change on every training-mode forward: both computations start from the same ones.
    const before = model.getWeights().map((w) => w.clone());
    const whole = tf.variableGrads(() => {
      const f = model.apply(x, { training: true }) as tf.Tensor2D;
      return criterion().compute(f, labels).loss as tf.Scalar;
    }, vars);
    model.setWeights(before);
    const tensors = tf.memory().numTensors;
    let seen: Float32Array | null = null;
    const split = await splitGradients(
      () => model.apply(x, { training: true }) as tf.Tensor,
      (f, values) => {
        seen = values;
        return criterion().compute(f as tf.Tensor2D, labels, values).loss as tf.Scalar;
      },
      vars,
    );
    expect(seen!.length).toBe(12 * 16);
    expect(Object.keys(split.grads).sort()).toEqual(Object.keys(whole.grads).sort());
    expect(Object.keys(split.grads).length).toBe(vars.length);
    expect(maxRelDiff(split.grads, whole.grads)).toBeLessThan(1e-5);
    expect(Math.abs(split.value.dataSync()[0]! - whole.value.dataSync()[0]!)).toBeLessThan(1e-6);
    // Only the value and one gradient per variable outlive the step (plus the pending logs the criterion kept).
    const pendingKept = 3;
    expect(tf.memory().numTensors - tensors).toBe(1 + vars.length + pendingKept);
    const engine = tf.engine() as unknown as { state: { gradientDepth: number; activeTape: unknown } };
    expect(engine.state.gradientDepth).toBe(0);
    expect(engine.state.activeTape).toBeNull();
    tf.dispose([split.value, whole.value, ...Object.values(split.grads), ...Object.values(whole.grads), x, ...before]);
  });

  it('leaves the engine clean when the head throws (a miner that finds no triplets)', async () => {
    const { model, x, vars } = setup();
    const tensors = tf.memory().numTensors;
    await expect(
      splitGradients(
        () => model.apply(x, { training: true }) as tf.Tensor,
        () => {
          throw new Error('no triplets');
        },
        vars,
      ),
    ).rejects.toThrow('no triplets');
    expect(tf.memory().numTensors).toBe(tensors);
    const engine = tf.engine() as unknown as { state: { gradientDepth: number; activeTape: unknown } };
    expect(engine.state.gradientDepth).toBe(0);
    // The next ordinary gradient works.
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(t)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
    x.dispose();
  });
});
