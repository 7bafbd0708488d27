import type { BatchLogs, TrainCallback } from '../../interfaces/callbacks';
import type { TrainSession } from '../session';

/** Calls every callback's hook in order (tfjs-layers' CallbackList), and gathers or restores their states. */
export class CallbackList {
  constructor(readonly callbacks: TrainCallback[]) {}

  async onTrainBegin(s: TrainSession) {
    for (const c of this.callbacks) await c.onTrainBegin?.(s);
  }
  async onEpochBegin(s: TrainSession) {
    for (const c of this.callbacks) await c.onEpochBegin?.(s);
  }
  async onBatchBegin(s: TrainSession) {
    for (const c of this.callbacks) await c.onBatchBegin?.(s);
  }
  async onBatchEnd(s: TrainSession, batch: BatchLogs) {
    for (const c of this.callbacks) await c.onBatchEnd?.(s, batch);
  }
  async onEpochEnd(s: TrainSession) {
    for (const c of this.callbacks) await c.onEpochEnd?.(s);
  }
  async onTrainEnd(s: TrainSession) {
    for (const c of this.callbacks) await c.onTrainEnd?.(s);
  }

  states(): Record<string, unknown> {
    return Object.fromEntries(this.callbacks.filter((c) => c.stateKey && c.state).map((c) => [c.stateKey!, c.state!()]));
  }
  loadStates(states: Record<string, unknown> | undefined): void {
    for (const c of this.callbacks) if (c.stateKey && states && c.stateKey in states) c.loadState?.(states[c.stateKey]);
  }
}
