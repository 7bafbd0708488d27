// Each training callback on its own, against a minimal session: what it sends, what it decides, what it saves.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { Checkpointing } from '../../main/engine/train/callbacks/checkpointing';
import { CollapseWatch } from '../../main/engine/train/callbacks/collapse-watch';
import { EarlyStopping } from '../../main/engine/train/callbacks/early-stopping';
import { EventSink } from '../../main/engine/train/event-sink';
import { StepLogger } from '../../main/engine/train/callbacks/step-logger';
import { CallbackList } from '../../main/engine/train/callbacks/list';
import { LrScheduling } from '../../main/engine/train/callbacks/scheduling';
import { Validation } from '../../main/engine/train/callbacks/validation';
import { CollapseDetector } from '../../main/engine/train/collapse';
import { Optimizer, Scheduler } from '../../main/engine/train/optim';
import type { TrainSession } from '../../main/engine/train/session';
import type { BatchLogs, TrainCallback } from '../../main/engine/interfaces/callbacks';
import { smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

const { dir, cleanup } = tempDir('ms-callbacks-');
afterAll(() => cleanup());

function session(overrides: Partial<TrainConfig> = {}, clock?: () => number) {
  const events: TrainEvent[] = [];
  const cfg = { ...TrainConfig.parse(smallConfig('df.csv')), ...overrides };
  const s = {
    cfg,
    runId: 1,
    events: new EventSink(1, (e) => events.push(e), clock ? 100 : 0, clock),
    optimizer: new Optimizer(cfg.optimizer),
    valRows: [] as number[],
    epoch: 0,
    step: 0,
    metrics: {} as Record<string, number>,
    validated: false,
    stopTraining: false,
    resumed: null,
    callbackStates: () => ({}),
  } as unknown as TrainSession;
  return { s, events };
}
const batch = (loss: number, extra: Partial<BatchLogs> = {}): BatchLogs => ({
  loss,
  logs: {},
  spread: 1,
  batchSize: 20,
  epochStep: 1,
  epochSteps: 2,
  ...extra,
});
const logs = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

describe('EventSink', () => {
  it('coalesces step points into one event per window, keeps every point, and keeps the order of other events', () => {
    let now = 0;
    const { s, events } = session({}, () => now);
    s.events.flush(); // opens a window at t = 0
    for (let i = 1; i <= 5; i++) s.events.stepMetrics(i, 0, { loss: i });
    s.events.progress({ epoch: 0, step: 5, epochStep: 5, epochSteps: 9, phase: 'training' });
    expect(events).toEqual([]);
    s.events.log('hello'); // flushes what is pending first
    expect(events.map((e) => e.type)).toEqual(['metrics', 'progress', 'log']);
    expect((events[0] as Extract<TrainEvent, { type: 'metrics' }>).points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    now = 150; // the window is over: the next point goes at once
    s.events.stepMetrics(6, 0, { loss: 6 });
    expect(events).toHaveLength(4);
  });

  it('sends only the latest progress of a window', () => {
    const now = 0;
    const { s, events } = session({}, () => now);
    s.events.flush();
    for (let k = 1; k <= 3; k++) s.events.progress({ epoch: 0, step: k, epochStep: k, epochSteps: 3, phase: 'training' });
    s.events.flush();
    expect(events).toEqual([{ type: 'progress', runId: 1, epoch: 0, step: 3, epochStep: 3, epochSteps: 3, phase: 'training' }]);
  });
});

describe('StepLogger', () => {
  it('logs loss, lr, img/s and the criterion scalars of every step, and an epoch summary', () => {
    const { s, events } = session();
    const logger = new StepLogger();
    logger.onEpochBegin();
    s.step = 1;
    logger.onBatchEnd(s, batch(0.5, { logs: { active_tri: 0.25 } }));
    s.step = 2;
    logger.onBatchEnd(s, batch(0.3));
    logger.onEpochEnd(s);
    const points = events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
    expect(points.map((p) => [p.step, p.values.loss, p.values.lr])).toEqual([
      [1, 0.5, 0.001],
      [2, 0.3, 0.001],
    ]);
    expect(points[0]!.values.active_tri).toBe(0.25);
    expect(points[1]!.values.img_per_s).toBeGreaterThan(0);
    expect(logs(events).at(-1)).toMatch(/^epoch 1: mean loss 0\.4000, \d+ img\/s$/);
  });
});

describe('Validation', () => {
  it('validates every valid_period epochs and after the last one, and not the untrained net on resume', async () => {
    const { s } = session({ valid_period: 3, max_epochs: 5 });
    const v = new Validation();
    const validatedAt: number[] = [];
    for (s.epoch = 0; s.epoch < 5; s.epoch++) {
      v.onEpochBegin(s);
      await v.onEpochEnd(s);
      if (s.validated) validatedAt.push(s.epoch);
    }
    expect(validatedAt).toEqual([2, 4]);
  });
});

describe('LrScheduling', () => {
  it('sets the rate per epoch or per step from the schedule', () => {
    const { s } = session({ optimizer: { name: 'adam', args: { lr: 0.1, weight_decay: 0, momentum: 0.9 } } });
    const byEpoch = new LrScheduling(new Scheduler({ name: 'step', args: { step_size: 2, gamma: 0.5 } }, 0.1), 'epoch');
    const seen: number[] = [];
    for (s.epoch = 0; s.epoch < 5; s.epoch++) {
      byEpoch.onEpochBegin(s);
      byEpoch.onBatchBegin(s);
      seen.push(s.optimizer.learningRate);
    }
    expect(seen).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    const byStep = new LrScheduling(new Scheduler({ name: 'multi_step', args: { milestones: [1, 3], gamma: 0.1 } }, 0.1), 'step');
    const steps: number[] = [];
    for (s.step = 0; s.step < 4; s.step++) {
      byStep.onEpochBegin(s);
      byStep.onBatchBegin(s);
      steps.push(s.optimizer.learningRate);
    }
    expect(steps.map((x) => +x.toPrecision(6))).toEqual([0.1, 0.01, 0.01, 0.001]);
  });

  it('feeds reduce_on_plateau only after a validation, and its state survives a save/load', () => {
    const { s } = session({ optimizer: { name: 'sgd', args: { lr: 1, weight_decay: 0, momentum: 0.9 } } });
    const make = () =>
      new LrScheduling(
        new Scheduler({ name: 'reduce_on_plateau', args: { factor: 0.5, patience: 1, mode: 'max', min_lr: 0 } }, 1),
        'epoch',
      );
    const cb = make();
    const feed = (c: LrScheduling, value: number, validated = true) => {
      s.metrics = { 'OVERALL/cmc/1': value };
      s.validated = validated;
      c.onEpochEnd(s);
      c.onEpochBegin(s);
      return s.optimizer.learningRate;
    };
    expect(feed(cb, 0.5)).toBe(1);
    expect(feed(cb, 0.4, false)).toBe(1); // no validation this epoch: not counted
    expect(feed(cb, 0.4)).toBe(1);
    const copy = make();
    copy.loadState(JSON.parse(JSON.stringify(cb.state())));
    expect(feed(copy, 0.4)).toBe(0.5);
    expect(feed(cb, 0.4)).toBe(0.5);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` validations without improvement (mode min too), and says so at the end', () => {
    const { s, events } = session({ mode_for_checkpointing: 'min', metric_for_checkpointing: 'OVERALL/fnmr@fmr/0.1' });
    const stop = new EarlyStopping(2);
    const feed = (v: number) => {
      s.metrics = { 'OVERALL/fnmr@fmr/0.1': v };
      s.validated = true;
      stop.onEpochEnd(s);
      return s.stopTraining;
    };
    expect([feed(0.5), feed(0.4), feed(0.45), feed(0.41)]).toEqual([false, false, false, true]);
    stop.onTrainEnd(s);
    expect(logs(events).at(-1)).toBe('early stopping: no improvement of OVERALL/fnmr@fmr/0.1 for 2 validations');
    const resumed = new EarlyStopping(2);
    resumed.loadState(stop.state());
    expect(resumed.state()).toEqual({ best: 0.4, sinceBest: 2 });
  });
});

describe('Checkpointing', () => {
  it('writes best only on improvement and last every epoch, with the callbacks state', async () => {
    const { s, events } = session();
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    Object.assign(s, {
      model,
      ckptRoot: dir,
      inputShape: [1, 1, 3],
      train: { mapping: new Map([[5, 0]]) },
      criterion: { trainableVariables: [] },
      backend: { name: 'cpu' },
      callbackStates: () => ({ early_stopping: { best: 0.8, sinceBest: 1 } }),
    });
    const ckpt = new Checkpointing();
    const epochEnd = async (epoch: number, value: number | null) => {
      s.epoch = epoch;
      s.validated = value !== null;
      if (value !== null) s.metrics = { 'OVERALL/cmc/1': value };
      await ckpt.onEpochEnd(s);
    };
    await epochEnd(0, 0.5);
    await epochEnd(1, null);
    await epochEnd(2, 0.4);
    const saved = events.flatMap((e) => (e.type === 'checkpoint' ? [[e.kind, e.epoch, e.metricValue]] : []));
    expect(saved).toEqual([
      ['best', 0, 0.5],
      ['last', 0, 0.5],
      ['last', 1, 0.5],
      ['last', 2, 0.4],
    ]);
    expect(ckpt.best).toBe(0.5);
    const meta = JSON.parse(readFileSync(path.join(dir, 'last', 'meta.json'), 'utf8'));
    expect(meta.callbacks).toEqual({ early_stopping: { best: 0.8, sinceBest: 1 } });
    expect(meta.metrics['best:OVERALL/cmc/1']).toBe(0.5);
    expect(existsSync(path.join(dir, 'best', 'meta.json'))).toBe(true);
    expect(logs(events)).toEqual(['epoch 1: OVERALL/cmc/1 = 0.5000 (best)', 'epoch 3: OVERALL/cmc/1 = 0.4000']);
  });
});

describe('Checkpointing in min mode', () => {
  it('keeps the lowest value as best (falling, then rising, then equal: no new best on a tie)', async () => {
    const key = 'OVERALL/fnmr@fmr/0.1';
    const { s, events } = session({ mode_for_checkpointing: 'min', metric_for_checkpointing: key });
    const root = path.join(dir, 'min-mode');
    Object.assign(s, {
      model: tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] }),
      ckptRoot: root,
      inputShape: [1, 1, 3],
      train: { mapping: new Map([[5, 0]]) },
      criterion: { trainableVariables: [] },
      backend: { name: 'cpu' },
      callbackStates: () => ({}),
    });
    const ckpt = new Checkpointing();
    for (const [epoch, value] of [0.3, 0.2, 0.25, 0.2, 0.1].entries()) {
      Object.assign(s, { epoch, validated: true, metrics: { [key]: value } });
      await ckpt.onEpochEnd(s);
    }
    const bests = events.flatMap((e) => (e.type === 'checkpoint' && e.kind === 'best' ? [[e.epoch, e.metricValue]] : []));
    expect(bests).toEqual([
      [0, 0.3],
      [1, 0.2],
      [4, 0.1],
    ]);
    expect(JSON.parse(readFileSync(path.join(root, 'best', 'meta.json'), 'utf8')).epoch).toBe(4);
    expect(JSON.parse(readFileSync(path.join(root, 'last', 'meta.json'), 'utf8')).metrics[`best:${key}`]).toBe(0.1);
  });
});

describe('CollapseWatch', () => {
  it('warns once, in the log and as a collapse_warning point', () => {
    const { s, events } = session();
    const watch = new CollapseWatch(new CollapseDetector(0.2));
    for (let i = 0; i < 3; i++) watch.onBatchEnd(s, batch(0.2, { spread: 1e-6 }));
    expect(events.filter((e) => e.type === 'log' && e.level === 'warn')).toHaveLength(1);
    expect(events.flatMap((e) => (e.type === 'metrics' ? e.points : [])).map((p) => p.values)).toEqual([{ collapse_warning: 1 }]);
    expect(watch.state()).toEqual({ warned: true });
  });
});

describe('CallbackList', () => {
  it('calls hooks in list order and gathers / restores only stateful callbacks', async () => {
    const calls: string[] = [];
    const a: TrainCallback = { onEpochEnd: () => void calls.push('a') };
    let restored: unknown = null;
    const b: TrainCallback = {
      stateKey: 'b',
      state: () => ({ n: 1 }),
      loadState: (x) => (restored = x),
      onEpochEnd: async () => void calls.push('b'),
    };
    const list = new CallbackList([b, a]);
    await list.onEpochEnd({} as TrainSession);
    expect(calls).toEqual(['b', 'a']);
    expect(list.states()).toEqual({ b: { n: 1 } });
    list.loadStates({ b: { n: 2 }, other: 1 });
    expect(restored).toEqual({ n: 2 });
  });
});
