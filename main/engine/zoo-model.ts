import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ZooNormalisation } from '../../shared/schemas/zoo';
import { damagedFiles, type InstalledManifest, readManifest } from '../zoo/catalog';
import type { ImageSpec } from './data/images';
import { buildFaceRecognitionNet } from './models/face-recognition';
import { ChannelAffine, L2Normalize } from './models/layers';
import { readGuarded } from '../file-guard';

/** Per-channel scale and offset from the pipeline's [−1, 1] pixels to the network's own input range. */
export function affineFor(n: ZooNormalisation): { scale: number[]; offset: number[] } {
  if (n === 'minus_one_one') return { scale: [1, 1, 1], offset: [0, 0, 0] };
  if (n === 'zero_one') return { scale: [0.5, 0.5, 0.5], offset: [0.5, 0.5, 0.5] };
  return { scale: n.std.map((s) => 0.5 / s), offset: n.mean.map((m, c) => (0.5 - m) / n.std[c]!) };
}

/** A TF.js layers model folder: model.json and the weight files it names (read by base name, inside the folder). */
export async function loadLayersFolder(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readGuarded(path.join(dir, 'model.json'), 'model', 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const groups = json.weightsManifest;
  const buffers = await Promise.all(groups.flatMap((g) => g.paths.map((p) => readGuarded(path.join(dir, path.basename(p)), 'weights'))));
  const data = Buffer.concat(buffers);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: groups.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer,
    }),
  );
}

/** A weights manifest (`weights_manifest.json`: groups of paths and specs) and its files, decoded to named tensors. */
export async function loadWeightsFolder(dir: string): Promise<tf.NamedTensorMap> {
  const groups = JSON.parse(await readGuarded(path.join(dir, 'weights_manifest.json'), 'manifest', 'utf8')) as tf.io.WeightsManifestConfig;
  const buffers = await Promise.all(groups.flatMap((g) => g.paths.map((p) => readGuarded(path.join(dir, path.basename(p)), 'weights'))));
  const data = Buffer.concat(buffers);
  return tf.io.decodeWeights(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer,
    groups.flatMap((g) => g.weights),
  );
}

/** An installed zoo model's manifest, or an error saying the folder holds none (download it again). */
export function installedManifest(dir: string): InstalledManifest {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`${dir} is not an installed zoo model (no valid manifest.json): download it again`);
  return manifest;
}

/** An installed model's manifest, its files checked against it first: changed bytes are refused, not used. */
export async function checkedManifest(dir: string): Promise<InstalledManifest> {
  const manifest = installedManifest(dir);
  const damage = await damagedFiles(dir, manifest);
  if (damage) throw new Error(damage);
  return manifest;
}

/** An installed zoo model folder as a tfjs LayersModel, with its manifest. */
export async function loadZooNetwork(dir: string): Promise<{ network: tf.LayersModel; manifest: InstalledManifest }> {
  const manifest = await checkedManifest(dir);
  const { format, builder, key } = manifest.entry;
  if (format === 'tfjs-layers') return { network: await loadLayersFolder(dir), manifest };
  if (format === 'tfjs-weights' && builder === 'face_recognition_resnet34') {
    const weights = await loadWeightsFolder(dir);
    try {
      return { network: buildFaceRecognitionNet(weights, key), manifest };
    } finally {
      tf.dispose(Object.values(weights));
    }
  }
  throw new Error(`${key}: ${format}${builder ? ` (${builder})` : ''} models are not loadable yet`);
}

/**
 * A zoo model as a frozen embedder: pixels → the network's normalisation → its `embeddingLayer` → average-pooled
 * over space when spatial → L2-normalised. The returned model takes the pipeline's own image batches.
 */
export async function loadZooEmbedder(dir: string): Promise<{ model: tf.LayersModel; spec: ImageSpec; manifest: InstalledManifest }> {
  const { network, manifest } = await loadZooNetwork(dir);
  const e = manifest.entry;
  const layer = network.layers.find((l) => l.name === e.embeddingLayer);
  if (!layer) throw new Error(`${e.key}: the network has no layer "${e.embeddingLayer}"`);
  const trunk = tf.model({ inputs: network.inputs, outputs: layer.output as tf.SymbolicTensor, name: `${e.key}_trunk` });
  const input = tf.input({ shape: [e.inputSize, e.inputSize, e.channels], name: 'image' });
  let x = new ChannelAffine({ ...affineFor(e.normalisation), name: 'zoo_normalise' }).apply(input) as tf.SymbolicTensor;
  x = trunk.apply(x) as tf.SymbolicTensor;
  if (x.shape.length === 4) x = tf.layers.globalAveragePooling2d({ name: 'zoo_pool' }).apply(x) as tf.SymbolicTensor;
  x = new L2Normalize({ name: 'zoo_l2norm' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x, name: e.key });
  const dim = model.outputs[0]!.shape[1];
  if (dim !== e.embeddingDim) throw new Error(`${e.key}: embeddings are ${dim}-d, the catalogue says ${e.embeddingDim}`);
  return { model, spec: { size: e.inputSize, channels: e.channels }, manifest };
}
