/**
 * A linear convolution (no activation: every one in MobileNetV2 and ResNet, whose batch norm follows) trained
 * through tfjs's lazy Conv2D gradient. tfjs-layers calls `tf.fused.conv2d`, which under a gradient tape runs a
 * custom gradient that computes the input's gradient even where nothing needs it — at the stem, the gradient
 * with respect to the images: 34 ms of a 490 ms MobileNetV2-0.35 step on wasm (batch 32 at 64 px). tfjs already
 * unfuses convolutions with an activation under a tape; this does the same for linear ones (conv2d, then the
 * bias), so the engine asks only for the gradients on the path to the weights. Outside a tape nothing changes.
 */
import * as tf from '@tensorflow/tfjs';

type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];

let patched = false;
/** Idempotent: routes linear fused convolutions recorded for gradients through conv2d + add. */
export function unfuseLinearConvUnderTape(): void {
  if (patched) return;
  const fused = tf.fused as { conv2d: (args: FusedConv2dArgs) => tf.Tensor };
  const original = fused.conv2d;
  fused.conv2d = (args) => {
    const engine = tf.engine() as unknown as { state: { gradientDepth: number } };
    const linear = (args.activation ?? 'linear') === 'linear' && args.preluActivationWeights == null;
    if (engine.state.gradientDepth === 0 || !linear) return original(args);
    const { x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias } = args;
    const y = tf.conv2d(x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
    return bias == null ? y : tf.add(y, bias);
  };
  patched = true;
}
