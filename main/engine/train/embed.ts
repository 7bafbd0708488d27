import * as tf from '@tensorflow/tfjs';
import { type ImageSpec, type ImageStore, toFloatBatch } from '../data/images';

/** Embeddings of `rows` (inference mode: batch-norm uses its running statistics), bs rows at a time. */
export async function embedRows(model: tf.LayersModel, store: ImageStore, rows: readonly number[], bs: number, onBatch?: (done: number) => void): Promise<Float32Array> {
  const spec: ImageSpec = store.spec;
  const dim = model.outputs[0]!.shape[1]!;
  const out = new Float32Array(rows.length * dim);
  for (let s = 0; s < rows.length; s += bs) {
    const chunk = rows.slice(s, s + bs);
    const images = await store.get(chunk);
    const emb = tf.tidy(() => {
      const x = tf.tensor4d(toFloatBatch(images, spec, null, null), [chunk.length, spec.size, spec.size, spec.channels]);
      return model.apply(x, { training: false }) as tf.Tensor;
    });
    out.set(await emb.data(), s * dim);
    emb.dispose();
    onBatch?.(Math.min(rows.length, s + bs));
  }
  return out;
}
