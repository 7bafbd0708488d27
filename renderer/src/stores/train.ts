import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import { api } from '../api';
import { useRunsStore } from './runs';
import { useTrainEventsStore } from './train-events';

type Recipe = MethodOutput<'train.recipes'>[number];

/** The Train page's config editor and which run it shows live (the run's data itself comes from useRunLive). */
export const useTrainStore = defineStore('train', () => {
  const recipes = ref<Recipe[]>([]);
  const yaml = ref('');
  const baseDir = ref('');
  const issues = ref<{ path: string; message: string }[]>([]);
  const plan = ref<MethodOutput<'train.validate'>['plan']>(null);
  const error = ref<string | null>(null);
  const liveRunId = ref<number | null>(null);
  /** The last run queued from this page (shown as a note until the live run ends). */
  const queuedId = ref<number | null>(null);

  async function loadRecipes() {
    recipes.value = await api().call('train.recipes', {});
    const first = recipes.value.find((r) => r.datasetExists) ?? recipes.value[0];
    if (first && !yaml.value) pick(first.name);
  }
  function pick(name: string) {
    const r = recipes.value.find((x) => x.name === name);
    if (!r) return;
    yaml.value = r.yaml;
    baseDir.value = r.path.replace(/[\\/][^\\/]+$/, '');
    void validate();
  }
  /** A config written elsewhere (the Zoo page, a run's "train again"), with absolute paths. */
  function useConfig(text: string) {
    madeFor.value = null;
    yaml.value = text;
    baseDir.value = '/';
    // Another config altogether: the last one's plan and problems are not this one's (the check of a dataset's
    // images can take a while, and the old plan read as the new one's meanwhile).
    plan.value = null;
    issues.value = [];
    void validate();
  }
  /** What the config in the editor was made for, when it is no recipe: "df.csv (made for it)". */
  const madeFor = ref<string | null>(null);
  /**
   * "Train on this dataset": a config made for it by main (the from-scratch recipe with the data's colour, image
   * size, a sampler that fits and the dataset's name), not the editor's last config with the path swapped.
   */
  async function trainOn(csvPath: string, root?: string) {
    if (!recipes.value.length) await loadRecipes();
    const made = await api().call('train.configFor', { csvPath, root: root || undefined });
    useConfig(made.yaml);
    madeFor.value = csvPath;
  }
  /** Checks answer out of order (a slow one for an older text): only the latest request's answer is shown. */
  let validations = 0;
  async function validate() {
    const mine = ++validations;
    const checked = await api().call('train.validate', { yaml: yaml.value, baseDir: baseDir.value || undefined });
    if (mine !== validations) return;
    issues.value = checked.issues;
    plan.value = checked.plan;
  }
  /** After a reload (or from another window), the run still training is shown again, with its Stop button. */
  async function findRunning() {
    if (liveRunId.value !== null) return;
    const running = await useRunsStore().running();
    if (running) liveRunId.value = running.id;
  }

  async function start(name?: string) {
    error.value = null;
    // Subscribe before starting: the run's first events can arrive before train.start answers.
    useTrainEventsStore().ensureSubscribed();
    try {
      const { runId } = await api().call('train.start', { yaml: yaml.value, baseDir: baseDir.value, name });
      // While one trains the new run waits in the queue: the live view stays on the one training.
      const live = liveRunId.value === null ? null : await useRunsStore().get(liveRunId.value);
      if (live && ['queued', 'running'].includes(live.status)) queuedId.value = runId;
      else liveRunId.value = runId;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  async function stop() {
    if (liveRunId.value !== null) await useRunsStore().stop(liveRunId.value);
  }
  return {
    madeFor,
    recipes,
    yaml,
    baseDir,
    issues,
    plan,
    error,
    liveRunId,
    queuedId,
    loadRecipes,
    pick,
    useConfig,
    validate,
    trainOn,
    findRunning,
    start,
    stop,
  };
});
