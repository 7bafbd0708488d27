import { describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import { BatchTooLargeError, explainFailure } from '../../main/engine/device-errors';
import { trainingBatch } from '../../main/engine/train/trainer';
import { smallConfig } from '../helpers/training';

describe('failures that mean the batch does not fit', () => {
  const origin = { size: 64, setting: 'bs_val (64)' };
  // What the wasm backend's 4 GB heap and V8 throw when an allocation fails, and what Dawn says on a GPU.
  for (const message of [
    'Aborted(OOM). Build with -sASSERTIONS for more info.',
    'RangeError: Array buffer allocation failed',
    'RangeError: Invalid typed array length: 1610612736',
    'GPUOutOfMemoryError: Failed to allocate memory for buffer',
    'Binding size (167772160) of [Buffer] is larger than the maximum storage buffer binding size (134217728).',
  ]) {
    it(`"${message.slice(0, 40)}…" becomes a message naming the setting to lower`, () => {
      const e = explainFailure(new Error(message), origin);
      expect(e).toBeInstanceOf(BatchTooLargeError);
      expect((e as Error).message).toMatch(/batch of 64 images: lower bs_val \(64\) or image_size/);
      expect((e as Error).message).toContain(message.split('\n')[0]!.slice(0, 30));
    });
  }

  it('leaves every other error as it was', () => {
    const err = new Error('The miner found no triplets in this batch');
    expect(explainFailure(err, origin)).toBe(err);
  });

  it("names each sampler's own batch settings", () => {
    const cfg = (sampler: object) => TrainConfig.parse(smallConfig('x.csv', { sampler } as never));
    expect(trainingBatch(cfg({ name: 'balance', args: { n_labels: 8, n_instances: 4 } }), 32).setting).toBe(
      "the sampler's n_labels × n_instances (8 × 4)",
    );
    expect(trainingBatch(cfg({ name: 'category_balance', args: { n_categories: 2, n_labels: 3, n_instances: 4 } }), 24).setting).toBe(
      "the sampler's n_categories × n_labels × n_instances (2 × 3 × 4)",
    );
    // A two-pass step holds a chunk at a time: that is the setting to lower.
    const chunked = trainingBatch(cfg({ name: 'balance', args: { n_labels: 8, n_instances: 4 } }), 32, 6);
    expect(chunked).toEqual({ size: 6, setting: 'micro_batch (6: the step runs its 32 images in chunks of it)' });
  });
});
