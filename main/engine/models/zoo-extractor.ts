import * as tf from '@tensorflow/tfjs';
import type { ExtractorConfig } from '../../../shared/schemas/config';
import type { InstalledManifest } from '../../zoo/catalog';
import type { Embedder } from '../embed/batches';
import { loadOnnxEmbedder } from '../embed/onnx';
import { affineFor, loadZooNetwork } from '../zoo-model';
import { Init } from './backbones';
import { cutAt, type NetworkCut } from './cut';
import { HEAD_PREFIX } from './extractor';
import { ChannelAffine, GeMPooling, L2Normalize } from './layers';

/** A zoo backbone with a head, in the pieces the training loop needs. */
export interface ZooExtractor {
  /**
   * image → embedding: what checkpoints hold and evaluate/explorer load. For an ONNX backbone (which tfjs cannot
   * hold) it is the head alone, and the checkpoint names the backbone (`CheckpointMeta.backbone`).
   */
  model: tf.LayersModel;
  /** image → pooled backbone features: a tfjs model, or ONNX Runtime's session. */
  features: tf.LayersModel | Embedder;
  /** features → embedding: the trainable head (`head_net`). */
  head: tf.LayersModel;
  /** No backbone layer trains: the head can learn from features computed once. */
  frozenBackbone: boolean;
  /**
   * With `train_from` where one tensor crosses: image → the activation entering `train_from` (frozen: computed once
   * per image and view, then cached), and that activation → embedding (the part that trains, sharing `model`'s
   * weights). Null when the backbone is frozen, the cut spans a skip connection, or `cache_activations` is off.
   */
  cut: { lower: tf.LayersModel; upper: tf.LayersModel; itemShape: number[]; layer: string } | null;
  /** Why a fine-tuned backbone runs whole on every step (`cut` is null), for the run's log. */
  uncached: string | null;
  manifest: InstalledManifest;
}

/**
 * Builds `zoo` extractor: the installed network cut at `args.layer` (default: the catalogue's embedding layer),
 * average- or GeM-pooled, then OML's head (optional MLP → projection → L2). Backbone layers before
 * `args.train_from` are frozen; without `train_from` the whole backbone is.
 */
export async function buildZooExtractor(cfg: ExtractorConfig, dir: string, seed: number): Promise<ZooExtractor> {
  const a = cfg.args;
  const { network, manifest } = await loadZooNetwork(dir);
  const e = manifest.entry;
  const layerName = a.layer ?? e.embeddingLayer;
  const names = network.layers.map((l) => l.name);
  const top = network.layers.find((l) => l.name === layerName);
  if (!top) throw new Error(`extractor.args.layer: ${e.key} has no layer "${layerName}" (it has ${names.slice(-8).join(', ')}, …)`);
  const trunk = tf.model({ inputs: network.inputs, outputs: top.output as tf.SymbolicTensor, name: 'trunk' });
  let frozenBackbone = true;
  let trunkCut: NetworkCut | null = null;
  let uncached: string | null = null;
  if (a.train_from) {
    const from = trunk.layers.findIndex((l) => l.name === a.train_from);
    if (from < 0) throw new Error(`extractor.args.train_from: "${a.train_from}" is not a layer of ${e.key} up to ${layerName}`);
    trunk.layers.forEach((l, i) => {
      // bn_frozen: the trained part's batch norms keep their statistics, γ and β (they run as in inference).
      l.trainable = i >= from && !(a.bn_frozen && l.getClassName() === 'BatchNormalization');
    });
    frozenBackbone = false;
    if (!a.cache_activations) uncached = 'extractor.args.cache_activations is off';
    else {
      try {
        trunkCut = cutAt(trunk, a.train_from, e.key);
      } catch (err) {
        uncached = (err as Error).message;
      }
    }
  } else trunk.trainable = false;

  const image = tf.input({ shape: [e.inputSize, e.inputSize, e.channels], name: 'image' });
  const normalise = new ChannelAffine({ ...affineFor(e.normalisation), name: 'zoo_normalise' });
  const pool =
    a.pooling === 'gem' ? new GeMPooling({ p: a.gem_p, name: 'pool_gem' }) : tf.layers.globalAveragePooling2d({ name: 'pool_avg' });
  const pooled = (t: tf.SymbolicTensor) => (t.shape.length === 4 ? (pool.apply(t) as tf.SymbolicTensor) : t);
  const f = pooled(trunk.apply(normalise.apply(image)) as tf.SymbolicTensor);
  const features = tf.model({ inputs: image, outputs: f, name: 'zoo_features' });
  const head = buildHead(a, f.shape[1]!, seed);
  const model = tf.model({ inputs: image, outputs: head.apply(features.outputs[0]!) as tf.SymbolicTensor, name: `zoo_${e.key}` });
  let cut: ZooExtractor['cut'] = null;
  if (trunkCut) {
    const lowerOut = trunkCut.lower.apply(normalise.apply(image)) as tf.SymbolicTensor;
    const act = tf.input({ shape: trunkCut.itemShape, name: 'activation' });
    const up = head.apply(pooled(trunkCut.upper.apply(act) as tf.SymbolicTensor)) as tf.SymbolicTensor;
    cut = {
      lower: tf.model({ inputs: image, outputs: lowerOut, name: `zoo_below_${a.train_from}` }),
      upper: tf.model({ inputs: act, outputs: up, name: `zoo_from_${a.train_from}` }),
      itemShape: trunkCut.itemShape,
      layer: a.train_from!,
    };
  }
  return { model, features, head, frozenBackbone, manifest, cut, uncached };
}

