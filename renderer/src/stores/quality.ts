import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import type { DatasetChange, QualityResult } from '../../../shared/schemas/quality';
import { api } from '../api';
import type { DatasetRef } from './datasets';
import { modelArgs } from '../model-choice';

/** What a change does, in words, for the list of pending fixes. */
export function changeText(c: DatasetChange): string {
  switch (c.action) {
    case 'relabel':
      return `row ${c.row}: relabel to ${c.label}`;
    case 'exclude':
      return `row ${c.row}: exclude`;
    case 'merge':
      return `label ${c.from}: merge into ${c.into}`;
    case 'keep':
      return `rows ${c.rows.join(', ')}: keep row ${c.keep}, drop the others`;
  }
}

/**
 * The open dataset's quality report and the fixes a user collects from it: nothing is written until "Write new
 * version", which makes the next df.vN.csv beside the dataset (the original is never touched).
 */
export const useQualityStore = defineStore('quality', () => {
  const dataset = ref<DatasetRef | null>(null);
  const model = ref('');
  const report = ref<QualityResult | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const changes = ref<DatasetChange[]>([]);
  const written = ref<MethodOutput<'datasets.writeVersion'> | null>(null);
  const versions = ref<MethodOutput<'datasets.versions'>>([]);

  /** Another dataset: its report and pending fixes do not carry over. */
  function open(ref: DatasetRef) {
    if (dataset.value?.csvPath === ref.csvPath && dataset.value.root === ref.root) return;
    dataset.value = ref;
    report.value = null;
    error.value = null;
    changes.value = [];
    written.value = null;
    void loadVersions();
  }

  async function loadVersions() {
    const asked = dataset.value;
    if (!asked) return;
    const list = await api()
      .call('datasets.versions', { csvPath: asked.csvPath, root: asked.root || undefined })
      .catch(() => []);
    if (dataset.value === asked) versions.value = list;
  }

  async function find() {
    const asked = dataset.value;
    if (!asked) return;
    busy.value = true;
    error.value = null;
    try {
      const r = await api().call('datasets.quality', { csvPath: asked.csvPath, root: asked.root || undefined, ...modelArgs(model.value) });
      if (dataset.value === asked) report.value = r;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = false;
    }
  }

  /** Rows some pending change already excludes or drops (their buttons are off). */
  const gone = computed(() => {
    const rows = new Set<number>();
    for (const c of changes.value) {
      if (c.action === 'exclude') rows.add(c.row);
      if (c.action === 'keep') for (const r of c.rows) if (r !== c.keep) rows.add(r);
    }
    return rows;
  });

  function add(c: DatasetChange) {
    written.value = null;
    changes.value = [...changes.value, c];
  }
  function remove(i: number) {
    changes.value = changes.value.filter((_, j) => j !== i);
  }

  async function writeVersion() {
    const asked = dataset.value;
    if (!asked || changes.value.length === 0) return;
    busy.value = true;
    error.value = null;
    try {
      written.value = await api().call('datasets.writeVersion', {
        csvPath: asked.csvPath,
        root: asked.root || undefined,
        changes: changes.value,
      });
      changes.value = [];
      await loadVersions();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = false;
    }
  }

  /** The models a report can be made with: raw pixels, every run's best checkpoint on the dataset, installed zoo models. */
  const models = ref<{ value: string; text: string }[]>([{ value: '', text: 'raw pixels' }]);
  async function loadModels(csvPath: string) {
    const [runs, zoo] = await Promise.all([
      api()
        .call('explorer.models', { csvPath })
        .catch(() => [] as MethodOutput<'explorer.models'>),
      api()
        .call('zoo.list', {})
        .then((all) => all.filter((z) => z.installed))
        .catch(() => []),
    ]);
    models.value = [
      { value: '', text: 'raw pixels' },
      ...runs.map((r) => ({ value: `ckpt:${r.checkpoint}`, text: `#${r.runId} ${r.name} (best checkpoint)` })),
      ...zoo.map((z) => ({ value: `zoo:${z.key}`, text: `${z.name} (zoo, frozen)` })),
    ];
  }

  return {
    dataset,
    model,
    models,
    report,
    busy,
    error,
    changes,
    written,
    versions,
    gone,
    open,
    find,
    add,
    remove,
    writeVersion,
    loadVersions,
    loadModels,
  };
});
