import type * as tf from '@tensorflow/tfjs';
import { useBackend, type ActiveBackend } from './backends';
import type { ImageSpec } from './data/images';
import { loadCheckpoint, type CheckpointMeta } from './train/checkpoint';

export interface Extractor {
  model: tf.LayersModel;
  meta: CheckpointMeta;
  spec: ImageSpec;
  backend: ActiveBackend;
}

/** A trained checkpoint ready to embed, on the best backend that loads. */
export async function loadExtractor(dir: string, backend: 'auto' | ActiveBackend['name'] = 'auto'): Promise<Extractor> {
  const active = await useBackend(backend);
  const { model, meta } = await loadCheckpoint(dir);
  const [size, , channels] = meta.inputShape;
  return { model, meta, spec: { size, channels: channels as 1 | 3 }, backend: active };
}
