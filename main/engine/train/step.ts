import type * as tf from '@tensorflow/tfjs';
import type { Criterion, LossOutput } from '../interfaces/criterions';
import { lossLogs } from '../losses/logs';
import { embeddingSpread } from './collapse';
import type { Optimizer } from './optim';
import { splitGradients } from './split-step';

export interface StepResult {
  loss: number;
  logs: Record<string, number>;
  /** How spread the batch's embeddings are (the collapse watch's measure). */
  spread: number;
}

/**
 * One optimisation step on a batch: forward, read the features back (the miner and the collapse watch need
 * them on the CPU) without blocking, loss, backward, update. The same path on every backend.
 */
export async function trainStep(
  net: tf.LayersModel,
  x: tf.Tensor,
  labels: Int32Array,
  criterion: Criterion,
  optimizer: Optimizer,
  vars: tf.Variable[],
): Promise<StepResult> {
  let out: LossOutput | null = null;
  let spread = 1;
  const grads = await splitGradients(
    () => net.apply(x, { training: true }) as tf.Tensor2D,
    (features, values) => {
      spread = embeddingSpread(values, labels.length, features.shape[1]!);
      out = criterion.compute(features as tf.Tensor2D, labels, values);
      return out.loss as tf.Scalar;
    },
    vars,
  );
  const loss = await optimizer.apply(grads, vars);
  return { loss, logs: await lossLogs(out!), spread };
}
