/**
 * tfjs's Adam with one kernel per variable where the backend has it (wasm: our SIMD `AdamStep`). tfjs's own
 * applyGradients runs about a dozen kernels per variable — 1,900 for MobileNetV2's 158 variables, 44 ms of a
 * ~300 ms step on wasm — for what is one pass over four arrays. The optimizer object, its moment variables (the
 * checkpoint's `…/m` and `…/v`), its β powers and its iteration count are tfjs's, updated with the same float32
 * operations in the same order, so the weights are the same numbers (tested).
 */
import * as tf from '@tensorflow/tfjs';

export const ADAM_STEP = 'AdamStep';

interface Slot {
  originalName: string;
  variable: tf.Variable;
}
/** AdamOptimizer's fields, which tfjs's typings mark protected. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}
type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

function fusedApply(this: AdamState, gradients: Gradients): void {
  const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
  const engine = tf.engine() as unknown as { registeredVariables: Record<string, tf.Variable> };
  // c = 1 − βᵗ as tfjs's sub(1, accBeta) makes it: a float32 subtraction of float32 values.
  const power = (t: tf.Variable) => (tf.backend().readSync(t.dataId) as Float32Array)[0]!;
  const c1 = Math.fround(1 - power(this.accBeta1));
  const c2 = Math.fround(1 - power(this.accBeta2));
  const attrs = {
    beta1: this.beta1,
    oneMinusBeta1: 1 - this.beta1,
    beta2: this.beta2,
    oneMinusBeta2: 1 - this.beta2,
    c1,
    c2,
    epsilon: this.epsilon,
    negLr: -this.learningRate,
  };
  names.forEach((name, i) => {
    const value = engine.registeredVariables[name]!;
    const slot = (list: Slot[], suffix: string) => {
      list[i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      return list[i].variable;
    };
    const m = slot(this.accumulatedFirstMoment, 'm');
    const v = slot(this.accumulatedSecondMoment, 'v');
    const g = Array.isArray(gradients) ? gradients[i]!.tensor : gradients[name];
    if (g == null) return;
    const [w2, m2, v2] = tf.engine().runKernel(ADAM_STEP, { value, m, v, g }, attrs) as unknown as tf.Tensor[];
    m.assign(m2!);
    v.assign(v2!);
    value.assign(w2!);
    tf.dispose([w2!, m2!, v2!]);
  });
  tf.tidy(() => {
    this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
    this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
  });
  this.incrementIterations();
}

let patched = false;
/** Idempotent: Adam's update runs as AdamStep kernels on backends that register one; elsewhere tfjs's own. */
export function fuseAdam(): void {
  if (patched) return;
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients(this: AdamState, g: Gradients): void };
  const stock = proto.applyGradients;
  proto.applyGradients = function (gradients) {
    if (!tf.getKernel(ADAM_STEP, tf.getBackend())) return stock.call(this, gradients);
    fusedApply.call(this, gradients);
  };
  patched = true;
}
