import { z } from 'zod';

/**
 * The numbers a config implies for its dataset — the ones users get wrong when they only see n_labels and
 * n_instances: shown beside the Train form, computed by the pre-flight check from the sampler the run will build.
 */
export const TrainPlan = z.object({
  batchSize: z.number().int(),
  /** Per epoch: the sampler's batches, capped by steps_per_epoch. */
  batchesPerEpoch: z.number().int(),
  totalSteps: z.number().int(),
  trainLabels: z.number().int(),
  trainImages: z.number().int(),
  /** Distinct labels one epoch draws (balance samplers take each label at most once per epoch). */
  labelsPerEpoch: z.number().int(),
  /** Triplets the miner forms from one batch; null for losses without triplets or miners whose count varies. */
  tripletsPerBatch: z.number().int().nullable(),
  validation: z.object({
    queries: z.number().int(),
    galleries: z.number().int(),
    labels: z.number().int(),
    /** Mean gallery items of a query's own label (what a query can find), the query itself excluded. */
    relevantPerQuery: z.number(),
  }),
});
export type TrainPlan = z.infer<typeof TrainPlan>;
