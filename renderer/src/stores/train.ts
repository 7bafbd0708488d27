import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MethodOutput } from '../../../shared/api';
import type { TrainEvent } from '../../../shared/schemas/events';
import { api } from '../api';

type Recipe = MethodOutput<'train.recipes'>[number];

export interface LiveRun {
  runId: number;
  status: string;
  error: string | null;
  backend: string | null;
  progress: { epoch: number; epochStep: number; epochSteps: number; phase: string } | null;
  /** key → [step, value] */
  series: Record<string, [number, number][]>;
  logs: { level: string; message: string }[];
}

export const useTrainStore = defineStore('train', () => {
  const recipes = ref<Recipe[]>([]);
  const yaml = ref('');
  const baseDir = ref('');
  const issues = ref<{ path: string; message: string }[]>([]);
  const error = ref<string | null>(null);
  const live = ref<LiveRun | null>(null);
  let subscribed = false;

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
  async function validate() {
    issues.value = (await api().call('train.validate', { yaml: yaml.value })).issues;
  }

  function onEvent(e: TrainEvent) {
    const run = live.value;
    if (!run || e.runId !== run.runId) return;
    if (e.type === 'status') {
      run.status = e.status;
      run.error = e.error ?? null;
    } else if (e.type === 'backend') run.backend = `${e.name} ${e.version ?? ''}`.trim();
    else if (e.type === 'progress') run.progress = { epoch: e.epoch, epochStep: e.epochStep, epochSteps: e.epochSteps, phase: e.phase };
    else if (e.type === 'log') run.logs.push({ level: e.level, message: e.message });
    else if (e.type === 'metrics') for (const p of e.points) for (const [k, v] of Object.entries(p.values)) (run.series[k] ??= []).push([p.step, v]);
  }

  async function start(name?: string) {
    error.value = null;
    if (!subscribed) {
      subscribed = true;
      api().on('train.events', onEvent);
    }
    try {
      const { runId } = await api().call('train.start', { yaml: yaml.value, baseDir: baseDir.value, name });
      live.value = { runId, status: 'queued', error: null, backend: null, progress: null, series: {}, logs: [] };
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  async function stop() {
    if (live.value) await api().call('train.stop', { runId: live.value.runId });
  }
  return { recipes, yaml, baseDir, issues, error, live, loadRecipes, pick, validate, start, stop, onEvent };
});
