import { z } from 'zod';
import { RunStatus } from './run';

/** What a training worker streams; the supervisor persists it and forwards it to every client. */
export const TrainEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), runId: z.number().int(), status: RunStatus, error: z.string().optional() }),
  z.object({ type: z.literal('log'), runId: z.number().int(), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({
    type: z.literal('metrics'),
    runId: z.number().int(),
    step: z.number().int(),
    epoch: z.number().int(),
    values: z.record(z.string(), z.number()),
  }),
]);
export type TrainEvent = z.infer<typeof TrainEvent>;

export const RunsChanged = z.object({ runId: z.number().int().nullable() });
