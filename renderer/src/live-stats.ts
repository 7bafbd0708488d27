import { shownEpoch } from '../../shared/epochs';
import type { RunDetail } from '../../shared/schemas/run';
import type { TrainEvent } from '../../shared/schemas/events';
import type { readConfig } from './config-form';
import type { Series } from './composables/run-live';

type Progress = Extract<TrainEvent, { type: 'progress' }>;

export interface LiveStats {
  /** 1-based, as people count epochs. */
  epoch: number;
  epochs: number | null;
  /** Share of the whole run done, 0–1 (null without a known epoch count). */
  fraction: number | null;
  elapsedS: number;
  /** Seconds left at the pace so far (validation included); null until there is a pace to go by. */
  etaS: number | null;
  imgPerS: number | null;
  lr: number | null;
  /** MB the run holds on its GPU (webgpu runs), latest step. */
  gpuMb: number | null;
  /** The checkpoint metric's best value so far after training began (the untrained epoch −1 excluded), by the run's mode. */
  best: { key: string; value: number; step: number; epoch: number } | null;
}

const last = (s: Series, key: string) => s[key]?.at(-1)?.[2] ?? null;

/**
 * What the live view shows for a running run, from its config (parsed once by the caller: this runs every second),
 * its series and its latest progress event.
 */
export function liveStats(
  run: Pick<RunDetail, 'startedAt'> & { config: ReturnType<typeof readConfig> },
  series: Series,
  progress: Progress | null,
  now = Date.now(),
): LiveStats {
  const cfg = run.config ?? {};
  const epochs = typeof cfg.max_epochs === 'number' ? cfg.max_epochs : null;
  const epoch = progress ? shownEpoch(progress.epoch) : 1;
  const within = progress && progress.phase !== 'loading' && progress.epochSteps > 0 ? progress.epochStep / progress.epochSteps : 0;
  const fraction = epochs ? Math.min(1, (epoch - 1 + within) / epochs) : null;
  const elapsedS = run.startedAt ? Math.max(0, (now - Date.parse(run.startedAt)) / 1000) : 0;
  const etaS = fraction && fraction >= 0.01 ? (elapsedS * (1 - fraction)) / fraction : null;

  const key = typeof cfg.metric_for_checkpointing === 'string' ? cfg.metric_for_checkpointing : 'OVERALL/cmc/1';
  const min = cfg.mode_for_checkpointing === 'min';
  let best: LiveStats['best'] = null;
  // Epoch −1 is the untrained network's validation: a baseline, not a checkpoint the run can keep.
  for (const [step, ep, value] of series[key] ?? [])
    if (ep >= 0 && value !== null && (!best || (min ? value < best.value : value > best.value))) best = { key, value, step, epoch: ep };
  return {
    epoch,
    epochs,
    fraction,
    elapsedS,
    etaS,
    imgPerS: last(series, 'img_per_s'),
    lr: last(series, 'lr'),
    gpuMb: last(series, 'gpu_memory_mb'),
    best,
  };
}
