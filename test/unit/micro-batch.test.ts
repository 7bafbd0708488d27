import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExtractorConfig } from '../../shared/schemas/config';
import { buildExtractor } from '../../main/engine/models/extractor';
import { activationSize, microBatch } from '../../main/engine/train/micro-batch';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('micro_batch: how many images a step runs at once', () => {
  it('counts every layer output, nested models included, and the largest one', () => {
    const cnn = buildExtractor(ExtractorConfig.parse({ name: 'small_cnn', args: { emb_dim: 8 } }), [28, 28, 1], 1);
    // conv1 28·28·32, pool1 14·14·32, conv2 14·14·64, pool2 7·7·64, flatten 3136, projection 8, l2norm 8.
    const expected = 28 * 28 * 32 + 14 * 14 * 32 + 14 * 14 * 64 + 7 * 7 * 64 + 3136 + 8 + 8;
    expect(activationSize(cnn)).toEqual({ total: expected, largest: 28 * 28 * 32 });
    const input = tf.input({ shape: [28, 28, 1] });
    const nested = tf.model({ inputs: input, outputs: cnn.apply(input) as tf.SymbolicTensor });
    expect(activationSize(nested)).toEqual(activationSize(cnn));
  });

  it('takes a number as given (at most the batch), and on auto keeps the batch unless the backend cannot hold it', () => {
    const size = { total: 20_000_000, largest: 1_200_000 };
    expect(microBatch(16, size, 'wasm', 128)).toBe(16);
    expect(microBatch(500, size, 'wasm', 128)).toBe(128);
    // 2 GB of wasm heap at 8 bytes a float: 13 images, as even chunks of a 128-image batch (10 chunks of 13).
    expect(microBatch('auto', size, 'wasm', 128)).toBe(13);
    expect(microBatch('auto', { total: 1_000_000, largest: 100_000 }, 'wasm', 128)).toBe(128);
    // 128 images in a budget of 268: whole; 300 in the same budget: two even chunks of 150, not 268 + 32.
    expect(microBatch('auto', { total: 1_000_000, largest: 100_000 }, 'wasm', 300)).toBe(150);
    // WebGPU: the largest activation of a chunk must fit one buffer binding (128 MB on lavapipe).
    expect(microBatch('auto', { total: 3_000_000, largest: 2_097_152 }, 'webgpu', 20, 128 * 2 ** 20)).toBe(10);
    // Backends that manage (or report) their own memory keep the batch.
    expect(microBatch('auto', size, 'cpu', 128)).toBe(128);
    expect(microBatch('auto', size, 'tensorflow-gpu', 128)).toBe(128);
  });
});
