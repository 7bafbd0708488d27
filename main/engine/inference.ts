import { readdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isImageFile } from '../dataset/image-files';
import { forEachBounded } from '../dataset/files';
import { useBackend, type ActiveBackend } from './backends';
import { decodeImage, type ImageSpec, toFloatBatch } from './data/images';
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

/** Every image under `dir`, recursively, as paths relative to it with forward slashes, sorted. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Embeds image files in batches; a broken image aborts with its path (as OML's predict does). */
export async function embedFiles(ex: Extractor, files: string[], bs = 256, onProgress?: (done: number, total: number) => void): Promise<Float32Array> {
  const dim = ex.model.outputs[0]!.shape[1]!;
  const out = new Float32Array(files.length * dim);
  for (let s = 0; s < files.length; s += bs) {
    const chunk = files.slice(s, s + bs);
    const images: Uint8Array[] = new Array(chunk.length);
    await forEachBounded(chunk.length, 8, async (k) => {
      try {
        images[k] = await decodeImage(chunk[k]!, null, ex.spec);
      } catch (err) {
        throw new Error(`Cannot read image ${chunk[k]}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    const emb = tf.tidy(() => ex.model.apply(tf.tensor4d(toFloatBatch(images, ex.spec, null, null), [chunk.length, ex.spec.size, ex.spec.size, ex.spec.channels]), { training: false }) as tf.Tensor);
    out.set(await emb.data(), s * dim);
    emb.dispose();
    onProgress?.(Math.min(files.length, s + bs), files.length);
  }
  return out;
}
