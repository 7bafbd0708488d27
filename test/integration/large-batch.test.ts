// A 224-px MobileNetV2-1.0 step on a batch of 128 (32 labels × 4), the batch OML fine-tunes with, on the wasm
// backend: one pass would need ~20 GB of activations in a 4 GB heap; micro_batch auto runs it in two passes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { CriterionConfig, ExtractorConfig } from '../../shared/schemas/config';
import { useBackend } from '../../main/engine/backends';
import { buildExtractor, trainableWeights } from '../../main/engine/models/extractor';
import { createCriterion } from '../../main/engine/train/factories';
import { activationSize, microBatch } from '../../main/engine/train/micro-batch';
import { Optimizer } from '../../main/engine/train/optim';
import { twoPassStep } from '../../main/engine/train/two-pass-step';
import { mulberry32 } from '../../main/random';

beforeAll(async () => {
  await useBackend('wasm', 1);
});

it('trains a step of 128 images at 224 px within the wasm heap', async () => {
  const model = buildExtractor(ExtractorConfig.parse({ name: 'mobilenet_v2', args: { alpha: 1 } }), [224, 224, 3], 1);
  const size = activationSize(model);
  const chunk = microBatch('auto', size, 'wasm', 128);
  // One pass over 128 would hold far more than the heap's 4 GB; the chunks fit in half of it.
  expect(128 * size.total * 8).toBeGreaterThan(4 * 2 ** 30);
  expect(chunk).toBeGreaterThan(1);
  expect(chunk).toBeLessThan(128);
  expect(chunk * size.total * 8).toBeLessThanOrEqual(2 * 2 ** 30);
  const criterion = createCriterion(
    CriterionConfig.parse({ name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets', args: {} } } }),
    128,
    32,
    new Map(),
    1,
  );
  const optimizer = new Optimizer({ name: 'adam', args: { lr: 1e-4, weight_decay: 0, momentum: 0.9 } });
  const vars = trainableWeights(model, false);
  const rng = mulberry32(3);
  const x = Float32Array.from({ length: 128 * 224 * 224 * 3 }, () => rng() * 2 - 1);
  const labels = Int32Array.from({ length: 128 }, (_, i) => Math.floor(i / 4));
  const before = vars[0]!.dataSync().slice();
  const tensors = tf.memory().numTensors;
  const r = await twoPassStep(model, x, [224, 224, 3], labels, criterion, optimizer, vars, chunk);
  expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
  expect(r.logs.active_tri).toBeGreaterThan(0);
  expect(vars[0]!.dataSync().some((v, i) => v !== before[i])).toBe(true);
  // Nothing of the step is left on the heap but Adam's new moments, two per variable.
  expect(tf.memory().numTensors - tensors).toBe(2 * vars.length);
  const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  expect(heap).toBeLessThan(3 * 2 ** 30);
}, 180_000);
