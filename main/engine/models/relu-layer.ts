/**
 * tfjs-layers' ReLU layer with `maxValue: 6` — how Keras-converted MobileNetV2s (the zoo's) write ReLU6 — runs as
 * one Relu6 kernel. tfjs computes relu and then clipByValue(0, 6): two passes forward, and clipByValue's gradient
 * is four kernels (GreaterEqual, LessEqual, LogicalAnd, Select) over the activation: 0.9 of 2.5 s in a 128-image
 * step of MobileNetV2's blocks 11–13 on wasm. Relu6's gradient is one pass (gradients/relu6.ts) and gives the same
 * numbers: dy where 0 < x ≤ 6, as relu's step and the clip's mask together did. Keras itself calls relu6 here.
 *
 * Patched on the class, as batch norm is: models loaded from a saved topology get it, and keep tfjs's class name.
 */
import * as tf from '@tensorflow/tfjs';

type Call = (this: { maxValue?: number }, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

let patched = false;
/** Idempotent. */
export function fuseRelu6Layer(): void {
  if (patched) return;
  const proto = Object.getPrototypeOf(tf.layers.reLU({})) as { call: Call };
  const stock = proto.call;
  proto.call = function (inputs, kwargs) {
    if (this.maxValue !== 6) return stock.call(this, inputs, kwargs);
    return tf.relu6(Array.isArray(inputs) ? inputs[0]! : inputs);
  };
  patched = true;
}
