import { describe, expect, it } from 'vitest';
import { liveStats } from '../../renderer/src/live-stats';
import { readConfig } from '../../renderer/src/config-form';

const run = (yaml: string) => ({ config: readConfig(yaml), startedAt: '2026-11-29T10:00:00.000Z' });
const at = (s: number) => Date.parse('2026-11-29T10:00:00.000Z') + s * 1000;
const progress = (epoch: number, epochStep: number, epochSteps: number, phase: 'loading' | 'training' | 'validating' = 'training') => ({
  type: 'progress' as const,
  runId: 1,
  epoch,
  step: epoch * epochSteps + epochStep,
  epochStep,
  epochSteps,
  phase,
});

describe('live view numbers', () => {
  it('epoch x/N, the share done, elapsed and the time left at the pace so far, img/s and lr as last logged', () => {
    const series = {
      loss: [[1, 0, 0.5] as [number, number, number]],
      lr: [
        [1, 0, 0.001],
        [5, 1, 0.0005],
      ] as [number, number, number][],
      img_per_s: [[5, 1, 123.4] as [number, number, number]],
      gpu_memory_mb: [
        [1, 0, 310],
        [5, 1, 412.5],
      ] as [number, number, number][],
    };
    // Epoch index 1 (the second), 5 of 10 steps done, of 4 epochs: 1.5 / 4 of the run in 60 s → 100 s left.
    const s = liveStats(run('max_epochs: 4\n'), series, progress(1, 5, 10), at(60));
    expect(s).toMatchObject({ epoch: 2, epochs: 4, fraction: 0.375, elapsedS: 60, imgPerS: 123.4, lr: 0.0005, gpuMb: 412.5, best: null });
    expect(s.etaS).toBeCloseTo(100, 9);
    // While loading nothing is done yet: no pace, no time left to claim.
    expect(liveStats(run('max_epochs: 4\n'), {}, progress(0, 0, 10, 'loading'), at(5))).toMatchObject({
      fraction: 0,
      etaS: null,
      imgPerS: null,
      gpuMb: null, // a CPU backend's run has no GPU figure
    });
    // A config that does not say its epochs (or does not parse): no share, no ETA, still elapsed.
    expect(liveStats(run('max_epochs: [\n'), {}, progress(0, 3, 10), at(9))).toMatchObject({
      epochs: null,
      fraction: null,
      etaS: null,
      elapsedS: 9,
    });
  });

  it('the best so far follows the run’s checkpoint metric and its mode, never the untrained network (epoch −1)', () => {
    const series = {
      'OVERALL/cmc/1': [
        [0, -1, 0.95],
        [10, 0, 0.6],
        [20, 1, 0.8],
        [30, 2, 0.7],
      ] as [number, number, number][],
      'OVERALL/fnmr@fmr/0.1': [
        [10, 0, 0.3],
        [20, 1, 0.1],
        [30, 2, 0.2],
      ] as [number, number, number][],
    };
    expect(liveStats(run('max_epochs: 3\n'), series, null, at(1)).best).toEqual({ key: 'OVERALL/cmc/1', value: 0.8, step: 20, epoch: 1 });
    const min = 'max_epochs: 3\nmetric_for_checkpointing: OVERALL/fnmr@fmr/0.1\nmode_for_checkpointing: min\n';
    expect(liveStats(run(min), series, null, at(1)).best).toEqual({ key: 'OVERALL/fnmr@fmr/0.1', value: 0.1, step: 20, epoch: 1 });
    const max = 'max_epochs: 3\nmetric_for_checkpointing: OVERALL/fnmr@fmr/0.1\n';
    expect(liveStats(run(max), series, null, at(1)).best?.value).toBe(0.3);
  });
});
