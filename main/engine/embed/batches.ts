import * as tf from '@tensorflow/tfjs';
import { type ImageSpec, toFloatBatch } from '../data/images';

/** The model inputs of items `[start, end)` — normalised pixels or cached features — as one row-major array. */
export type LoadInputs = (start: number, end: number) => Promise<Float32Array>;

/** Inputs from decoded images (dataset rows, image files), normalised as in training, without augmentation. */
export const imageInputs =
  (spec: ImageSpec, decode: (start: number, end: number) => Promise<Uint8Array[]>): LoadInputs =>
  async (start, end) =>
    toFloatBatch(await decode(start, end), spec, null, null);

/** Input values per batch that keep a CNN's activations well inside the wasm backend's 32-bit heap. */
const MAX_BATCH_INPUT_VALUES = 4_000_000;

/** `requested`, lowered for large inputs: 256 images of 28×28 are fine, 256 of 224×224×3 overflow the wasm heap. */
export function inferenceBatchSize(requested: number, itemShape: readonly number[]): number {
  const per = itemShape.reduce((a, b) => a * b, 1);
  return Math.max(1, Math.min(requested, Math.floor(MAX_BATCH_INPUT_VALUES / per)));
}

/** Anything that maps a batch of inputs to embeddings: a tfjs model, or an ONNX Runtime session (`embed/onnx.ts`). */
export interface Embedder {
  /** The embedding's size. */
  dim: number;
  /** One input item's shape (height, width, channels for images; the feature size for cached features). */
  itemShape: number[];
  /** Embeds `count` items given row-major; returns count × dim. */
  embed(inputs: Float32Array, count: number): Promise<Float32Array>;
}

/**
 * A tfjs model as an Embedder, in inference mode (batch-norm uses its running statistics). A model whose output
 * is spatial (a trunk cut below its top) gives each item's output flattened: `dim` is its size.
 */
export function layersEmbedder(model: tf.LayersModel): Embedder {
  const itemShape = model.inputs[0]!.shape.slice(1) as number[];
  return {
    dim: (model.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1),
    itemShape,
    async embed(inputs, count) {
      const emb = tf.tidy(() => model.apply(tf.tensor(inputs, [count, ...itemShape]), { training: false }) as tf.Tensor);
      try {
        return (await emb.data()) as Float32Array;
      } finally {
        emb.dispose();
      }
    },
  };
}

/**
 * The one batch loop behind every embedding — validation during training, `predict`, `evaluate --checkpoint`,
 * the explorer: inference mode (batch-norm uses its running statistics), `bs` items at a time, the next batch
 * loaded while this one runs. Returns count × dim, row-major.
 */
export async function embedBatches(
  model: tf.LayersModel | Embedder,
  count: number,
  load: LoadInputs,
  bs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const embedder = 'embed' in model ? model : layersEmbedder(model);
  const { dim, itemShape } = embedder;
  bs = inferenceBatchSize(bs, itemShape);
  const out = new Float32Array(count * dim);
  // A prefetch that fails after the loop has already failed must not surface as an unhandled rejection.
  const prefetch = (start: number, end: number) => {
    const p = load(start, end);
    p.catch(() => {});
    return p;
  };
  let next = count > 0 ? prefetch(0, Math.min(count, bs)) : null;
  for (let s = 0; s < count; s += bs) {
    const inputs = await next!;
    const end = Math.min(count, s + bs);
    next = end < count ? prefetch(end, Math.min(count, end + bs)) : null;
    out.set(await embedder.embed(inputs, end - s), s * dim);
    onProgress?.(end, count);
  }
  return out;
}
