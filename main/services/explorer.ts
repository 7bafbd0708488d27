import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imageInput, MAX_IMAGE_PIXELS } from '../file-guard';
import { ApiError } from '../../shared/api';
import type { DatasetRow } from '../../shared/schemas/dataset';
import { FLAG_TRUE, SPLIT_TRAIN, SPLIT_VALIDATION, validationRows, type DatasetTable } from '../dataset/table';
import { factorize, tableValidationSet } from '../metrics/evaluate-dataset';
import { cmcAtK, mapAtK } from '../metrics/functional';
import { type QueryScore, queryScores, worstFirst } from '../metrics/per-query';
import { type GalleryIndex, galleryIndex } from '../retrieval/gallery-index';
import { pca2 } from '../retrieval/projection';
import { pickRows, sampleRows, UMAP_SAMPLE } from '../retrieval/sample';
import { batchedKnn, type Embeddings } from '../retrieval/knn';
import type { EmbedModel } from '../engine/worker-protocol';
import { indexOfRow, labelNamesOf, rowAt } from './datasets';
import { EmbeddingJobError, type WorkerJobs } from './embedding';
import { type EmbeddingSets, stampOf, type ValidationEmbeddings } from './embedding-sets';

/** The model a request names: a checkpoint folder, an installed zoo model (its key and folder), or raw pixels. */
export function embedModelOf(checkpoint?: string, zoo?: { key: string; dir: string }): EmbedModel {
  if (checkpoint) return { kind: 'checkpoint', dir: checkpoint };
  if (zoo) return { kind: 'zoo', ...zoo };
  return { kind: 'raw-pixels' };
}
const cacheKey = (m: EmbedModel) => (m.kind === 'raw-pixels' ? 'raw' : `${m.kind}:${m.dir}`);

/**
 * The one way to embed "the validation rows of a dataset with a model" — the explorer, `evaluate --checkpoint` and
 * `evaluate --baseline raw-pixels` all come here — in a worker process, with progress on the event hub.
 */
export async function embedValidation(
  jobs: WorkerJobs,
  t: DatasetTable,
  model: EmbedModel,
  onProgress?: (done: number, total: number) => void,
  sets?: EmbeddingSets | null,
  /** Every row, not only the validation ones (the data-quality report); stored as a set of its own. */
  all = false,
): Promise<ValidationEmbeddings> {
  const rows = all ? Array.from({ length: t.size }, (_, i) => i) : validationRows(t);
  // Stamped before embedding: a CSV edited meanwhile leaves a set that the next look-up finds stale.
  const plain = sets ? await stampOf(t.file, model) : null;
  const stamp = plain && all ? { ...plain, modelKey: `${plain.modelKey}#all` } : plain;
  if (stamp) {
    const stored = await sets!.find(stamp, rows);
    if (stored) return stored;
  }
  const what = model.kind === 'checkpoint' ? `checkpoint ${model.dir}` : model.kind === 'zoo' ? `zoo model ${model.key}` : 'raw pixels';
  const label = `Embedding ${rows.length.toLocaleString('en')} ${all ? '' : 'validation '}images of ${path.basename(t.file)} with ${what}`;
  const set = await jobs.embed(model, { kind: 'dataset', csv: t.file, root: t.root, all }, label, onProgress);
  const keys = set.header.keys;
  if (keys.length !== rows.length || keys.some((k, i) => k !== rows[i])) {
    throw new EmbeddingJobError(`${t.file} changed while it was being embedded: open it again`);
  }
  const made = { name: set.header.model, rows, embeddings: set.embeddings };
  // A cache that cannot be written (a read-only data folder) is no reason to fail: the vectors are used unkept.
  if (stamp) await sets!.keep(stamp, made).catch(() => null);
  return made;
}

