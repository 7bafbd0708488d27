import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { BatchNormalization } from '../../main/engine/models/batch-norm';
import { mulberry32 } from '../../main/random';

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 1);
};

/** Training-mode calls of a layer: its output, the gradients for x, γ and β, and the moving statistics after. */
function run(layer: tf.layers.Layer, shape: number[]) {
  return tf.tidy(() => {
    const x = tf.tensor(
      rand(
        shape.reduce((a, b) => a * b, 1),
        1,
      ),
      shape,
    );
    layer.build(x.shape);
    const [gamma, beta, movingMean, movingVariance] = layer.weights;
    gamma!.write(tf.tensor1d(rand(shape.at(-1)!, 2)));
    beta!.write(tf.tensor1d(rand(shape.at(-1)!, 3)));
    const w = tf.tensor(rand(x.size, 4), shape);
    const loss = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, w));
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const dx = tf.grad(loss)(x);
    const { grads } = tf.variableGrads(() => loss(x) as tf.Scalar, [gamma!.read() as tf.Variable, beta!.read() as tf.Variable]);
    return {
      y: Array.from(y.dataSync()),
      grads: [dx, ...Object.values(grads)].map((g) => Array.from(g.dataSync())),
      moving: [Array.from(movingMean!.read().dataSync()), Array.from(movingVariance!.read().dataSync())],
    };
  });
}

describe('BatchNormalization with a closed-form training gradient', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`gives tfjs's outputs bit for bit and its gradients to float rounding (${backend})`, async () => {
      configureWasm(1);
      await tf.setBackend(backend);
      for (const shape of [
        [4, 5, 6, 7],
        [9, 3],
      ]) {
        const ours = run(new BatchNormalization({ momentum: 0.9, epsilon: 1e-3 }), shape);
        const theirs = run(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }), shape);
        expect(ours.y).toEqual(theirs.y);
        expect(ours.moving).toEqual(theirs.moving);
        ours.grads.forEach((g, i) => {
          const scale = Math.max(...theirs.grads[i]!.map(Math.abs));
          const worst = Math.max(...g.map((v, j) => Math.abs(v - theirs.grads[i]![j]!)));
          expect(worst / scale).toBeLessThan(2e-5);
        });
      }
    });
  }

  it('leaves no tensor behind over repeated training steps', async () => {
    await tf.setBackend('wasm');
    const layer = new BatchNormalization({});
    const x = tf.randomNormal([2, 3, 3, 4]);
    layer.build(x.shape);
    const step = () =>
      tf.tidy(() => {
        tf.grad((a: tf.Tensor) => tf.sum(tf.square(layer.apply(a, { training: true }) as tf.Tensor)))(x).dataSync();
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('serialises as tfjs BatchNormalization and reads back as this class once registered', async () => {
    await tf.setBackend('cpu');
    const { registerBatchNormalization } = await import('../../main/engine/models/batch-norm');
    registerBatchNormalization();
    const input = tf.input({ shape: [4, 4, 3] });
    const model = tf.model({ inputs: input, outputs: new BatchNormalization({}).apply(input) as tf.SymbolicTensor });
    const json = JSON.stringify(model.toJSON(undefined, false));
    expect(json).toContain('"class_name":"BatchNormalization"');
    const back = await tf.models.modelFromJSON(JSON.parse(json));
    expect(back.layers[1]).toBeInstanceOf(BatchNormalization);
  });
});
