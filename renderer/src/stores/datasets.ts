import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetReport, DatasetRow, SampleDataset } from '../../../shared/schemas/dataset';
import { api } from '../api';
import type { MethodOutput } from '../../../shared/api';

export interface DatasetRef {
  csvPath: string;
  root?: string;
}

export const useDatasetsStore = defineStore('datasets', () => {
  const samples = ref<SampleDataset[]>([]);
  const current = ref<DatasetRef | null>(null);
  const report = ref<DatasetReport | null>(null);
  const rows = ref<DatasetRow[]>([]);
  const total = ref(0);
  const offset = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);

  // Thumbnails are asked for once per (root, path, size) in this window; a failure shows as "no image".
  const thumbnails = new Map<string, Promise<string | null>>();
  function thumbnail(root: string, path: string, size: number): Promise<string | null> {
    const key = `${root}|${path}|${size}`;
    if (!thumbnails.has(key))
      thumbnails.set(
        key,
        api()
          .call('datasets.thumbnail', { root, path, size })
          .then(
            (r) => r.dataUrl,
            () => null,
          ),
      );
    return thumbnails.get(key)!;
  }

  /** The datasets last opened, inspected or trained on (the run store's), newest first. */
  const recent = ref<MethodOutput<'datasets.recent'>>([]);
  async function loadRecent() {
    recent.value = await api()
      .call('datasets.recent', {})
      .catch(() => []);
  }

  async function loadSamples() {
    samples.value = await api().call('datasets.samples', {});
  }

  async function open(ref: DatasetRef) {
    loading.value = true;
    error.value = null;
    report.value = null;
    rows.value = [];
    leaderboard.value = null;
    leaderboardError.value = null;
    current.value = ref;
    try {
      report.value = await api().call('datasets.inspect', { csvPath: ref.csvPath, root: ref.root || undefined });
      void loadRecent(); // inspecting made it the most recent
      await page(0);
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /** The open dataset's leaderboard: null until asked for (it may embed with every installed zoo model). */
  const leaderboard = ref<MethodOutput<'datasets.leaderboard'> | null>(null);
  const leaderboardBusy = ref(false);
  const leaderboardError = ref<string | null>(null);
  async function loadLeaderboard() {
    if (!current.value) return;
    const asked = current.value;
    leaderboardBusy.value = true;
    leaderboardError.value = null;
    try {
      const rows = await api().call('datasets.leaderboard', { csvPath: asked.csvPath, root: asked.root || undefined });
      if (current.value === asked) leaderboard.value = rows;
    } catch (e) {
      leaderboardError.value = (e as Error).message;
    } finally {
      leaderboardBusy.value = false;
    }
  }

  async function page(newOffset: number, limit = 24) {
    if (!current.value) return;
    const res = await api().call('datasets.rows', {
      csvPath: current.value.csvPath,
      root: current.value.root || undefined,
      offset: newOffset,
      limit,
    });
    rows.value = res.rows;
    total.value = res.total;
    offset.value = newOffset;
  }

  return {
    samples,
    current,
    report,
    rows,
    total,
    offset,
    loading,
    error,
    recent,
    loadRecent,
    loadSamples,
    open,
    page,
    thumbnail,
    leaderboard,
    leaderboardBusy,
    leaderboardError,
    loadLeaderboard,
  };
});