/** Gathers rows `js` of a count × dim matrix. */
function pick(e: Embeddings, js: ArrayLike<number>): Embeddings {
  const data = new Float32Array(js.length * e.dim);
  for (let i = 0; i < js.length; i++) data.set(e.data.subarray(js[i]! * e.dim, (js[i]! + 1) * e.dim), i * e.dim);
  return { data, count: js.length, dim: e.dim };
}

export interface Searchable extends ValidationEmbeddings {
  /** Dataset rows of the gallery items and their vectors, gathered once. */
  galleryRows: Int32Array;
  gallery: Embeddings;
}

/** The validation embeddings with the gallery's rows and vectors gathered: what a search ranks against. */
export function withGallery(t: DatasetTable, v: ValidationEmbeddings): Searchable {
  const js = v.rows.flatMap((row, j) => (t.isGallery[row] === FLAG_TRUE ? [j] : []));
  return { ...v, galleryRows: Int32Array.from(js, (j) => v.rows[j]!), gallery: pick(v.embeddings, js) };
}

/** Positions into a validation set's items and their 2-D coordinates (n × 2); explained variance for PCA. */
interface MapLayout {
  items: Int32Array;
  xy: Float32Array;
  explained: [number, number] | null;
}

/** Results per (dataset table, key), kept while the table is cached; a failed one is forgotten, to be tried again. */
class PerTable<T> {
  private readonly byTable = new WeakMap<DatasetTable, Map<string, Promise<T>>>();
  get(t: DatasetTable, key: string, make: () => Promise<T>): Promise<T> {
    let perTable = this.byTable.get(t);
    if (!perTable) this.byTable.set(t, (perTable = new Map()));
    let hit = perTable.get(key);
    if (!hit) {
      hit = make();
      hit.catch(() => perTable.delete(key));
      perTable.set(key, hit);
    }
    return hit;
  }
}

/** Embeddings per (dataset table, model), kept while the table is cached; a failed job is forgotten. */
export class Explorer {
  private readonly cache = new PerTable<Searchable>();

  constructor(
    private readonly jobs: WorkerJobs,
    private readonly sets: EmbeddingSets | null = null,
  ) {}

  embeddings(t: DatasetTable, model: EmbedModel): Promise<Searchable> {
    return this.cache.get(t, cacheKey(model), () =>
      embedValidation(this.jobs, t, model, undefined, this.sets).then(
        (v) => withGallery(t, v),
        (e: unknown) => {
          throw e instanceof EmbeddingJobError ? new ApiError('not_found', e.message) : e;
        },
      ),
    );
  }

  /** One gallery index per embedded gallery, built on first use: an HNSW graph over a large gallery takes minutes. */
  private readonly indexes = new WeakMap<Searchable, GalleryIndex>();
  private indexOf(s: Searchable): GalleryIndex {
    let index = this.indexes.get(s);
    if (!index) this.indexes.set(s, (index = galleryIndex(s.gallery)));
    return index;
  }

  /**
   * An image of the user's own as the query: checked to be an image, written to `scratchDir` for the worker, embedded
   * by the same model (its own transforms), and looked up in the gallery's index. The file is removed afterwards.
   */
  async searchImage(t: DatasetTable, image: Buffer, k: number, model: EmbedModel, scratchDir: string) {
    const meta = await imageInput(image)
      .then((img) => img.metadata())
      .catch(() => null);
    if (!meta?.format || !meta.width || !meta.height)
      throw new ApiError('invalid_input', 'The query is not an image this app can read (JPEG, PNG, WebP, GIF, TIFF or AVIF)');
    if (meta.width * meta.height > MAX_IMAGE_PIXELS)
      throw new ApiError(
        'invalid_input',
        `The query is ${meta.width}×${meta.height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} million an image may have`,
      );
    await mkdir(scratchDir, { recursive: true });
    const file = path.join(scratchDir, `${randomUUID()}.${meta.format}`);
    try {
      await writeFile(file, image);
      const s = await this.embeddings(t, model);
      const q = await this.jobs.embed(model, { kind: 'files', files: [file] }, 'Embedding your query image');
      const index = this.indexOf(s);
      const nn = index.search(q.embeddings, k);
      const names = await labelNamesOf(t.file);
      const results = Array.from(nn.ids, (g, r) => ({ ...rowAt(t, s.galleryRows[g]!, names), distance: nn.distances[r]! }));
      return { embedding: s.name, root: t.root, index: index.kind, galleryCount: s.gallery.count, results };
    } catch (e) {
      throw e instanceof EmbeddingJobError ? new ApiError('invalid_input', e.message) : e;
    } finally {
      await rm(file, { force: true });
    }
  }

