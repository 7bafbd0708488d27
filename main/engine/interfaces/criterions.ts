import type * as tf from '@tensorflow/tfjs';

/** What every criterion returns: the loss tensor and scalars worth logging (OML's last_logs). */
export interface LossOutput {
  loss: tf.Tensor;
  logs: Record<string, number>;
}

/**
 * A criterion trained with the model: features + labels (0..C−1 for classification losses) → loss. Call it inside
 * tf.tidy or an optimiser's minimize: intermediates are left for the surrounding scope to free.
 */
export interface Criterion {
  readonly name: string;
  /** Trainable weights of the criterion itself (ArcFace's class centres); the optimiser must update them too. */
  readonly trainableVariables: tf.Variable[];
  compute(features: tf.Tensor2D, labels: Int32Array): LossOutput;
  /** Restart the criterion's random stream (miners' subsampling) so each epoch replays exactly after a resume. */
  reseed?(seed: number): void;
}
