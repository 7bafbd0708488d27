import type { BatchLogs, TrainCallback } from '../../interfaces/callbacks';
import type { TrainSession } from '../session';
import { gpuBytes } from '../../webgpu';
import { shownEpoch } from '../../../../shared/epochs';

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
