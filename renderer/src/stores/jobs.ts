import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobProgress } from '../../../shared/schemas/events';
import { api } from '../api';

/** Background jobs of the services (embedding for the explorer, …): one app-wide subscription, shown in the shell. */
export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobProgress>>({});
  let off: (() => void) | null = null;

  function watch() {
    off ??= api().on('jobs.progress', (p) => {
      if (p.state === 'running') jobs.value[p.jobId] = p;
      else delete jobs.value[p.jobId];
    });
  }
  function unwatch() {
    off?.();
    off = null;
  }
  const running = computed(() => Object.values(jobs.value));
  return { jobs, running, watch, unwatch };
});
