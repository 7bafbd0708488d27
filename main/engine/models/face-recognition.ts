import * as tf from '@tensorflow/tfjs';
import { ZeroChannelPad } from './layers';

/**
 * face-api's face-recognition net (a dlib ResNet-34 variant: 150×150 RGB face → 128-d descriptor) as a tfjs layers
 * model, built from its weights manifest. face-api ships only weights and writes the forward pass in code
 * (`src/faceRecognitionNet/`); this is the same pass in layers, so the zoo embeds, caches and fine-tunes it like
 * any layers model. Each conv is followed in face-api by a per-channel scale layer (x·w + b): it is folded into the
 * conv's filters and bias here, which computes the same function with trainable weights.
 *
 * Input: the network's own normalisation, (RGB − mean) / 255 — the zoo's normalisation layer supplies it.
 */
export function buildFaceRecognitionNet(weights: tf.NamedTensorMap, name = 'face_recognition'): tf.LayersModel {
  const take = (key: string): tf.Tensor => {
    const t = weights[key];
    if (!t) throw new Error(`face-recognition weights: "${key}" is missing`);
    return t;
  };
  const input = tf.input({ shape: [150, 150, 3], name: 'face' });
  const initial: tf.Tensor[] = [];

  const conv = (x: tf.SymbolicTensor, prefix: string, strides: number, padding: 'same' | 'valid', relu: boolean) => {
    const filters = take(`${prefix}/conv/filters`);
    const [kh, kw, , out] = filters.shape as [number, number, number, number];
    const w = take(`${prefix}/scale/weights`);
    const folded = tf.tidy(() => [tf.mul(filters, w), tf.add(tf.mul(take(`${prefix}/conv/bias`), w), take(`${prefix}/scale/biases`))]);
    initial.push(...folded);
    const layer = tf.layers.conv2d({
      filters: out,
      kernelSize: [kh, kw],
      strides,
      padding,
      useBias: true,
      name: prefix.replaceAll('/', '_'),
      weights: folded,
    });
    let y = layer.apply(x) as tf.SymbolicTensor;
    if (relu) y = tf.layers.reLU({ name: `${prefix.replaceAll('/', '_')}_relu` }).apply(y) as tf.SymbolicTensor;
    return y;
  };

  const residual = (x: tf.SymbolicTensor, prefix: string) => {
    let y = conv(x, `${prefix}/conv1`, 1, 'same', true);
    y = conv(y, `${prefix}/conv2`, 1, 'same', false);
    y = tf.layers.add({ name: `${prefix}_add` }).apply([y, x]) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${prefix}_out` }).apply(y) as tf.SymbolicTensor;
  };

  // A strided block: the shortcut is a 2×2 average pool, widened with zero channels; where the valid 3×3 stride-2
  // conv comes out one smaller than the pool (odd sizes), face-api pads its bottom and right edges with zeros.
  const residualDown = (x: tf.SymbolicTensor, prefix: string) => {
    let y = conv(x, `${prefix}/conv1`, 2, 'valid', true);
    y = conv(y, `${prefix}/conv2`, 1, 'same', false);
    let shortcut = tf.layers
      .averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${prefix}_pool` })
      .apply(x) as tf.SymbolicTensor;
    const [, ph, pw, pc] = shortcut.shape as number[];
    const [, yh, yw, yc] = y.shape as number[];
    if (ph !== yh || pw !== yw)
      y = tf.layers
        .zeroPadding2d({
          padding: [
            [0, ph! - yh!],
            [0, pw! - yw!],
          ],
          name: `${prefix}_pad`,
        })
        .apply(y) as tf.SymbolicTensor;
    if (pc !== yc) shortcut = new ZeroChannelPad({ extra: yc! - pc!, name: `${prefix}_widen` }).apply(shortcut) as tf.SymbolicTensor;
    y = tf.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${prefix}_out` }).apply(y) as tf.SymbolicTensor;
  };

  let x = conv(input, 'conv32_down', 2, 'valid', true);
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'conv32_pool' }).apply(x) as tf.SymbolicTensor;
  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(x, block);
  x = residualDown(x, 'conv64_down');
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(x, block);
  x = residualDown(x, 'conv128_down');
  for (const block of ['conv128_1', 'conv128_2']) x = residual(x, block);
  x = residualDown(x, 'conv256_down');
  for (const block of ['conv256_1', 'conv256_2']) x = residual(x, block);
  x = residualDown(x, 'conv256_down_out');
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const fc = take('fc');
  x = tf.layers.dense({ units: fc.shape[1]!, useBias: false, name: 'fc', weights: [fc] }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x, name });
  tf.dispose(initial); // the layers hold copies once built
  return model;
}
