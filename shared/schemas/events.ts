import { z } from 'zod';
import { Baseline } from '../baselines';
import { RunStatus } from './run';

/** What a training worker streams; the supervisor persists it and forwards it to every client. */
export const TrainEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), runId: z.number().int(), status: RunStatus, error: z.string().optional() }),
  z.object({ type: z.literal('log'), runId: z.number().int(), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({
    type: z.literal('progress'),
    runId: z.number().int(),
    epoch: z.number().int(),
    step: z.number().int(),
    /** Steps done in this epoch and the epoch's length. */
    epochStep: z.number().int(),
    epochSteps: z.number().int(),
    phase: z.enum(['loading', 'training', 'validating']),
  }),
  z.object({
    type: z.literal('checkpoint'),
    runId: z.number().int(),
    epoch: z.number().int(),
    kind: z.enum(['best', 'last']),
    path: z.string(),
    metricKey: z.string().nullable(),
    metricValue: z.number().nullable(),
  }),
  z.object({
    type: z.literal('backend'),
    runId: z.number().int(),
    name: z.string(),
    version: z.string().nullable(),
    threads: z.number().int(),
    detail: z.string(),
    /** The GPU it runs on (webgpu): "NVIDIA ampere (…)". */
    device: z.string().optional(),
  }),
  /**
   * A resumed run starts again after its `last` checkpoint: whatever was logged past that epoch and step (the
   * part of an epoch the stop or crash cut short) is about to be logged again, so it is dropped.
   */
  z.object({ type: z.literal('resumed'), runId: z.number().int(), epoch: z.number().int(), step: z.number().int() }),
  /** A model that needs no training, validated once on the run's validation rows before its first step. */
  z.object({ type: z.literal('baseline'), runId: z.number().int(), baseline: Baseline }),
  /** Logged scalars: per-step series coalesced into windows by the worker, or one validation's metrics. */
  z.object({
    type: z.literal('metrics'),
    runId: z.number().int(),
    points: z.array(z.object({ step: z.number().int(), epoch: z.number().int(), values: z.record(z.string(), z.number()) })),
  }),
]);
export type TrainEvent = z.infer<typeof TrainEvent>;

export const RunsChanged = z.object({ runId: z.number().int().nullable() });

/** A zoo model was installed or removed. */
export const ZooChanged = z.object({ key: z.string() });

/** A background job of the app's services (embedding a dataset for the explorer, …), for progress bars. */
export const JobProgress = z.object({
  jobId: z.string(),
  /** What is being done, for people: "Embedding 10,000 validation images with checkpoint …". */
  label: z.string(),
  done: z.number().int(),
  total: z.number().int(),
  state: z.enum(['running', 'done', 'failed']),
  message: z.string().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** How a run's backend is shown and stored: name, version and, where it runs its own pool, the thread count or GPU. */
export function backendLabel(e: Pick<Extract<TrainEvent, { type: 'backend' }>, 'name' | 'version' | 'threads' | 'device'>): string {
  const threads = e.threads > 0 ? ` · ${e.threads} thread${e.threads === 1 ? '' : 's'}` : '';
  const device = e.device ? ` · ${e.device}` : '';
  return `${e.name}${e.version ? ` ${e.version}` : ''}${threads}${device}`;
}
