import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../random';
import type { TrainCallback } from '../interfaces/callbacks';
import { trainableWeights } from '../models/extractor';
import { Baselines } from './callbacks/baselines';
import { Checkpointing } from './callbacks/checkpointing';
import { CollapseWatch } from './callbacks/collapse-watch';
import { EarlyStopping } from './callbacks/early-stopping';
import { EventSink } from './event-sink';
import { StepLogger } from './callbacks/step-logger';
import { CallbackList } from './callbacks/list';
import { LrScheduling, Warmup } from './callbacks/scheduling';
import { Validation } from './callbacks/validation';
import { CollapseDetector } from './collapse';
import { Scheduler } from './optim';
import { trainStep } from './step';
import { twoPassStep } from './two-pass-step';
import type { TrainConfig } from '../../../shared/schemas/config';
import { type BatchOrigin, onDevice } from '../device-errors';
import { setupTraining, type TrainOptions, type TrainSession } from './session';
import { shownEpoch } from '../../../shared/epochs';

export type { TrainOptions } from './session';

export interface TrainResult {
  status: 'finished' | 'stopped';
  epochs: number;
  bestMetric: number | null;
  lastMetrics: Record<string, number>;
}

/** Derives an independent, reproducible RNG stream per (seed, purpose, epoch). */
const stream = (seed: number, purpose: number, epoch: number) => mulberry32((seed * 1000003) ^ (purpose * 7919) ^ (epoch * 104729));

/**
 * The callbacks of a run, in the order their epoch-end hooks must run: the step log, validation, then what reads
 * its metrics (the scheduler, early stopping), then checkpointing (whose `last` carries their states).
 */
export function defaultCallbacks(s: TrainSession, checkpointing: Checkpointing, dataDir?: string): TrainCallback[] {
  const { cfg } = s;
  const list: TrainCallback[] = [new StepLogger(), new Validation(), new Baselines(checkpointing, dataDir)];
  if (cfg.scheduling)
    list.push(new LrScheduling(new Scheduler(cfg.scheduling.scheduler, cfg.optimizer.args.lr), cfg.scheduling.scheduler_interval));
  if (cfg.warmup_steps > 0) list.push(new Warmup(cfg.warmup_steps));
  if (cfg.early_stopping_patience !== null) list.push(new EarlyStopping(cfg.early_stopping_patience));
  list.push(
    checkpointing,
    new CollapseWatch(new CollapseDetector(cfg.criterion.name === 'triplet_with_miner' ? cfg.criterion.args.margin : null)),
  );
  return list;
}

/** The setting that sizes a training batch (or, in a two-pass step, its chunk), for an out-of-memory message. */
export function trainingBatch(cfg: TrainConfig, size: number, chunk = size): BatchOrigin {
  if (chunk < size) return { size: chunk, setting: `micro_batch (${chunk}: the step runs its ${size} images in chunks of it)` };
  const a = cfg.sampler.args;
  const [names, values] =
    'n_categories' in a
      ? ['n_categories × n_labels × n_instances', `${a.n_categories} × ${a.n_labels} × ${a.n_instances}`]
      : ['n_labels × n_instances', `${a.n_labels} × ${a.n_instances}`];
  return { size, setting: `the sampler's ${names} (${values})` };
}

/** One step: whole, or in two passes over chunks when the batch's activations do not fit at once. */
function step(s: TrainSession, data: Float32Array, labels: Int32Array, vars: tf.Variable[]) {
  const { inputs } = s;
  if (s.chunk < labels.length) return twoPassStep(inputs.net, data, inputs.itemShape, labels, s.criterion, s.optimizer, vars, s.chunk);
  const x = tf.tensor(data, [labels.length, ...inputs.itemShape]);
  return trainStep(inputs.net, x, labels, s.criterion, s.optimizer, vars).finally(() => x.dispose());
}

/** One epoch of the sampler's batches; false when a stop was requested. */
async function trainEpoch(s: TrainSession, callbacks: CallbackList, shouldStop: () => boolean): Promise<boolean> {
  const { cfg, inputs } = s;
  const vars = [...trainableWeights(s.model, s.epoch < cfg.freeze_n_epochs), ...s.criterion.trainableVariables];
  const batches = s.sampler.epoch(stream(cfg.seed, 1, s.epoch));
  s.criterion.reseed?.(cfg.seed * 7919 + s.epoch);
  const steps = cfg.steps_per_epoch ? Math.min(cfg.steps_per_epoch, batches.length) : batches.length;
  const augRng = stream(cfg.seed, 2, s.epoch);
  const rows = (b: number) => batches[b]!.map((k) => s.trainIndex[k]!);
  let next = inputs.load(rows(0), augRng);
  for (let b = 0; b < steps; b++) {
    if (shouldStop()) return false;
    const batch = batches[b]!;
    const data = await next;
    // Load the next batch while this one trains (sharp decodes off the JS thread); loads stay in batch order,
    // so the augmentation stream is drawn in the same order on every run.
    if (b + 1 < steps) next = inputs.load(rows(b + 1), augRng);
    await callbacks.onBatchBegin(s);
    const labels = Int32Array.from(batch, (k) => s.train.labels[k]!);
    const { loss, logs, spread } = await onDevice(trainingBatch(cfg, batch.length, s.chunk), step(s, data, labels, vars));
    s.step++;
    if (!Number.isFinite(loss)) {
      // Logged as it is (stored as "not a number"): the chart shows where the run went off.
      s.events.stepMetrics(s.step, s.epoch, { loss });
      throw new Error(
        `Training diverged: the loss became ${loss} at step ${s.step} (epoch ${shownEpoch(s.epoch)}); lower the learning rate`,
      );
    }
    await callbacks.onBatchEnd(s, { loss, logs, spread, batchSize: batch.length, epochStep: b + 1, epochSteps: steps });
  }
  return true;
}

/**
 * OML's training pipeline as setup + loop + callbacks: `setupTraining` builds the run from its config, this loop
 * runs the sampler's epochs, and callbacks do the rest (validation, scheduling, checkpoints, early stopping,
 * collapse warnings, the throttled event stream).
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const events = new EventSink(opts.runId, opts.emit, opts.eventIntervalMs ?? 200);
  const s = await setupTraining(opts, events);
  const checkpointing = new Checkpointing();
  const callbacks = new CallbackList(defaultCallbacks(s, checkpointing, opts.dataDir));
  s.callbackStates = () => callbacks.states();
  callbacks.loadStates(s.resumed?.callbacks);
  await callbacks.onTrainBegin(s);
  let status: TrainResult['status'] = 'finished';
  try {
    for (; s.epoch < s.cfg.max_epochs; s.epoch++) {
      await callbacks.onEpochBegin(s);
      if (!(await trainEpoch(s, callbacks, opts.shouldStop))) {
        status = 'stopped';
        break;
      }
      await callbacks.onEpochEnd(s);
      if (s.stopTraining) {
        s.epoch++;
        break;
      }
    }
  } catch (err) {
    // The points of the window the failure cut short go out before it: a failed run keeps what it logged.
    events.flush();
    throw err;
  }
  await callbacks.onTrainEnd(s);
  return { status, epochs: s.epoch - s.startEpoch, bestMetric: checkpointing.best, lastMetrics: s.metrics };
}
