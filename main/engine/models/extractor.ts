import * as tf from '@tensorflow/tfjs';
import type { ExtractorConfig } from '../../../shared/schemas/config';
import { Init, mobileNetV2, resnet18, seedInitializers, smallCnn } from './backbones';
import { GeMPooling, L2Normalize } from './layers';

/** Layers whose names start with these belong to the head (never frozen by freeze_n_epochs). */
export const HEAD_PREFIX = 'head_';

/**
 * An embedding extractor as one tfjs LayersModel: backbone → pooling (avg or GeM; the small CNN flattens) →
 * optional projection head → optional L2 normalisation.
 */
export function buildExtractor(cfg: ExtractorConfig, inputShape: [number, number, number], seed = 0): tf.LayersModel {
  seedInitializers(seed);
  const head = new Init(seed + 1);
  const input = tf.input({ shape: inputShape, name: 'image' });
  const a = cfg.args;
  let x: tf.SymbolicTensor;
  if (cfg.name === 'small_cnn') {
    x = tf.layers.flatten({ name: 'flatten' }).apply(smallCnn(input)) as tf.SymbolicTensor;
  } else {
    const features = cfg.name === 'mobilenet_v2' ? mobileNetV2(input, a.alpha) : resnet18(input);
    x = (
      a.pooling === 'gem' ? new GeMPooling({ p: a.gem_p, name: 'pool_gem' }) : tf.layers.globalAveragePooling2d({ name: 'pool_avg' })
    ).apply(features) as tf.SymbolicTensor;
  }
  if (a.head === 'mlp') {
    x = tf.layers
      .dense({ units: a.emb_dim * 2, activation: 'relu', kernelInitializer: head.glorot(), name: `${HEAD_PREFIX}mlp_hidden` })
      .apply(x) as tf.SymbolicTensor;
  }
  if (a.head !== 'none' || cfg.name === 'small_cnn') {
    x = tf.layers
      .dense({ units: a.emb_dim, kernelInitializer: head.glorot(), name: `${HEAD_PREFIX}projection` })
      .apply(x) as tf.SymbolicTensor;
  }
  if (a.normalise_features) x = new L2Normalize({ name: `${HEAD_PREFIX}l2norm` }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: cfg.name });
}

/** Trainable weights, without the backbone while it is frozen (OML's freeze_n_epochs). */
export function trainableWeights(model: tf.LayersModel, freezeBackbone: boolean): tf.Variable[] {
  const layers = freezeBackbone ? model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)) : model.layers;
  return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
}

export function embeddingDim(model: tf.LayersModel): number {
  const shape = model.outputs[0]!.shape;
  return shape[shape.length - 1]!;
}