/**
 * An ONNX zoo model as a frozen backbone: ONNX Runtime computes its (pooled, L2-normalised) embedding once per
 * image, and only OML's head trains on those features. It cannot be fine-tuned or cut at another layer.
 */
export async function buildOnnxZooExtractor(
  cfg: ExtractorConfig,
  dir: string,
  manifest: InstalledManifest,
  seed: number,
  threads: number,
): Promise<ZooExtractor> {
  const a = cfg.args;
  const e = manifest.entry;
  if (a.train_from)
    throw new Error(`extractor.args.train_from: ${e.key} is an ONNX model, frozen: remove train_from to train a head on it`);
  if (a.layer && a.layer !== e.embeddingLayer)
    throw new Error(`extractor.args.layer: ${e.key} is an ONNX model: it embeds with its "${e.embeddingLayer}" output only`);
  const features = await loadOnnxEmbedder(dir, e, threads);
  const head = buildHead(a, e.embeddingDim, seed);
  return { model: head, features, head, frozenBackbone: true, manifest, cut: null, uncached: null };
}

/** OML's head on backbone features: optional MLP → projection → L2 (`head_net`, the part that trains). */
function buildHead(a: ExtractorConfig['args'], inDim: number, seed: number): tf.LayersModel {
  const init = new Init(seed + 1);
  const featIn = tf.input({ shape: [inDim], name: 'features' });
  let h: tf.SymbolicTensor = featIn;
  if (a.head === 'mlp') {
    h = tf.layers
      .dense({ units: a.emb_dim * 2, activation: 'relu', kernelInitializer: init.glorot(), name: `${HEAD_PREFIX}mlp_hidden` })
      .apply(h) as tf.SymbolicTensor;
  }
  if (a.head !== 'none')
    h = tf.layers
      .dense({ units: a.emb_dim, kernelInitializer: init.glorot(), name: `${HEAD_PREFIX}projection` })
      .apply(h) as tf.SymbolicTensor;
  if (a.normalise_features) h = new L2Normalize({ name: `${HEAD_PREFIX}l2norm` }).apply(h) as tf.SymbolicTensor;
  if (h === featIn)
    throw new Error('extractor: a zoo backbone with head "none" needs normalise_features: true or train_from (nothing would change)');
  return tf.model({ inputs: featIn, outputs: h, name: `${HEAD_PREFIX}net` });
}
