import * as tf from '@tensorflow/tfjs';
import { ReLU6 } from './layers';

type SymbolicTensor = tf.SymbolicTensor;

/**
 * Seeded initialisers: tfjs draws unseeded weights from Math.random, so without this two runs with the same seed
 * would start from different networks. Each call hands out the next seed of the stream.
 */
export class Init {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 1000;
  }
  he() {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}
let init = new Init(0);
/** Sets the seed stream for the layers built next. */
export function seedInitializers(seed: number): void {
  init = new Init(seed);
}

const conv = (filters: number, kernelSize: number, strides: number, name: string) =>
  tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init.he(), name });
const bn = (name: string) => tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name });

/** The notes' "tiny" net: conv32 → maxpool → conv64 → maxpool; the head turns it into an embedding. */
export function smallCnn(input: SymbolicTensor): SymbolicTensor {
  let x = tf.layers
    .conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.glorot(), name: 'conv1' })
    .apply(input) as SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.glorot(), name: 'conv2' })
    .apply(x) as SymbolicTensor;
  return tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(x) as SymbolicTensor;
}

const makeDivisible = (v: number, divisor = 8) => Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);

/** MobileNetV2 (Sandler et al. 2018) with width multiplier alpha; inverted residual blocks with ReLU6. */
export function mobileNetV2(input: SymbolicTensor, alpha = 1): SymbolicTensor {
  let x = conv(makeDivisible(32 * alpha), 3, 2, 'stem_conv').apply(input) as SymbolicTensor;
  x = new ReLU6({ name: 'stem_relu' }).apply(bn('stem_bn').apply(x)) as SymbolicTensor;
  // t (expansion), c (channels), n (repeats), s (first stride)
  const settings: [number, number, number, number][] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let block = 0;
  for (const [t, c, n, s] of settings) {
    const out = makeDivisible(c * alpha);
    for (let i = 0; i < n; i++) {
      const inC = x.shape[3]!;
      const name = `block${block++}`;
      let y = x;
      if (t !== 1) {
        y = conv(inC * t, 1, 1, `${name}_expand`).apply(y) as SymbolicTensor;
        y = new ReLU6({ name: `${name}_expand_relu` }).apply(bn(`${name}_expand_bn`).apply(y)) as SymbolicTensor;
      }
      y = tf.layers
        .depthwiseConv2d({
          kernelSize: 3,
          strides: i === 0 ? s : 1,
          padding: 'same',
          useBias: false,
          depthwiseInitializer: init.he(),
          name: `${name}_dw`,
        })
        .apply(y) as SymbolicTensor;
      y = new ReLU6({ name: `${name}_dw_relu` }).apply(bn(`${name}_dw_bn`).apply(y)) as SymbolicTensor;
      y = bn(`${name}_project_bn`).apply(conv(out, 1, 1, `${name}_project`).apply(y)) as SymbolicTensor;
      x = i > 0 && inC === out ? (tf.layers.add({ name: `${name}_add` }).apply([x, y]) as SymbolicTensor) : y;
    }
  }
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = conv(last, 1, 1, 'last_conv').apply(x) as SymbolicTensor;
  return new ReLU6({ name: 'last_relu' }).apply(bn('last_bn').apply(x)) as SymbolicTensor;
}

/** ResNet-18 (He et al. 2016): basic blocks [2, 2, 2, 2] at 64–512 channels. */
export function resnet18(input: SymbolicTensor): SymbolicTensor {
  let x = conv(64, 7, 2, 'conv1').apply(input) as SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }).apply(bn('conv1_bn').apply(x)) as SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool1' }).apply(x) as SymbolicTensor;
  const stages: [number, number][] = [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ];
  stages.forEach(([filters, stride], s) => {
    for (let b = 0; b < 2; b++) {
      const name = `layer${s + 1}_${b}`;
      const st = b === 0 ? stride : 1;
      let y = tf.layers
        .activation({ activation: 'relu', name: `${name}_relu1` })
        .apply(bn(`${name}_bn1`).apply(conv(filters, 3, st, `${name}_conv1`).apply(x))) as SymbolicTensor;
      y = bn(`${name}_bn2`).apply(conv(filters, 3, 1, `${name}_conv2`).apply(y)) as SymbolicTensor;
      const shortcut =
        st !== 1 || x.shape[3] !== filters
          ? (bn(`${name}_down_bn`).apply(conv(filters, 1, st, `${name}_down`).apply(x)) as SymbolicTensor)
          : x;
      x = tf.layers
        .activation({ activation: 'relu', name: `${name}_out` })
        .apply(tf.layers.add({ name: `${name}_add` }).apply([y, shortcut])) as SymbolicTensor;
    }
  });
  return x;
}
