import type * as tf from '@tensorflow/tfjs';
import type { TransformConfig } from '../../../shared/schemas/config';
import type { Rng } from '../../random';
import { type ImageSpec, type ImageStore, toFloatBatch } from '../data/images';
import { embedBatches } from '../embed/batches';

/**
 * What the training loop feeds its network with for some dataset rows. Images: decoded (cached) pixels,
 * augmented in training, through the whole extractor. Cached features: a frozen backbone's pooled outputs,
 * computed once, through the head alone — the fast path when only the head trains.
 */
export interface InputPipeline {
  /** The network the loop trains and validates with (the full extractor, or the head on cached features). */
  readonly net: tf.LayersModel;
  /** Loads rows ahead of the step that needs them; `rng` draws the augmentations (null = none). */
  load(rows: readonly number[], rng: Rng | null): Promise<Float32Array>;
  /** One item's input shape. */
  readonly itemShape: number[];
}

export class ImageInputs implements InputPipeline {
  readonly itemShape: number[];
  constructor(
    readonly net: tf.LayersModel,
    private readonly store: ImageStore,
    private readonly spec: ImageSpec,
    private readonly transform: TransformConfig,
  ) {
    this.itemShape = [spec.size, spec.size, spec.channels];
  }
  async load(rows: readonly number[], rng: Rng | null): Promise<Float32Array> {
    return toFloatBatch(await this.store.get(rows), this.spec, rng ? this.transform : null, rng);
  }
}

/**
 * A frozen model's outputs, computed once per dataset row (and per view) and held in memory: a frozen backbone's
 * pooled features (the head trains on them) or the activation entering `train_from` (the layers above it train).
 * A training load takes one view per row at random (`rng`); validation (no rng) takes view 0, the plain image.
 */
export class CachedInputs implements InputPipeline {
  readonly itemShape: number[];
  private readonly size: number;
  constructor(
    readonly net: tf.LayersModel,
    readonly cache: CachedOutputs,
  ) {
    this.itemShape = cache.itemShape;
    this.size = cache.itemShape.reduce((a, b) => a * b, 1);
  }
  async load(rows: readonly number[], rng: Rng | null): Promise<Float32Array> {
    const { slot, views, data } = this.cache;
    const n = this.size;
    const out = new Float32Array(rows.length * n);
    rows.forEach((r, i) => {
      const at = slot[r]!;
      if (at < 0) throw new Error(`No cached values for dataset row index ${r}`);
      const v = rng && views[r]! > 1 ? Math.floor(rng() * views[r]!) : 0;
      out.set(data.subarray((at + v) * n, (at + v + 1) * n), i * n);
    });
    return out;
  }
}

/** Values per dataset row index: `views[r]` items from item `slot[r]` (−1: not cached), each of `itemShape`. */
export interface CachedOutputs {
  slot: Int32Array;
  views: Uint8Array;
  data: Float32Array;
  itemShape: number[];
}

/** Embeddings of dataset rows through a pipeline's network, in inference mode (validation). */
export function embedPipeline(inputs: InputPipeline, rows: readonly number[], bs: number): Promise<Float32Array> {
  return embedBatches(inputs.net, rows.length, (s, e) => inputs.load(rows.slice(s, e), null), bs);
}
