import { z } from 'zod';
import { Baseline } from '../baselines';

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'interrupted', 'stopped'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  status: RunStatus,
  datasetCsv: z.string().nullable(),
  /** SHA-256 of the CSV as the run read it when it started (a later version of the file has another). */
  datasetDigest: z.string().nullable(),
  /** The folder the dataset's image paths start from. */
  datasetRoot: z.string().nullable(),
  backend: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  tags: z.array(z.string()),
  /** Final value of every logged metric key, e.g. `{ "OVERALL/cmc/1": 0.86 }`. */
  lastMetrics: z.record(z.string(), z.number()),
  /**
   * The best checkpoint's metric (the run's `metric_for_checkpointing`, best by its mode), null before one exists;
   * `untrained`: the same metric of the network before its first step (the baseline training must beat).
   */
  best: z.object({ key: z.string(), value: z.number(), epoch: z.number().int(), untrained: z.number().nullable() }).nullable(),
  /** What the run measured before its first step without training (raw pixels, its zoo model frozen). */
  baselines: z.array(Baseline),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunDetail = RunSummary.extend({
  configYaml: z.string(),
  error: z.string().nullable(),
  notes: z.string(),
  parentRunId: z.number().int().nullable(),
});
export type RunDetail = z.infer<typeof RunDetail>;