  private readonly scores = new PerTable<QueryScore[]>();

  /** Every validation query's own scores at top-k (computed once per table, model and k). */
  private scored(t: DatasetTable, model: EmbedModel, k: number): Promise<QueryScore[]> {
    return this.scores.get(t, `${cacheKey(model)}@${k}`, () =>
      this.embeddings(t, model).then((s) => queryScores(tableValidationSet(t, [...s.rows], s.embeddings), k)),
    );
  }

  private readonly maps = new PerTable<MapLayout>();

  /** The PCA map of every item, or the UMAP layout of a seeded sample of at most UMAP_SAMPLE (in a worker). */
  private layout(t: DatasetTable, model: EmbedModel, projection: 'pca' | 'umap'): Promise<MapLayout> {
    return this.maps.get(t, `${cacheKey(model)}:${projection}`, async () => {
      const s = await this.embeddings(t, model);
      if (projection === 'pca') {
        const p = pca2(s.embeddings);
        return { items: Int32Array.from({ length: s.rows.length }, (_, i) => i), xy: p.xy, explained: p.explained };
      }
      const items = sampleRows(s.rows.length, UMAP_SAMPLE);
      const xy = await this.jobs.project(pickRows(s.embeddings, items), 0, `UMAP of ${items.length} items`);
      return { items, xy, explained: null };
    });
  }

  /**
   * The validation items on a 2-D map (PCA of every item, queries and gallery, or UMAP of a sample), with each
   * query's hit at 1 under this model, for the explorer's canvas.
   */
  async map(t: DatasetTable, model: EmbedModel, k: number, projection: 'pca' | 'umap' = 'pca') {
    const [s, layout, scores] = await Promise.all([this.embeddings(t, model), this.layout(t, model, projection), this.scored(t, model, k)]);
    const correct1 = new Array<number | null>(s.rows.length).fill(null);
    for (const q of scores) correct1[q.item] = q.cmc1;
    const items = Array.from(layout.items);
    return {
      embedding: s.name,
      projection,
      total: s.rows.length,
      explained: layout.explained,
      rows: items.map((i) => t.rowNumber[s.rows[i]!]!),
      x: items.map((_, j) => layout.xy[2 * j]!),
      y: items.map((_, j) => layout.xy[2 * j + 1]!),
      label: items.map((i) => t.label[s.rows[i]!]!),
      isQuery: items.map((i) => t.isQuery[s.rows[i]!] === FLAG_TRUE),
      correct1: items.map((i) => correct1[i]!),
    };
  }

