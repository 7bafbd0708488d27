import type * as tf from '@tensorflow/tfjs';
import type { ImageStore } from '../data/images';
import { embedBatches } from '../embed/batches';

/** Embeddings of dataset `rows` through an image store (cached decodes during training), bs rows at a time. */
export function embedRows(
  model: tf.LayersModel,
  store: ImageStore,
  rows: readonly number[],
  bs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  return embedBatches(model, store.spec, rows.length, (s, e) => store.get(rows.slice(s, e)), bs, onProgress);
}
