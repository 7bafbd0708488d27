import type { TrainCallback } from '../../interfaces/callbacks';
import type { Scheduler } from '../optim';
import type { TrainSession } from '../session';

/** Sets the learning rate per epoch or per step (`scheduler_interval`); feeds reduce_on_plateau after validation. */
export class LrScheduling implements TrainCallback {
  readonly stateKey = 'scheduler';

  constructor(
    private readonly scheduler: Scheduler,
    private readonly interval: 'epoch' | 'step',
  ) {}

  state() {
    return this.scheduler.state();
  }
  loadState(state: unknown) {
    this.scheduler.loadState(state);
  }

  onEpochBegin(s: TrainSession): void {
    if (this.interval === 'epoch') s.optimizer.learningRate = this.scheduler.lrAt(s.epoch);
  }
  onBatchBegin(s: TrainSession): void {
    if (this.interval === 'step') s.optimizer.learningRate = this.scheduler.lrAt(s.step);
  }
  onEpochEnd(s: TrainSession): void {
    const value = s.metrics[s.cfg.metric_for_checkpointing];
    if (s.validated && value !== undefined) this.scheduler.observe(value);
  }
}

/**
 * Linear warm-up over the first `steps` steps: the rate rises from 1/steps of the scheduled one to all of it (a
 * fine-tuned backbone's first updates come from a randomly initialised head: large and noisy). Stateless: the
 * factor follows the step count, which a resumed run restores.
 */
export class Warmup implements TrainCallback {
  constructor(private readonly steps: number) {}
  onBatchBegin(s: TrainSession): void {
    s.optimizer.warmupFactor = Math.min(1, (s.step + 1) / this.steps);
  }
}
