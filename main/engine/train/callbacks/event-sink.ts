import type { TrainEvent } from '../../../../shared/schemas/events';
import type { BatchLogs, TrainCallback } from '../../interfaces/callbacks';
import type { TrainSession } from '../session';
import { gpuBytes } from '../../webgpu';
import { shownEpoch } from '../../../../shared/epochs';

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

/** Logs every step (loss, lr, img/s, the criterion's scalars) and the epoch's summary through the sink. */
export class StepLogger implements TrainCallback {
  private t0 = 0;
  private seen = 0;
  private lossSum = 0;
  private steps = 0;

  onEpochBegin(): void {
    this.t0 = performance.now();
    this.seen = this.lossSum = this.steps = 0;
  }

  onBatchEnd(s: TrainSession, b: BatchLogs): void {
    this.seen += b.batchSize;
    this.lossSum += b.loss;
    this.steps++;
    const seconds = Math.max((performance.now() - this.t0) / 1000, 1e-9);
    const gpu = gpuBytes();
    // On a GPU: what tfjs holds there, its buffer pool included — the figure to watch before raising the batch.
    const memory: Record<string, number> = gpu ? { gpu_memory_mb: gpu.allocated / 2 ** 20 } : {};
    s.events.stepMetrics(s.step, s.epoch, {
      loss: b.loss,
      lr: s.optimizer.effectiveLearningRate,
      img_per_s: this.seen / seconds,
      ...memory,
      ...b.logs,
    });
    s.events.progress({ epoch: s.epoch, step: s.step, epochStep: b.epochStep, epochSteps: b.epochSteps, phase: 'training' });
  }

  onEpochEnd(s: TrainSession): void {
    const seconds = (performance.now() - this.t0) / 1000;
    s.events.log(
      `epoch ${shownEpoch(s.epoch)}: mean loss ${(this.lossSum / Math.max(1, this.steps)).toFixed(4)}, ${(this.seen / seconds).toFixed(0)} img/s`,
    );
  }

  onTrainEnd(s: TrainSession): void {
    s.events.flush();
  }
}
