import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RunSummary } from '../../../shared/schemas/run';
import { api } from '../api';

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
  let subscribed = false;
  function watchChanges() {
    if (subscribed) return;
    subscribed = true;
    api().on('runs.changed', () => void load());
  }
  return { runs, loaded, error, search, load, watchChanges };
});
