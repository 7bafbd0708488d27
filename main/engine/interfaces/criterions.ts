import type * as tf from '@tensorflow/tfjs';

/**
 * Logs that need values of the step's tensors: read after the step, asynchronously, so a GPU backend never blocks
 * mid-step. The criterion `tf.keep`s the tensors; `lossLogs` reads and frees them.
 */
export interface PendingLogs {
  tensors: tf.Tensor[];
  logs(values: ArrayLike<number>[]): Record<string, number>;
}

/** What every criterion returns: the loss tensor and scalars worth logging (OML's last_logs). */
export interface LossOutput {
  loss: tf.Tensor;
  /** Logs known when the loss is formed (from CPU data: the miner's counts). */
  logs: Record<string, number>;
  pending?: PendingLogs;
}

/**
 * A criterion trained with the model: features + labels (0..C−1 for classification losses) → loss. Call it inside
 * tf.tidy or an optimiser's minimize: intermediates are left for the surrounding scope to free.
 */
export interface Criterion {
  readonly name: string;
  /** Trainable weights of the criterion itself (ArcFace's class centres); the optimiser must update them too. */
  readonly trainableVariables: tf.Variable[];
  /**
   * `values` are the features' values, when the caller has read them already (the training step reads them
   * asynchronously); a criterion that needs them on the CPU (a miner) reads them itself otherwise.
   */
  compute(features: tf.Tensor2D, labels: Int32Array, values?: Float32Array): LossOutput;
  /** Restart the criterion's random stream (miners' subsampling) so each epoch replays exactly after a resume. */
  reseed?(seed: number): void;
}
