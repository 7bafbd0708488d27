import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import type { RunSummary } from '../../../shared/schemas/run';
import { api } from '../api';

/** Runs in the store: the list, and every call a page makes about a run (pages never call the API directly). */
export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const search = ref('');

  async function load() {
    try {
      runs.value = await api().call('runs.list', { search: search.value || undefined });
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }
  // Any run that changes anywhere (CLI, worker, another window) refreshes the list.
  let watching = false;
  function watchChanges() {
    if (watching) return;
    watching = true;
    api().on('runs.changed', () => void load());
  }
  /** Calls back when a run changes (status, rename, …); returns the unsubscribe. */
  function onChanged(listener: (runId: number | null) => void): () => void {
    return api().on('runs.changed', (e) => listener(e.runId));
  }

  const get = (id: number) => api().call('runs.get', { id });
  const metrics = (id: number) =>
    api()
      .call('runs.metrics', { id })
      .then((r) => r.series);
  const checkpoints = (id: number) => api().call('runs.checkpoints', { id });
  const log = (id: number) =>
    api()
      .call('runs.log', { id })
      .then((r) => r.text);
  const update = (id: number, fields: { name?: string; notes?: string; tags?: string[] }) => api().call('runs.update', { id, ...fields });
  const remove = (id: number) => api().call('runs.delete', { id, deleteFiles: true });
  const resume = (id: number) => api().call('train.resume', { runId: id });
  const stop = (id: number) => api().call('train.stop', { runId: id });
  const compare = (ids: number[]): Promise<MethodOutput<'runs.compare'>> => api().call('runs.compare', { ids });
  const exportOml = (id: number, outDir: string, devices: number) => api().call('runs.exportOml', { id, outDir, devices });
  /** Validation rows with near duplicates among the run's training rows (raw pixels; computed once per CSV). */
  const leaks = (id: number) => api().call('runs.leaks', { id });
  /** The newest run that is training now (a page reloaded mid-run finds it again). */
  const running = async () => (await api().call('runs.list', { status: 'running' }))[0] ?? null;

  return {
    runs,
    loaded,
    error,
    search,
    load,
    watchChanges,
    onChanged,
    get,
    metrics,
    checkpoints,
    log,
    update,
    remove,
    resume,
    stop,
    compare,
    exportOml,
    leaks,
    running,
  };
});
