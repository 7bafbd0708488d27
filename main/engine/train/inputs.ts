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

export class FeatureInputs implements InputPipeline {
  readonly itemShape: number[];
  constructor(
    readonly net: tf.LayersModel,
    /** Feature row of each dataset row (−1 = not cached). */
    private readonly index: Int32Array,
    private readonly features: Float32Array,
    private readonly dim: number,
  ) {
    this.itemShape = [dim];
  }
  async load(rows: readonly number[]): Promise<Float32Array> {
    const out = new Float32Array(rows.length * this.dim);
    rows.forEach((r, i) => {
      const at = this.index[r]!;
      if (at < 0) throw new Error(`No cached features for dataset row index ${r}`);
      out.set(this.features.subarray(at * this.dim, (at + 1) * this.dim), i * this.dim);
    });
    return out;
  }
}

/** Embeddings of dataset rows through a pipeline's network, in inference mode (validation). */
export function embedPipeline(inputs: InputPipeline, rows: readonly number[], bs: number): Promise<Float32Array> {
  return embedBatches(inputs.net, rows.length, (s, e) => inputs.load(rows.slice(s, e), null), bs);
}
