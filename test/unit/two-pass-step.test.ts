import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CriterionConfig, ExtractorConfig } from '../../shared/schemas/config';
import { useBackend } from '../../main/engine/backends';
import { buildExtractor, trainableWeights } from '../../main/engine/models/extractor';
import { createCriterion } from '../../main/engine/train/factories';
import { twoPassGradients } from '../../main/engine/train/two-pass-step';
import { mulberry32 } from '../../main/random';
import { relDiff } from '../helpers/gradient-checks';

beforeAll(async () => {
  await useBackend('wasm', 1);
});

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const labels = Int32Array.from({ length: 12 }, (_, i) => Math.floor(i / 3));
const criteria: [string, unknown][] = [
  ['triplet + all_triplets', { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets', args: {} } } }],
  ['triplet + hard_triplets', { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'hard_triplets', args: {} } } }],
  ['triplet soft margin + n_hard', { name: 'triplet_with_miner', args: { margin: null, miner: { name: 'n_hard_triplets', args: {} } } }],
  ['arcface (its own weights)', { name: 'arcface', args: { m: 0.4, s: 16 } }],
  ['surrogate_precision', { name: 'surrogate_precision', args: { k: 2 } }],
];
const criterion = (cfg: unknown) => createCriterion(CriterionConfig.parse(cfg), 16, 4, new Map(), 7);

async function compare(model: tf.LayersModel, shape: number[], cfg: unknown, chunk: number, reference: (x: tf.Tensor) => tf.Tensor) {
  const n = labels.length;
  const x = rand(n * shape.reduce((a, b) => a * b, 1), 5);
  const vars = trainableWeights(model, false);
  const before = model.getWeights().map((w) => w.clone());
  const c1 = criterion(cfg);
  const whole = tf.variableGrads(() => {
    const f = reference(tf.tensor(x, [n, ...shape])) as tf.Tensor2D;
    return c1.compute(f, labels).loss as tf.Scalar;
  }, [...vars, ...c1.trainableVariables]);
  const statsAfterReference = model.getWeights().map((w) => w.clone());
  model.setWeights(before);
  const c2 = criterion(cfg);
  // The same start for the criterion's own weights (ArcFace's centres are seeded alike; this pins it).
  c2.trainableVariables.forEach((v, i) => {
    v.assign(c1.trainableVariables[i]!);
  });
  const tensors = tf.memory().numTensors;
  const two = await twoPassGradients(model, x, shape, n, labels, c2, vars, chunk);
  const kept = (two.out.pending?.tensors.length ?? 0) + 1 + Object.keys(two.grads).length;
  expect(tf.memory().numTensors - tensors).toBe(kept);
  expect(Object.keys(two.grads).length).toBe(vars.length + c2.trainableVariables.length);
  for (const [i, v] of vars.entries()) {
    const diff = relDiff(two.grads[v.name]!.dataSync(), whole.grads[v.name]!.dataSync());
    expect(diff, `${vars[i]!.name}`).toBeLessThan(1e-5);
  }
  for (const [i, v] of c2.trainableVariables.entries()) {
    const diff = relDiff(two.grads[v.name]!.dataSync(), whole.grads[c1.trainableVariables[i]!.name]!.dataSync());
    expect(diff, `criterion ${v.name}`).toBeLessThan(1e-5);
  }
  expect(Math.abs(two.value.dataSync()[0]! - whole.value.dataSync()[0]!)).toBeLessThan(
    1e-5 * Math.max(1, Math.abs(whole.value.dataSync()[0]!)),
  );
  const stats = model.getWeights();
  const moved = stats.map((w, i) => relDiff(w.dataSync(), statsAfterReference[i]!.dataSync()));
  tf.dispose([two.value, ...Object.values(two.grads), whole.value, ...Object.values(whole.grads), ...before, ...statsAfterReference]);
  for (const t of two.out.pending?.tensors ?? []) t.dispose();
  return Math.max(...moved);
}

describe('twoPassGradients: the loss over the whole batch, forward and backward chunk by chunk', () => {
  for (const [name, cfg] of criteria) {
    it(`equals one pass over the batch on a net without batch statistics (${name}, chunks of 5 of 12)`, async () => {
      const model = buildExtractor(ExtractorConfig.parse({ name: 'small_cnn', args: { emb_dim: 16 } }), [12, 12, 1], 3);
      await compare(model, [12, 12, 1], cfg, 5, (x) => model.apply(x, { training: true }) as tf.Tensor);
    });
  }

  it('with batch norm in training: equals one pass whose statistics are per chunk, and moves the averages once per chunk', async () => {
    const model = buildExtractor(ExtractorConfig.parse({ name: 'mobilenet_v2', args: { emb_dim: 16, alpha: 0.35 } }), [16, 16, 3], 3);
    const chunked = (x: tf.Tensor) =>
      tf.concat([0, 4, 8].map((s) => model.apply(x.slice([s, 0, 0, 0], [4, -1, -1, -1]), { training: true }) as tf.Tensor));
    const drift = await compare(model, [16, 16, 3], criteria[0]![1], 4, chunked);
    // The moving statistics end where the reference's per-chunk forwards left them: pass 1 moved nothing.
    expect(drift).toBeLessThan(1e-6);
  });

  it('one chunk as large as the batch is the one-pass step', async () => {
    const model = buildExtractor(ExtractorConfig.parse({ name: 'small_cnn', args: { emb_dim: 16 } }), [12, 12, 1], 4);
    await compare(model, [12, 12, 1], criteria[1]![1], 12, (x) => model.apply(x, { training: true }) as tf.Tensor);
  });
});
