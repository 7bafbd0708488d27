import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ZooEntry } from '../../../shared/schemas/engine';
import { api } from '../api';

export const useZooStore = defineStore('zoo', () => {
  const entries = ref<ZooEntry[]>([]);
  const error = ref<string | null>(null);
  async function load() {
    try {
      entries.value = await api().call('zoo.list', {});
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  return { entries, error, load };
});
