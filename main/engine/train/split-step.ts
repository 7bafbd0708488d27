/**
 * Gradients through a forward pass whose output is read back to the CPU before the loss is formed — a miner picks
 * triplets from the batch's features, the collapse watch measures their spread — without a synchronous read.
 *
 * `tf.variableGrads` needs its function to be synchronous, so the miner's read had to be `dataSync()`. The WebGPU
 * backend cannot read synchronously in Node (it would need an OffscreenCanvas), and on a real GPU a blocking read
 * stalls the queue. Here the forward is recorded on tfjs's gradient tape, its output is read with `await data()`,
 * and the head (miner + loss) is then recorded onto the same tape by `tf.variableGrads`, which back-propagates
 * through both. The tape is the engine's own (`startTape`/`endTape` and `state.activeTape`: not in tfjs's typings,
 * hence the cast); the split-step test checks the gradients equal one `tf.variableGrads` over the whole step.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeEngine {
  startTape(): void;
  endTape(): void;
  state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
}

export interface SplitGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/**
 * d head(forward(), values) / d vars, where `values` are forward()'s output read asynchronously. Every tensor
 * the head keeps (`tf.keep`) outlives the call; the rest, and the tape's saved tensors, are freed.
 */
export async function splitGradients(
  forward: () => tf.Tensor,
  head: (out: tf.Tensor, values: Float32Array) => tf.Scalar,
  vars: tf.Variable[],
): Promise<SplitGradients> {
  const engine = tf.engine() as unknown as TapeEngine;
  if (engine.state.gradientDepth !== 0) throw new Error('splitGradients cannot run inside another gradient computation');
  engine.startTape();
  let out: tf.Tensor | null = null;
  try {
    out = tf.tidy(forward);
    const values = (await out.data()) as Float32Array;
    // variableGrads opens its tape inside ours (depth 2), so it appends to the recorded forward and back-propagates
    // from the head's loss through both; at depth > 0 it leaves the tape for us to free.
    const o = out;
    return tf.variableGrads(() => head(o, values), vars);
  } finally {
    engine.endTape();
    for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
    out?.dispose();
  }
}