  /**
   * Every validation query's own metrics under a model, filtered (label, category, seen/unseen in training), in
   * file order or worst first, a page at a time, with the filters' choices and counts.
   */
  async queries(
    t: DatasetTable,
    model: EmbedModel,
    opts: { k: number; order: 'row' | 'worst'; offset: number; limit: number; label?: number; category?: string; seen?: 'seen' | 'unseen' },
  ) {
    const all = await this.scored(t, model, opts.k);
    const rows = (await this.embeddings(t, model)).rows;
    const names = await labelNamesOf(t.file);
    const trained = new Set<number>();
    for (let i = 0; i < t.size; i++) if (t.split[i] === SPLIT_TRAIN) trained.add(t.label[i]!);
    const rowOf = (s: QueryScore) => rows[s.item]!;
    const kept = all.filter((s) => {
      const i = rowOf(s);
      if (opts.label !== undefined && t.label[i] !== opts.label) return false;
      if (opts.category !== undefined && t.category?.[i] !== opts.category) return false;
      if (opts.seen && trained.has(t.label[i]!) !== (opts.seen === 'seen')) return false;
      return true;
    });
    const ordered = opts.order === 'worst' ? worstFirst(kept) : kept;
    const mean = (xs: QueryScore[], f: (s: QueryScore) => number) => (xs.length ? xs.reduce((a, s) => a + f(s), 0) / xs.length : 0);
    const byLabel = new Map<number, QueryScore[]>();
    for (const s of all) {
      const label = t.label[rowOf(s)]!;
      (byLabel.get(label) ?? byLabel.set(label, []).get(label)!).push(s);
    }
    return {
      total: kept.length,
      overall: { map: mean(all, (s) => s.ap), cmc1: mean(all, (s) => s.cmc1) },
      filtered: { map: mean(kept, (s) => s.ap), cmc1: mean(kept, (s) => s.cmc1) },
      facets: {
        labels: [...byLabel]
          .sort((a, b) => a[0] - b[0])
          .map(([label, scores]) => ({
            label,
            labelName: names.get(label) ?? null,
            count: scores.length,
            map: mean(scores, (s) => s.ap),
            cmc1: mean(scores, (s) => s.cmc1),
          })),
        categories: t.category ? [...new Set(all.map((s) => t.category![rowOf(s)]!).filter(Boolean))].sort() : [],
        unseen: all.filter((s) => !trained.has(t.label[rowOf(s)]!)).length,
      },
      queries: ordered.slice(opts.offset, opts.offset + opts.limit).map((s) => ({
        ...rowAt(t, rowOf(s), names),
        ap: s.ap,
        cmc1: s.cmc1,
        firstCorrect: s.firstCorrect,
      })),
    };
  }

  /** Top-k gallery items of one validation query, each marked relevant (same label) or not — ranked by retrieval/knn. */
  async search(t: DatasetTable, queryRow: number, k: number, model: EmbedModel) {
    const q = indexOfRow(t, queryRow);
    if (q < 0) throw new ApiError('not_found', `No data row ${queryRow} in ${t.file}`);
    if (t.split[q] !== SPLIT_VALIDATION || t.isQuery[q] !== FLAG_TRUE) {
      throw new ApiError('invalid_input', `Row ${queryRow} is not a validation query`);
    }
    const s = await this.embeddings(t, model);
    const seq = t.sequence ? factorize([q, ...s.galleryRows].map((i) => t.sequence![i]!)) : null;
    const rr = batchedKnn({
      queries: pick(s.embeddings, [s.rows.indexOf(q)]),
      gallery: s.gallery,
      nItems: k,
      queryIds: Int32Array.of(q),
      galleryIds: s.galleryRows,
      querySequence: seq?.subarray(0, 1),
      gallerySequence: seq?.subarray(1),
      queryLabels: Float64Array.of(t.label[q]!),
      galleryLabels: Float64Array.from(s.galleryRows, (i) => t.label[i]!),
    });
    const names = await labelNamesOf(t.file);
    const results = Array.from(rr.retrieved, (g, r) => {
      const i = s.galleryRows[g]!;
      return { ...rowAt(t, i, names), distance: rr.distances[r]!, relevant: t.label[i] === t.label[q] };
    });
    // This query's own AP@k and CMC@1, as the per-query list and the OVERALL metrics compute them.
    const correct = Uint8Array.from(results, (x) => (x.relevant ? 1 : 0));
    const nGt = rr.gtIds!.length;
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      embedding: s.name,
      root: t.root,
      query: rowAt(t, q, names) as DatasetRow,
      results,
      relevantTotal: nGt,
      ap: finite(mapAtK(correct, nGt, k)),
      cmc1: finite(cmcAtK(correct, nGt, 1)),
    };
  }
}
