import type * as tf from '@tensorflow/tfjs';
import type { InstalledManifest } from '../../zoo/catalog';
import type { ImageSpec } from '../data/images';
import { checkedManifest, loadZooEmbedder } from '../zoo-model';
import type { Embedder } from './batches';
import { loadOnnxEmbedder, onnxVersion } from './onnx';

/**
 * An installed zoo model as it embeds frozen — `evaluate --zoo`, the explorer, a run's zoo baseline: its catalogue
 * layer, pooled and L2-normalised; ONNX models on ONNX Runtime, the others on the active tfjs backend.
 */
export async function zooEmbedder(
  dir: string,
  threads: number,
): Promise<{ model: tf.LayersModel | Embedder; spec: ImageSpec; manifest: InstalledManifest; onnx: string | null }> {
  const manifest = await checkedManifest(dir);
  if (manifest.entry.format === 'onnx') {
    const spec = { size: manifest.entry.inputSize, channels: manifest.entry.channels };
    const onnx = await loadOnnxEmbedder(dir, manifest.entry, threads);
    return { model: onnx, spec, manifest, onnx: `onnxruntime ${(await onnxVersion()) ?? ''}`.trim() };
  }
  const zoo = await loadZooEmbedder(dir);
  return { model: zoo.model, spec: zoo.spec, manifest, onnx: null };
}
