import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import { api } from '../api';

export const useAppStore = defineStore('app', () => {
  const info = ref<MethodOutput<'app.info'> | null>(null);
  const backends = ref<MethodOutput<'engine.backends'> | null>(null);
  const error = ref<string | null>(null);

  async function load() {
    try {
      info.value = await api().call('app.info', {});
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  async function loadBackends() {
    backends.value ??= await api().call('engine.backends', {});
    return backends.value;
  }
  return { info, backends, error, load, loadBackends };
});
