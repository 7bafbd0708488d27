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
  /** A path from the system's picker (desktop app); null when cancelled. */
  async function pickPath(kind: 'folder' | 'csv' | 'image') {
    return (await api().call('app.pickPath', { kind })).path;
  }
  async function openDataFolder() {
    await api().call('app.openDataFolder', {});
  }
  /** Routes the desktop menu asks for (File → New dataset, Open dataset, Help → About). Returns the unsubscribe. */
  function onNavigate(go: (path: string) => void) {
    return api().on('app.navigate', ({ path }) => go(path));
  }
  return { info, backends, error, load, loadBackends, pickPath, openDataFolder, onNavigate };
});
