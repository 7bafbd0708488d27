/**
 * tfjs-layers' BatchNormalization with a closed-form training backward. In training, tfjs normalises with the
 * batch's moments and lets autodiff walk back through `moments` (a Mean, a SquaredDifference, another Mean, their
 * broadcasts) and the FusedBatchNorm gradient: ~15 full-size element-wise kernels per layer, most of a MobileNetV2
 * step on wasm. Here the forward is the same kernel on the same moments (bit-identical outputs) and the backward is
 * the textbook one: with x̂ = (x − μ)·σ⁻¹ over the N values of a channel,
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·σ⁻¹ · (dy − dβ/N − x̂·dγ/N).
 * It is registered under tfjs's own class name, so saved models read back as this class and stay loadable by
 * stock tfjs; inference and non-last-axis layouts use the parent's code.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';

type LayerArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

const StockBatchNorm = tf.layers.batchNormalization({}).constructor as unknown as new (
  args?: LayerArgs,
) => tf.layers.Layer & {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[];
};

/** y = γ·(x − μ)·σ⁻¹ + β with the batch's μ, σ² (closure constants: the gradient accounts for them in closed form). */
function trainingNormalize(x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, epsilon: number): Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const n = x.size / x.shape[x.rank - 1]!;
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [Tensor, Tensor, Tensor, tf.GradSaveFunc];
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    // Saved (kept by the engine): `mean` itself belongs to the layer call's scope, gone when backprop runs.
    save([xs, g, rstd, mean]);
    return {
      value: tf.batchNorm(xs, mean, variance, b, g, epsilon),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [x0, g0, r, mu] = saved as [Tensor, Tensor, Tensor, Tensor];
        const xhat = tf.mul(tf.sub(x0, mu), r);
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, xhat), axes);
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(xhat, tf.div(dGamma, n)));
        return [tf.mul(centred, tf.mul(g0, r)), dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta) as Tensor;
}

export class BatchNormalization extends StockBatchNorm {
  static className = 'BatchNormalization';

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = this.axis === -1 || this.axis === input.rank - 1;
    if (!kwargs.training || !lastAxis || !this.center || !this.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const axes = Array.from({ length: input.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(input, axes);
      const out = trainingNormalize(input, this.gamma.read(), this.beta.read(), mean, variance, this.epsilon);
      // The moving statistics, updated exactly as tfjs-layers does.
      for (const [v, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        const orig = v.read();
        v.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - this.momentum)));
      }
      return out;
    });
  }
}

let registered = false;
/** Models deserialised from now on (checkpoints, zoo networks) get this class for "BatchNormalization". */
export function registerBatchNormalization(): void {
  if (registered) return;
  tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  registered = true;
}

export const batchNormalization = (args: LayerArgs): tf.layers.Layer => new BatchNormalization(args);
