import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { MAX_QUERY_IMAGE_BYTES, type MethodOutput } from '../../../shared/api';
import type { DatasetRow } from '../../../shared/schemas/dataset';
import { api } from '../api';
import { modelArgs } from '../model-choice';

export const useExplorerStore = defineStore('explorer', () => {
  const csvPath = ref('');
  const root = ref('');
  const queries = ref<DatasetRow[]>([]);
  const result = ref<MethodOutput<'explorer.search'> | null>(null);
  const k = ref(10);
  /** The model searched with: '' = raw pixels, `ckpt:<folder>` = a run's checkpoint, `zoo:<key>` = a zoo model. */
  const model = ref('');
  /** Chosen by the user (or the Zoo page): opening a dataset then keeps it instead of picking the best run. */
  let chosen = false;
  const models = ref<MethodOutput<'explorer.models'>>([]);
  const zooModels = ref<MethodOutput<'zoo.list'>>([]);
  const loading = ref(false);
  /** The Datasets page's open dataset when the Explorer last opened: another one since is opened on arrival. */
  const seenDataset = shallowRef<unknown>(null);
  const error = ref<string | null>(null);

  async function openDataset(path: string, datasetRoot?: string) {
    ranked.value = null;
    map.value = null;
    csvPath.value = path;
    root.value = datasetRoot ?? '';
    result.value = null;
    error.value = null;
    try {
      // Queries are validation rows flagged is_query; take the first page of them.
      const all: DatasetRow[] = [];
      for (let offset = 0; all.length < 200; offset += 500) {
        const page = await api().call('datasets.rows', { csvPath: path, root: datasetRoot || undefined, offset, limit: 500 });
        all.push(...page.rows.filter((r) => r.split === 'validation' && r.isQuery));
        if (offset + 500 >= page.total) break;
      }
      queries.value = all.slice(0, 200);
      await loadModels();
      if (!chosen) model.value = models.value[0] ? `ckpt:${models.value[0].checkpoint}` : '';
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** One row of the open dataset by its number (a point hovered on the map), or null. */
  async function rowByNumber(row: number): Promise<DatasetRow | null> {
    const page = await api().call('datasets.rows', { csvPath: csvPath.value, root: root.value || undefined, rows: [row] });
    return page.rows[0] ?? null;
  }

  /** Every run's best checkpoint on the open dataset and every installed zoo model (again when runs change). */
  async function loadModels() {
    if (!csvPath.value) return;
    const asked = csvPath.value;
    const [runs, zoo] = await Promise.all([
      api().call('explorer.models', { csvPath: asked }),
      api()
        .call('zoo.list', {})
        .then((all) => all.filter((z) => z.installed)),
    ]);
    if (csvPath.value !== asked) return;
    [models.value, zooModels.value] = [runs, zoo];
  }

  const kValid = () => Number.isInteger(k.value) && k.value >= 1 && k.value <= 100;
  /** The dataset, model and top-k every explorer request names. */
  const target = () => ({ csvPath: csvPath.value, root: root.value || undefined, k: k.value, ...modelArgs(model.value) });

  /** A second model ('' = none, else as `model`, with 'raw' for raw pixels) whose results show beside the first. */
  const compareModel = ref('');
  const compareResult = ref<MethodOutput<'explorer.search'> | null>(null);

  async function search(queryRow: number) {
    if (!kValid()) return; // the input says why
    loading.value = true;
    error.value = null;
    try {
      const [main, other] = await Promise.all([
        api().call('explorer.search', { ...target(), queryRow }),
        compareModel.value
          ? api().call('explorer.search', { ...target(), ...modelArgs(compareModel.value === 'raw' ? '' : compareModel.value), queryRow })
          : null,
      ]);
      result.value = main;
      compareResult.value = other;
      imageResult.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  /** A search with an image of the user's own: its results, its preview (a data URL) and its file, to search again. */
  const imageResult = ref<(MethodOutput<'explorer.searchImage'> & { name: string; preview: string }) | null>(null);
  let lastImage: File | null = null;
  async function searchImage(file: File) {
    if (!kValid()) return;
    if (!file.type.startsWith('image/')) {
      error.value = `${file.name || 'The pasted item'} is not an image (${file.type || 'unknown type'})`;
      return;
    }
    if (file.size > MAX_QUERY_IMAGE_BYTES) {
      error.value = `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB: query images can be up to 10 MB`;
      return;
    }
    loading.value = true;
    error.value = null;
    try {
      const preview = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => reject(reader.error ?? new Error(`Could not read ${file.name}`));
        reader.readAsDataURL(file);
      });
      const image = preview.slice(preview.indexOf(',') + 1);
      const r = await api().call('explorer.searchImage', { ...target(), image });
      lastImage = file;
      imageResult.value = { ...r, name: file.name || 'pasted image', preview };
      result.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  /** Runs the current search again (top-k or model changed): the image query if one is showing, else the row. */
  function again() {
    if (imageResult.value && lastImage) void searchImage(lastImage);
    else if (result.value) void search(result.value.query.row);
    // Its AP@k is at the old k, or its numbers the old model's.
    if (ranked.value || evaluating.value) void loadQueries(ranked.value ? rankedOffset.value : 0);
  }

  /** The validation items on a map under the current model (loaded on request: it needs every embedding). */
  // Shallow: tens of thousands of points read through a deep reactive proxy would slow every redraw; it is replaced whole.
  const map = shallowRef<MethodOutput<'explorer.map'> | null>(null);
  async function loadMap(projection: 'pca' | 'umap' = 'pca') {
    if (!kValid()) return;
    loading.value = true;
    error.value = null;
    try {
      map.value = await api().call('explorer.map', { ...target(), projection });
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  function choose(value: string) {
    model.value = value;
    chosen = true;
    ranked.value = null;
    map.value = null;
  }
  /** The user asked for the model's evaluation (Zoo's "Evaluate on a dataset", or the ranked list): it follows the model. */
  const evaluating = ref(false);

  /** Every query scored under the current model, worst first (OML's worst queries), a page of 100 at a time. */
  const ranked = ref<MethodOutput<'explorer.queries'> | null>(null);
  const rankedOffset = ref(0);
  /** How the query list is ordered and filtered (file order or worst first; a label, a category, seen or unseen). */
  const listOrder = ref<'row' | 'worst'>('row');
  const filters = ref<{ label: number | null; category: string; seen: '' | 'seen' | 'unseen' }>({ label: null, category: '', seen: '' });
  async function rankWorst(offset = 0) {
    listOrder.value = 'worst';
    await loadQueries(offset);
  }
  /** A page of 100 queries with their own metrics, in the list's order and filters. */
  async function loadQueries(offset = 0) {
    if (!kValid()) return;
    evaluating.value = true;
    loading.value = true;
    error.value = null;
    try {
      const f = filters.value;
      ranked.value = await api().call('explorer.queries', {
        ...target(),
        order: listOrder.value,
        offset,
        limit: 100,
        label: f.label ?? undefined,
        category: f.category || undefined,
        seen: f.seen || undefined,
      });
      rankedOffset.value = offset;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  /** "Explore" from a finished run: its dataset, searched with its best checkpoint (raw pixels if it has none). */
  async function exploreRun(run: { id: number; datasetCsv: string | null; datasetRoot: string | null }) {
    if (!run.datasetCsv) return;
    chosen = true;
    await openDataset(run.datasetCsv, run.datasetRoot ?? undefined);
    const best = models.value.find((m) => m.runId === run.id);
    model.value = best ? `ckpt:${best.checkpoint}` : '';
    if (queries.value[0]) await search(queries.value[0].row);
  }
  /** The Zoo page's "Evaluate on a dataset": search with that model on the dataset open in Datasets. */
  function useZoo(key: string) {
    choose(`zoo:${key}`);
    evaluating.value = true;
    csvPath.value = '';
    result.value = null;
  }
  return {
    rowByNumber,
    csvPath,
    root,
    queries,
    result,
    imageResult,
    searchImage,
    map,
    loadMap,
    compareModel,
    compareResult,
    again,
    k,
    model,
    models,
    zooModels,
    loading,
    error,
    openDataset,
    search,
    choose,
    useZoo,
    exploreRun,
    loadModels,
    evaluating,
    seenDataset,
    ranked,
    rankedOffset,
    rankWorst,
    loadQueries,
    listOrder,
    filters,
  };
});
