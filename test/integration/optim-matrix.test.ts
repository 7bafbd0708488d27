// Every optimizer with every scheduler (per epoch and per step) trains for real, and the logged learning rate
// follows the schedule; a run with a scheduler and early stopping resumes to the unbroken run's numbers.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig, type TrainConfigInput } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { train } from '../../main/engine/train/trainer';
import { metricPoints, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let csv: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-optim-'));
  csv = seenLabelsCsv(dir);
});
afterAll(() => cleanup());

type Scheduling = NonNullable<TrainConfigInput['scheduling']>;
const SCHEDULERS: Record<string, Scheduling['scheduler'] | null> = {
  none: null,
  step: { name: 'step', args: { step_size: 1, gamma: 0.5 } },
  multi_step: { name: 'multi_step', args: { milestones: [1], gamma: 0.1 } },
  cosine_annealing: { name: 'cosine_annealing', args: { T_max: 3 } },
  one_cycle: { name: 'one_cycle', args: { max_lr: 0.01, total_steps: 6, pct_start: 0.3 } },
  reduce_on_plateau: { name: 'reduce_on_plateau', args: { patience: 0, factor: 0.5 } },
};

async function run(overrides: Partial<TrainConfigInput>, name: string, opts: { resume?: boolean; stopAfterEpoch?: number } = {}) {
  const events: TrainEvent[] = [];
  const config = TrainConfig.parse(smallConfig(csv, { max_epochs: 3, steps_per_epoch: 2, valid_period: 1, ...overrides }));
  let stop = false;
  const result = await train({
    config,
    baseDir: dir,
    outDir: path.join(dir, name),
    runId: 1,
    resume: opts.resume,
    eventIntervalMs: 0,
    emit: (e) => {
      events.push(e);
      if (e.type === 'checkpoint' && e.kind === 'last' && e.epoch === opts.stopAfterEpoch) stop = true;
    },
    shouldStop: () => stop,
  });
  const points = metricPoints(events);
  return {
    result,
    lrs: points.filter((p) => 'lr' in p.values).map((p) => p.values.lr!),
    losses: points.filter((p) => 'loss' in p.values).map((p) => p.values.loss!),
  };
}

describe('every optimizer × every scheduler × scheduler_interval', () => {
  for (const optimizer of ['sgd', 'adam', 'adamw'] as const) {
    for (const [name, scheduler] of Object.entries(SCHEDULERS)) {
      for (const interval of scheduler ? (['epoch', 'step'] as const) : (['epoch'] as const)) {
        it(`${optimizer} + ${name}${scheduler ? ` per ${interval}` : ''}`, async () => {
          const lr = 0.004;
          const { result, lrs, losses } = await run(
            {
              optimizer: { name: optimizer, args: { lr, weight_decay: optimizer === 'adamw' ? 0.01 : 0 } },
              scheduling: scheduler ? { scheduler_interval: interval, scheduler } : null,
              // Validation only where the schedule reads it (it costs most of a run this short).
              valid_period: name === 'reduce_on_plateau' ? 1 : 3,
            },
            `${optimizer}-${name}-${interval}`,
          );
          expect(result.status).toBe('finished');
          expect(losses).toHaveLength(6);
          expect(losses.every(Number.isFinite)).toBe(true);
          // Cosine annealing reaches eta_min = 0 at T_max; every other schedule stays positive here.
          expect(lrs.every((x) => Number.isFinite(x) && (x > 0 || name === 'cosine_annealing'))).toBe(true);
          // Steps 0–1 are epoch 0, 2–3 epoch 1, 4–5 epoch 2.
          const t = (k: number) => (interval === 'epoch' ? Math.floor(k / 2) : k);
          if (name === 'none') expect(lrs).toEqual(Array(6).fill(lr));
          if (name === 'step') for (const [k, x] of lrs.entries()) expect(x).toBeCloseTo(lr * 0.5 ** t(k), 12);
          if (name === 'multi_step') for (const [k, x] of lrs.entries()) expect(x).toBeCloseTo(t(k) >= 1 ? lr * 0.1 : lr, 12);
          if (name === 'cosine_annealing')
            for (const [k, x] of lrs.entries()) expect(x).toBeCloseTo((lr * (1 + Math.cos((Math.PI * t(k)) / 3))) / 2, 12);
          if (name === 'one_cycle') {
            expect(lrs[0]).toBeCloseTo(0.01 / 25, 12);
            // The peak falls between steps 0 and 1 (pct_start · total_steps − 1 = 0.8): step 1 is just past it.
            if (interval === 'step') expect(Math.max(...lrs)).toBeGreaterThan(0.0099);
            expect(Math.max(...lrs)).toBeLessThanOrEqual(0.01);
          }
          if (name === 'reduce_on_plateau') expect(lrs[0]).toBe(lr);
        });
      }
    }
  }

  it('one_cycle with one warm-up step or less starts at its peak instead of NaN', async () => {
    // pct_start · total_steps = 1: the warm-up ends at step 0, where t / (pct_start · total_steps − 1) was 0/0.
    const { lrs } = await run(
      {
        scheduling: {
          scheduler_interval: 'step',
          scheduler: { name: 'one_cycle', args: { max_lr: 0.01, total_steps: 10, pct_start: 0.1 } },
        },
      },
      'one-cycle-short',
    );
    expect(lrs[0]).toBe(0.01);
    expect(lrs.every(Number.isFinite)).toBe(true);
  });
});

describe('resume with a scheduler and early stopping', () => {
  it('ends exactly where the unbroken run ends: scheduler and early-stopping state travel in the checkpoint', async () => {
    const cfg: Partial<TrainConfigInput> = {
      max_epochs: 6,
      early_stopping_patience: 3,
      scheduling: { scheduler_interval: 'epoch', scheduler: { name: 'reduce_on_plateau', args: { patience: 0, factor: 0.5 } } },
    };
    const whole = await run(cfg, 'whole');
    const first = await run(cfg, 'broken', { stopAfterEpoch: 2 });
    expect(first.result.status).toBe('stopped');
    const rest = await run(cfg, 'broken', { resume: true });
    expect(rest.result.lastMetrics).toEqual(whole.result.lastMetrics);
    expect(rest.result.bestMetric).toBe(whole.result.bestMetric);
    expect([...first.lrs.slice(0, 6), ...rest.lrs]).toEqual(whole.lrs);
    expect([...first.losses.slice(0, 6), ...rest.losses]).toEqual(whole.losses);
  });
});
