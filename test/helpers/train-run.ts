import type { TrainEvent } from '../../shared/schemas/events';
import { train, type TrainOptions } from '../../main/engine/train/trainer';

/** A run in this process with every event kept: the result, the events, and the log lines. */
export async function trainCollecting(opts: Omit<TrainOptions, 'emit' | 'shouldStop' | 'runId'> & { runId?: number }) {
  const events: TrainEvent[] = [];
  const result = await train({ runId: 1, ...opts, emit: (e) => events.push(e), shouldStop: () => false });
  return { result, events, logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])) };
}
