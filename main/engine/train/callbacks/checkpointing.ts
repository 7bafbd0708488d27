import path from 'node:path';
import type { TrainCallback } from '../../interfaces/callbacks';
import { saveCheckpoint, type CheckpointMeta } from '../checkpoint';
import type { TrainSession } from '../session';
import { shownEpoch } from '../../../../shared/epochs';

/** Is `value` better than `best` in this mode (null = nothing yet)? */
export const improves = (value: number, best: number | null, mode: 'max' | 'min') =>
  best === null || (mode === 'max' ? value > best : value < best);

/**
 * OML's checkpointing: `best` whenever `metric_for_checkpointing` improves, `last` after every epoch (with the
 * optimiser and every callback's state, for resume). Both are written atomically.
 */
export class Checkpointing implements TrainCallback {
  readonly stateKey = 'checkpointing';
  best: number | null = null;

  state() {
    return { best: this.best };
  }
  loadState(state: unknown) {
    this.best = (state as { best: number | null }).best;
  }

  onTrainBegin(s: TrainSession): void {
    // Checkpoints written before callback states existed keep the best value among their metrics.
    if (s.resumed && !s.resumed.callbacks) this.best = s.resumed.metrics[`best:${s.cfg.metric_for_checkpointing}`] ?? null;
  }

  async onEpochEnd(s: TrainSession): Promise<void> {
    const key = s.cfg.metric_for_checkpointing;
    const value = s.metrics[key];
    if (s.validated && value !== undefined) {
      const better = improves(value, this.best, s.cfg.mode_for_checkpointing);
      if (better) {
        this.best = value;
        await this.save(s, 'best', s.metrics);
      }
      s.events.log(`epoch ${shownEpoch(s.epoch)}: ${key} = ${value.toFixed(4)}${better ? ' (best)' : ''}`);
    }
    await this.save(s, 'last', { ...s.metrics, ...(this.best !== null ? { [`best:${key}`]: this.best } : {}) });
  }

  private async save(s: TrainSession, kind: 'best' | 'last', metrics: Record<string, number>): Promise<void> {
    const meta: CheckpointMeta = {
      format: 'metric-studio-checkpoint/1',
      runId: s.runId,
      epoch: s.epoch,
      step: s.step,
      config: s.cfg,
      inputShape: s.inputShape,
      labelMapping: [...s.train.mapping],
      metrics,
      backend: s.backend.name,
      savedAt: new Date().toISOString(),
      ...(kind === 'last' ? { callbacks: s.callbackStates() } : {}),
      ...(s.backbone ? { backbone: s.backbone } : {}),
    };
    const dir = path.join(s.ckptRoot, kind);
    await saveCheckpoint(dir, {
      model: s.model,
      meta,
      optimizer: kind === 'last' ? await s.optimizer.getWeights() : undefined,
      criterion: s.criterion.trainableVariables,
    });
    const value = metrics[s.cfg.metric_for_checkpointing];
    const metricKey = value === undefined ? null : s.cfg.metric_for_checkpointing;
    s.events.send({ type: 'checkpoint', runId: s.runId, epoch: s.epoch, kind, path: dir, metricKey, metricValue: value ?? null });
  }
}
