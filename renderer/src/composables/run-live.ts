import { onScopeDispose, ref, watch, type Ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import { backendLabel, type TrainEvent } from '../../../shared/schemas/events';
import { useRunsStore } from '../stores/runs';
import { useTrainEventsStore } from '../stores/train-events';

/** key → [step, epoch, value], as the store returns series. */
export type Series = Record<string, [number, number, number | null][]>;
type Progress = Extract<TrainEvent, { type: 'progress' }>;

/**
 * One run as every page shows it: its stored detail and series, with its live events appended as they come
 * (events that arrived before the page attached are replayed from the app-wide buffer), and every subscription
 * released when the calling component's scope ends.
 */
export function useRunLive(runId: Ref<number | null>) {
  const runs = useRunsStore();
  const trainEvents = useTrainEventsStore();
  const run = ref<MethodOutput<'runs.get'> | null>(null);
  const series = ref<Series>({});
  const progress = ref<Progress | null>(null);
  const logs = ref<{ level: string; message: string }[]>([]);
  const error = ref<string | null>(null);
  let detach: (() => void) | null = null;
  const lastStep = new Map<string, number>();

  function apply(e: TrainEvent) {
    if (e.type === 'metrics') {
      for (const p of e.points) {
        for (const [key, v] of Object.entries(p.values)) {
          // Points already in the stored series (loaded while the event was in flight) are not added twice.
          if (p.step <= (lastStep.get(key) ?? -Infinity)) continue;
          lastStep.set(key, p.step);
          (series.value[key] ??= []).push([p.step, p.epoch, v]);
        }
      }
    } else if (e.type === 'resumed') {
      // The store dropped what was logged past the checkpoint; so does the chart, and the replayed steps append.
      for (const [key, pts] of Object.entries(series.value)) {
        const kept = pts.filter(([step, epoch]) => step <= e.step && epoch <= e.epoch);
        series.value[key] = kept;
        if (kept.length) lastStep.set(key, kept[kept.length - 1]![0]);
        else lastStep.delete(key);
      }
    } else if (e.type === 'progress') progress.value = e;
    else if (e.type === 'log') logs.value.push({ level: e.level, message: e.message });
    else if (run.value && e.type === 'status') Object.assign(run.value, { status: e.status, error: e.error ?? null });
    else if (run.value && e.type === 'backend') run.value.backend = backendLabel(e);
    else if (run.value && e.type === 'baseline' && !run.value.baselines.some((b) => b.name === e.baseline.name))
      run.value.baselines.push(e.baseline);
  }

  // Each read of the run is numbered: an answer older than one already shown is dropped (two reads in flight can
  // answer out of order, and an older one would put back a status that a later event had replaced).
  let asked = 0;
  let shown = 0;
  async function reloadDetail(id: number) {
    const ticket = ++asked;
    const detail = await runs.get(id);
    if (runId.value !== id || ticket < shown) return;
    shown = ticket;
    run.value = detail;
  }

  /** Loads the run afresh; `again` keeps what is on screen until the new answer replaces it (no blank page). */
  async function open(id: number | null, again = false) {
    detach?.();
    detach = null;
    if (!again) {
      run.value = null;
      series.value = {};
      progress.value = null;
      logs.value = [];
    }
    error.value = null;
    if (id === null) return;
    const early: TrainEvent[] = [];
    let loaded = false;
    detach = trainEvents.attach(id, (e) => (loaded ? apply(e) : early.push(e)));
    try {
      const ticket = ++asked;
      const [detail, stored] = await Promise.all([runs.get(id), runs.metrics(id)]);
      if (runId.value !== id) return;
      if (ticket >= shown) [shown, run.value] = [ticket, detail];
      lastStep.clear();
      series.value = stored;
      for (const [key, pts] of Object.entries(stored)) if (pts.length) lastStep.set(key, pts[pts.length - 1]![0]);
      loaded = true;
      for (const e of early) apply(e);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  const offChanged = runs.onChanged((changed) => {
    // null: any run may have changed, and events may have been missed (the event stream reconnected): read it all again.
    if (changed === null) void open(runId.value, true);
    else if (changed === runId.value) void reloadDetail(changed).catch((e: Error) => (error.value = e.message));
  });
  watch(runId, (id) => void open(id), { immediate: true });
  onScopeDispose(() => {
    detach?.();
    offChanged();
  });
  return { run, series, progress, logs, error, reload: () => open(runId.value) };
}
