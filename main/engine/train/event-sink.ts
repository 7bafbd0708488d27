import type { TrainEvent } from '../../../shared/schemas/events';

type MetricPoint = Extract<TrainEvent, { type: 'metrics' }>['points'][number];
type Progress = Omit<Extract<TrainEvent, { type: 'progress' }>, 'type' | 'runId'>;

/**
 * Where a run's events leave the training loop. Per-step metrics and progress are coalesced and sent at most every
 * `intervalMs` (tfjs's yieldEvery idea), so a fast model cannot flood the supervisor, the store and the UI: the
 * step points of a window travel as one `metrics` event (none is dropped), progress as its latest value. Any
 * other event first flushes what is pending, so the order of events is kept.
 */
export class EventSink {
  private points: MetricPoint[] = [];
  private latestProgress: Progress | null = null;
  private lastFlush = 0;

  constructor(
    readonly runId: number,
    private readonly emit: (e: TrainEvent) => void,
    readonly intervalMs = 200,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A step's scalars: buffered until the window closes. */
  stepMetrics(step: number, epoch: number, values: Record<string, number>): void {
    this.points.push({ step, epoch, values });
    this.maybeFlush();
  }

  progress(p: Progress): void {
    this.latestProgress = p;
    this.maybeFlush();
  }

  /** Validation metrics, logs, checkpoints, status: sent now, after whatever was pending. */
  send(e: TrainEvent): void {
    this.flush();
    this.emit(e);
  }

  log(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.send({ type: 'log', runId: this.runId, level, message });
  }

  flush(): void {
    this.lastFlush = this.now();
    if (this.points.length) {
      this.emit({ type: 'metrics', runId: this.runId, points: this.points });
      this.points = [];
    }
    if (this.latestProgress) {
      this.emit({ type: 'progress', runId: this.runId, ...this.latestProgress });
      this.latestProgress = null;
    }
  }

  private maybeFlush(): void {
    if (this.now() - this.lastFlush >= this.intervalMs) this.flush();
  }
}
