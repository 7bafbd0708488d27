/**
 * tfjs-layers' BatchNormalization, trained through the fused kernels of ops/batch-norm-training.ts where the
 * backend has them (wasm, cpu). Inference, other backends, and layers without γ or β or normalising another axis
 * than the last keep tfjs's own path. The moving averages are updated exactly as tfjs does: m ← m − (m − v)·(1 − momentum)
 * (one kernel, ops/batch-norm-training.ts's movingAverage).
 *
 * A frozen batch norm (the layer, or its γ and β, not trainable) normalises with its moving statistics and leaves
 * them as they are, in training as in inference — Keras's rule since TF 2, and the only one under which a frozen
 * trunk's output can be computed once and cached. tfjs-layers ignores `trainable` here: a "frozen" layer below
 * `train_from` used its batch's statistics and moved its averages on every step.
 *
 * Patched on the class, not subclassed: every model gets it, built here or loaded from a saved topology (the zoo's),
 * and saved models keep tfjs's class name.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasBatchNormTraining, movingAverages } from '../ops/batch-norm-training';

interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}
interface BatchNormLayer {
  trainable: boolean;
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: (LayerVariable & { trainable: boolean }) | null;
  beta: (LayerVariable & { trainable: boolean }) | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}
type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor;

/** Not trained: the layer is frozen, or it has γ or β and none of them trains. */
export function isFrozen(layer: BatchNormLayer): boolean {
  const affine = [layer.gamma, layer.beta].filter((w) => w !== null);
  return !layer.trainable || (affine.length > 0 && affine.every((w) => !w.trainable));
}

let patched = false;
/** Idempotent: routes training-mode batch norm through the fused kernels wherever they are registered. */
export function fuseBatchNormTraining(): void {
  if (patched) return;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const stock = proto.call;
  proto.call = function (inputs, kwargs) {
    if (kwargs?.training && isFrozen(this)) return stock.call(this, inputs, { ...kwargs, training: false });
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
    const fused = kwargs?.training === true && axis === x.rank - 1 && x.dtype === 'float32' && this.gamma && this.beta;
    if (!fused || !hasBatchNormTraining()) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
      // One kernel for both: tfjs-layers' Sub, Mul, Sub per statistic were 6 of a MobileNetV2 step's ~40 kernels per
      // layer, each with its bookkeeping (and a scalar upload for 1 − momentum).
      const [m, v] = movingAverages(this.movingMean.read(), this.movingVariance.read(), mean, variance, 1 - this.momentum);
      this.movingMean.write(m);
      this.movingVariance.write(v);
      return y;
    });
  };
  patched = true;
}
