import * as tf from '@tensorflow/tfjs';

/** GeM pooling (generalised mean, OML's gem_p): (mean(max(x, ε)^p))^(1/p) over H and W; p = 1 is average pooling. */
export class GeMPooling extends tf.layers.Layer {
  static className = 'GeMPooling';
  readonly p: number;
  constructor(config: { p?: number; name?: string } = {}) {
    super(config);
    this.p = config.p ?? 3;
  }
  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0]!, inputShape[3]!];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.pow(tf.mean(tf.pow(tf.maximum(x, 1e-6), this.p), [1, 2]), 1 / this.p);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), p: this.p };
  }
}

/** Divides each embedding by its L2 norm (OML's normalise_features). */
export class L2Normalize extends tf.layers.Layer {
  static className = 'L2Normalize';
  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12));
    });
  }
}

/** ReLU6 as its own layer with a cheap gradient (the generic clipByValue gradient builds comparisons on wasm). */
export class ReLU6 extends tf.layers.Layer {
  static className = 'ReLU6';
  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.relu6(x);
  }
}

/**
 * x · scale + offset per channel, with constants (not weights): maps the pipeline's [−1, 1] pixels to what a
 * pretrained network was trained on ([0, 1], ImageNet mean/std, …).
 */
export class ChannelAffine extends tf.layers.Layer {
  static className = 'ChannelAffine';
  readonly scale: number[];
  readonly offset: number[];
  constructor(config: { scale: number[]; offset: number[]; name?: string }) {
    super(config);
    this.scale = config.scale;
    this.offset = config.offset;
  }
  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.add(tf.mul(x, tf.tensor1d(this.scale)), tf.tensor1d(this.offset));
    });
  }
  override getConfig() {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

/** Appends `extra` zero channels: a residual shortcut that doubles the width without weights (dlib's ResNet). */
export class ZeroChannelPad extends tf.layers.Layer {
  static className = 'ZeroChannelPad';
  readonly extra: number;
  constructor(config: { extra: number; name?: string }) {
    super(config);
    this.extra = config.extra;
  }
  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const shape = [...inputShape];
    shape[shape.length - 1] = (shape.at(-1) as number) + this.extra;
    return shape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.pad(x, [...x.shape.slice(0, -1).map((): [number, number] => [0, 0]), [0, this.extra]]);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), extra: this.extra };
  }
}

for (const cls of [GeMPooling, L2Normalize, ReLU6, ChannelAffine, ZeroChannelPad]) tf.serialization.registerClass(cls);
