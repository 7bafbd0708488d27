import * as tf from '@tensorflow/tfjs';
import { type ImageSpec, toFloatBatch } from '../data/images';

/** Decoded images `[start, end)` of whatever is being embedded (dataset rows, image files). */
export type LoadBatch = (start: number, end: number) => Promise<Uint8Array[]>;

/**
 * The one batch loop behind every embedding — validation during training, `predict`, `evaluate --checkpoint`,
 * the explorer: inference mode (batch-norm uses its running statistics), `bs` images at a time, the next batch
 * decoded while this one runs. Returns count × dim, row-major.
 */
export async function embedBatches(
  model: tf.LayersModel,
  spec: ImageSpec,
  count: number,
  load: LoadBatch,
  bs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const dim = model.outputs[0]!.shape[1]!;
  const out = new Float32Array(count * dim);
  // A prefetch that fails after the loop has already failed must not surface as an unhandled rejection.
  const prefetch = (start: number, end: number) => {
    const p = load(start, end);
    p.catch(() => {});
    return p;
  };
  let next = count > 0 ? prefetch(0, Math.min(count, bs)) : null;
  for (let s = 0; s < count; s += bs) {
    const images = await next!;
    const end = Math.min(count, s + bs);
    next = end < count ? prefetch(end, Math.min(count, end + bs)) : null;
    const emb = tf.tidy(() => {
      const x = tf.tensor4d(toFloatBatch(images, spec, null, null), [images.length, spec.size, spec.size, spec.channels]);
      return model.apply(x, { training: false }) as tf.Tensor;
    });
    out.set(await emb.data(), s * dim);
    emb.dispose();
    onProgress?.(end, count);
  }
  return out;
}
