/**
 * A training step for batches whose activations do not fit at once — 32 labels × 4 images of 224 px on the wasm
 * backend's 4 GB heap — with the loss still over the whole batch (what the miner needs). The embedding-gradient
 * cache of Gao et al. 2021 ("Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup"):
 *
 * 1. embed the batch chunk by chunk, keeping no activations;
 * 2. form the loss on the whole batch's embeddings E and take dL/dE (and the criterion's own gradients);
 * 3. run each chunk again with its tape and back-propagate dL/dE's rows: Σ_chunks ∂(Σ E_c · dL/dE_c)/∂θ = dL/dθ.
 *
 * The weight gradients equal the one-pass step's wherever a chunk's embeddings depend on that chunk alone. Batch
 * norm in training mode normalises with each chunk's statistics (as a data-parallel step does per device without
 * synchronised batch norm) and moves its averages once per chunk (as gradient accumulation does); pass 1 leaves
 * them as they were. Both passes see the same inputs: augmentations are drawn once, when the batch is loaded.
 */
import * as tf from '@tensorflow/tfjs';
import type { Criterion, LossOutput } from '../interfaces/criterions';
import { lossLogs } from '../losses/logs';
import { embeddingSpread } from './collapse';
import type { Optimizer } from './optim';
import type { StepResult } from './step';

export interface TwoPassGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** The whole batch's embeddings, read back (the miner's input). */
  embeddings: Float32Array;
  out: LossOutput;
}

/** Values of the batch norms' moving statistics (tfjs names them `…/moving_mean`, `…/moving_variance`), to put back after pass 1. */
function snapshot(net: tf.LayersModel): { v: tf.LayerVariable; value: tf.Tensor }[] {
  return net.nonTrainableWeights.filter((v) => /moving_(mean|variance)$/.test(v.name)).map((v) => ({ v, value: tf.clone(v.read()) }));
}

/** Variable names are global in tfjs: each step's embeddings variable gets its own. */
let made = 0;

/**
 * dL/dθ of `criterion(net(x))` over `n` items of `x` (row-major, `itemShape` each), `chunk` items per pass.
 * `netVars` are the network's variables to differentiate; the criterion's own come back too.
 */
export async function twoPassGradients(
  net: tf.LayersModel,
  x: Float32Array,
  itemShape: number[],
  n: number,
  labels: Int32Array,
  criterion: Criterion,
  netVars: tf.Variable[],
  chunk: number,
): Promise<TwoPassGradients> {
  const per = itemShape.reduce((a, b) => a * b, 1);
  const input = (s: number, e: number) => tf.tensor(x.subarray(s * per, e * per), [e - s, ...itemShape]);
  const starts = Array.from({ length: Math.ceil(n / chunk) }, (_, i) => i * chunk);

  // Pass 1: embeddings only. Training mode (the same function pass 2 differentiates), no tape, moving stats restored.
  const saved = snapshot(net);
  let parts: tf.Tensor[] = [];
  try {
    for (const s of starts) parts.push(tf.tidy(() => net.apply(input(s, Math.min(n, s + chunk)), { training: true }) as tf.Tensor));
  } finally {
    for (const { v, value } of saved) {
      v.write(value);
      value.dispose();
    }
  }
  const whole = tf.concat(parts);
  const e = tf.variable(whole, true, `two_pass_embeddings_${++made}`);
  tf.dispose([whole, ...parts]);
  parts = [];
  try {
    const embeddings = (await e.data()) as Float32Array;
    // The loss over the whole batch, and its gradient with respect to the embeddings.
    let out: LossOutput | null = null;
    const head = tf.variableGrads(() => {
      out = criterion.compute(e as unknown as tf.Tensor2D, labels, embeddings);
      return out.loss as tf.Scalar;
    }, [e, ...criterion.trainableVariables]);
    const dE = head.grads[e.name]!;
    delete head.grads[e.name];
    // Pass 2: each chunk again, under its own tape, pushing its rows of dL/dE back into the weights.
    const grads: tf.NamedTensorMap = {};
    try {
      for (const s of starts) {
        const end = Math.min(n, s + chunk);
        const g = tf.variableGrads(() => {
          const emb = net.apply(input(s, end), { training: true }) as tf.Tensor;
          return tf.sum(tf.mul(emb, dE.slice([s, 0], [end - s, -1]))) as tf.Scalar;
        }, netVars);
        g.value.dispose();
        for (const [name, grad] of Object.entries(g.grads)) {
          const sum = grads[name];
          grads[name] = sum ? tf.tidy(() => tf.add(sum, grad)) : grad;
          if (sum) {
            sum.dispose();
            grad.dispose();
          }
        }
      }
    } finally {
      dE.dispose();
    }
    return { value: head.value, grads: { ...grads, ...head.grads }, embeddings, out: out! };
  } finally {
    e.dispose();
  }
}

/** One optimisation step through `twoPassGradients`: the same result shape as `trainStep`. */
export async function twoPassStep(
  net: tf.LayersModel,
  x: Float32Array,
  itemShape: number[],
  labels: Int32Array,
  criterion: Criterion,
  optimizer: Optimizer,
  vars: tf.Variable[],
  chunk: number,
): Promise<StepResult> {
  const own = new Set(criterion.trainableVariables);
  const netVars = vars.filter((v) => !own.has(v));
  const r = await twoPassGradients(net, x, itemShape, labels.length, labels, criterion, netVars, chunk);
  const spread = embeddingSpread(r.embeddings, labels.length, r.embeddings.length / labels.length);
  const loss = await optimizer.apply({ value: r.value, grads: r.grads }, vars);
  return { loss, logs: await lossLogs(r.out), spread };
}
