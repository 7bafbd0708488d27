import { computed, onBeforeUnmount, ref, type Ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import { readConfig } from '../config-form';
import { liveStats } from '../live-stats';
import type { useRunLive } from './run-live';

type Live = ReturnType<typeof useRunLive>;

/** A running run's live figures (progress, elapsed, time left, throughput, best so far), ticking once a second. */
export function useLiveStats(run: Ref<MethodOutput<'runs.get'> | null>, series: Live['series'], progress: Live['progress']) {
  const now = ref(Date.now());
  const clock = setInterval(() => (now.value = Date.now()), 1000);
  onBeforeUnmount(() => clearInterval(clock));
  const config = computed(() => (run.value ? readConfig(run.value.configYaml) : null));
  const stats = computed(() =>
    run.value ? liveStats({ startedAt: run.value.startedAt, config: config.value }, series.value, progress.value, now.value) : null,
  );
  return { config, stats };
}
