import type { TrainCallback } from '../../interfaces/callbacks';
import type { TrainSession } from '../session';
import { improves } from './checkpointing';

/**
 * Ends training after `patience` validations without improvement of the checkpoint metric. It runs before
 * checkpointing, so the `last` checkpoint carries the counter as of its own epoch.
 */
export class EarlyStopping implements TrainCallback {
  readonly stateKey = 'early_stopping';
  private best: number | null = null;
  private sinceBest = 0;

  constructor(private readonly patience: number) {}

  state() {
    return { best: this.best, sinceBest: this.sinceBest };
  }
  loadState(state: unknown) {
    ({ best: this.best, sinceBest: this.sinceBest } = state as { best: number | null; sinceBest: number });
  }

  onEpochEnd(s: TrainSession): void {
    const key = s.cfg.metric_for_checkpointing;
    const value = s.metrics[key];
    if (!s.validated || value === undefined) return;
    if (improves(value, this.best, s.cfg.mode_for_checkpointing)) {
      this.best = value;
      this.sinceBest = 0;
    } else this.sinceBest++;
    if (this.sinceBest >= this.patience) s.stopTraining = true;
  }

  onTrainEnd(s: TrainSession): void {
    if (s.stopTraining)
      s.events.log(`early stopping: no improvement of ${s.cfg.metric_for_checkpointing} for ${this.sinceBest} validations`);
  }
}
