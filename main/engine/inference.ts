import type * as tf from '@tensorflow/tfjs';
import { useBackend, type ActiveBackend } from './backends';
import type { ImageSpec } from './data/images';
import { loadCheckpoint, type CheckpointMeta } from './train/checkpoint';
import { readManifest } from '../zoo/catalog';
import { type Embedder, layersEmbedder } from './embed/batches';
import { loadOnnxEmbedder } from './embed/onnx';
import { resolveThreads } from './wasm/threads';

export interface Extractor {
  /** images → embeddings: the checkpoint's network, or an ONNX backbone followed by the checkpoint's head. */
  model: tf.LayersModel | Embedder;
  meta: CheckpointMeta;
  spec: ImageSpec;
  backend: ActiveBackend;
}

/** A trained checkpoint ready to embed, on the best backend that loads. */
export async function loadExtractor(dir: string, backend: 'auto' | ActiveBackend['name'] = 'auto'): Promise<Extractor> {
  const active = await useBackend(backend);
  const { model, meta } = await loadCheckpoint(dir);
  const [size, , channels] = meta.inputShape;
  const spec: ImageSpec = { size, channels: channels as 1 | 3 };
  if (!meta.backbone) return { model, meta, spec, backend: active };
  const manifest = readManifest(meta.backbone.dir);
  if (!manifest)
    throw new Error(
      `${dir} embeds with zoo model "${meta.backbone.key}", which is not installed: metric-studio zoo download ${meta.backbone.key}`,
    );
  const onnx = await loadOnnxEmbedder(meta.backbone.dir, manifest.entry, resolveThreads('auto'));
  const head = layersEmbedder(model);
  const composite: Embedder = {
    dim: head.dim,
    itemShape: onnx.itemShape,
    embed: async (inputs, count) => head.embed(await onnx.embed(inputs, count), count),
  };
  return { model: composite, meta, spec, backend: active };
}
