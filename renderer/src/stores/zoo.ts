import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobProgress } from '../../../shared/schemas/events';
import type { ZooEntry } from '../../../shared/schemas/zoo';
import { api } from '../api';

/** The zoo catalogue, and the downloads this window started (progress from jobs.progress). */
export const useZooStore = defineStore('zoo', () => {
  const entries = ref<ZooEntry[]>([]);
  const error = ref<string | null>(null);
  /** key → the running download's job. */
  const downloads = ref<Record<string, JobProgress>>({});
  const failures = ref<Record<string, string>>({});
  let watching = false;

  async function load() {
    try {
      entries.value = await api().call('zoo.list', {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  function watch() {
    if (watching) return;
    watching = true;
    api().on('jobs.progress', (p) => {
      const key = Object.keys(downloads.value).find((k) => downloads.value[k]!.jobId === p.jobId);
      if (!key) return;
      if (p.state === 'running') downloads.value[key] = p;
      else {
        delete downloads.value[key];
        if (p.state === 'failed' && p.message !== 'cancelled') failures.value[key] = p.message ?? 'failed';
        void load();
      }
    });
    api().on('zoo.changed', () => void load());
  }
  async function download(key: string) {
    watch();
    delete failures.value[key];
    const { jobId } = await api().call('zoo.download', { key });
    downloads.value[key] ??= {
      jobId,
      label: '',
      done: 0,
      total: entries.value.find((e) => e.key === key)?.sizeBytes ?? 0,
      state: 'running',
    };
  }
  async function cancel(key: string) {
    const job = downloads.value[key];
    if (job) await api().call('zoo.cancel', { jobId: job.jobId });
  }
  async function remove(key: string) {
    await api().call('zoo.remove', { key });
    await load();
  }
  /** A model trained with OML from an exported experiment: its ONNX file and the export folder. */
  async function importOml(onnx: string, exportDir: string, key: string) {
    const made = await api().call('zoo.importOml', { onnx, exportDir, key });
    await load();
    return made;
  }
  return { entries, error, downloads, failures, load, watch, download, cancel, remove, importOml };
});
