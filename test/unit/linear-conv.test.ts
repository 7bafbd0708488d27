// Linear fused convolutions under a gradient tape go through conv2d's lazy gradient (gradients/linear-conv.ts):
// the same values and weight gradients as tfjs's fused custom gradient, without the input's gradient where the
// input is data (a network's stem).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { unfuseLinearConvUnderTape } from '../../main/engine/gradients/linear-conv';
import { mulberry32 } from '../../main/random';

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** d Σ w·conv(x) / d(filter, bias) with filter and bias as variables, and the kernels that ran. */
async function weightGradients(withBias: boolean) {
  const x = tf.tensor4d(rand(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
  const filter = tf.variable(tf.tensor4d(rand(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]));
  const bias = tf.variable(tf.tensor1d(rand(4, 3)));
  const w = tf.tensor4d(rand(2 * 5 * 5 * 4, 4), [2, 5, 5, 4]);
  let grads: tf.NamedTensorMap = {};
  const vars = withBias ? [filter, bias] : [filter];
  const { kernelNames } = await tf.profile(() => {
    const out = tf.variableGrads(
      () => tf.sum(tf.mul(tf.fused.conv2d({ x, filter, strides: 2, pad: 'same', bias: withBias ? bias : undefined }), w)),
      vars,
    );
    grads = out.grads;
    return out.value;
  });
  const values = await Promise.all(vars.map(async (v) => Array.from(await grads[v.name]!.data())));
  tf.dispose([x, filter, bias, w, ...Object.values(grads)]);
  return { values, kernelNames };
}

describe('linear convolutions under a tape', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("gives the fused gradient's weight gradients, with and without a bias, and no input gradient", async () => {
    // tfjs's own first: the patch is process-wide.
    const theirs = [await weightGradients(false), await weightGradients(true)];
    unfuseLinearConvUnderTape();
    const ours = [await weightGradients(false), await weightGradients(true)];
    for (const [k, mine] of ours.entries()) {
      expect(theirs[k]!.kernelNames).toContain('Conv2DBackpropInput'); // what the patch avoids
      expect(mine.kernelNames).not.toContain('Conv2DBackpropInput');
      expect(mine.kernelNames).toContain('Conv2DBackpropFilter');
      expect(mine.values.length).toBe(k === 0 ? 1 : 2);
      for (const [i, g] of mine.values.entries()) {
        const want = theirs[k]!.values[i]!;
        for (const [j, v] of g.entries()) expect(v).toBeCloseTo(want[j]!, 5);
      }
    }
  });

  it('leaves inference on the fused kernel', async () => {
    unfuseLinearConvUnderTape();
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const filter = tf.ones([1, 1, 2, 3]) as tf.Tensor4D;
    const { kernelNames } = await tf.profile(() => tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias: tf.ones([3]) }));
    expect(kernelNames).toContain('FusedConv2D');
    tf.dispose([x, filter]);
  });
});
