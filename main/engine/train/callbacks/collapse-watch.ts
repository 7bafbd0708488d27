import type { BatchLogs, TrainCallback } from '../../interfaces/callbacks';
import type { CollapseDetector } from '../collapse';
import type { TrainSession } from '../session';

/** Warns once, in the log and as a `collapse_warning` point, when the embedding looks collapsed. */
export class CollapseWatch implements TrainCallback {
  readonly stateKey = 'collapse';
  private warned = false;

  constructor(private readonly detector: CollapseDetector) {}

  state() {
    return { warned: this.warned };
  }
  loadState(state: unknown) {
    this.warned = (state as { warned: boolean }).warned;
  }

  onBatchEnd(s: TrainSession, b: BatchLogs): void {
    const warning = this.detector.observe(b.loss, b.logs.active_tri, b.spread);
    if (!warning || this.warned) return;
    this.warned = true;
    s.events.log(warning, 'warn');
    s.events.stepMetrics(s.step, s.epoch, { collapse_warning: 1 });
  }
}
