/**
 * The one API contract between the renderer and main. Each method has a zod schema for its input (validated
 * by main before any service sees it) and for its output; each event has a schema for its payload. The
 * Electron IPC adapter, the web-mode HTTP/WebSocket adapter and the renderer all import this file, so a method
 * added here is type-checked on both sides: main will not compile until a service implements it.
 */
import { z } from 'zod';
import { DatasetReport, DatasetRow, SampleDataset } from './schemas/dataset';
import { LeaderboardRow } from './schemas/leaderboard';
import { DatasetChange, DatasetVersion, QualityResult, RunLeaks } from './schemas/quality';
import { RunDetail, RunSummary } from './schemas/run';
import { BackendReport } from './schemas/engine';
import { ZooEntry } from './schemas/zoo';
import { TrainPlan } from './schemas/train-plan';
import { JobProgress, RunsChanged, TrainEvent, ZooChanged } from './schemas/events';
import { ColumnMappingSchema, SplitOptionsSchema, WizardPreview, WizardProgress } from './schemas/wizard';

const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O, doc: string) => ({ input, output, doc });

const FilePath = z.string().min(1).max(4096);
const DatasetRef = z.object({ csvPath: FilePath, root: FilePath.optional() });
/** The largest image file a query by image takes, and its base64 length (4 characters per 3 bytes). */
export const MAX_QUERY_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_QUERY_IMAGE_BASE64 = Math.ceil(MAX_QUERY_IMAGE_BYTES / 3) * 4;
const ZooKey = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a zoo model key (lowercase letters, digits, _)');
/** What every explorer request names besides its dataset: top-k, and the model (a checkpoint folder, an installed zoo model's key, or raw pixels when both are absent). */
const SearchModel = {
  k: z.number().int().min(1).max(100).default(10),
  checkpoint: FilePath.optional(),
  zoo: ZooKey.optional(),
};

export const methods = {
  'app.info': method(
    z.object({}),
    z.object({
      name: z.string(),
      version: z.string(),
      transport: z.enum(['ipc', 'web']),
      dataDir: z.string(),
      platform: z.string(),
      /** Native pickers and the file manager are there (the desktop app); web mode types paths instead. */
      desktop: z.boolean(),
    }),
    'Application name, version, which transport serves this client, and where data is kept.',
  ),
  'app.pickPath': method(
    z.object({ kind: z.enum(['folder', 'csv', 'image']) }),
    z.object({ path: z.string().nullable() }),
    "A path chosen in the system's own picker (desktop app only); null when the user cancelled.",
  ),
  'app.openDataFolder': method(
    z.object({}),
    z.object({ opened: z.string() }),
    "Shows the data folder in the system's file manager (desktop app only).",
  ),
  'datasets.recent': method(
    z.object({}),
    z.array(z.object({ name: z.string(), csvPath: z.string(), root: z.string(), openedAt: z.string() })),
    'The datasets last opened, inspected or trained on, newest first (ten at most).',
  ),
  'datasets.samples': method(z.object({}), z.array(SampleDataset), 'Datasets shipped with the app.'),
  'datasets.inspect': method(
    DatasetRef.extend({ checkFiles: z.boolean().default(true) }),
    DatasetReport,
    'Parse and validate an OML dataset CSV: summary plus every problem with its row and column.',
  ),
  'datasets.rows': method(
    DatasetRef.extend({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50),
      /** These spreadsheet row numbers instead of a page (a point hovered on the map); unknown ones are left out. */
      rows: z.array(z.number().int().min(1)).max(500).optional(),
    }),
    z.object({ total: z.number().int(), rows: z.array(DatasetRow) }),
    'A page of dataset rows, or the rows with the given numbers.',
  ),
  'datasets.leaderboard': method(
    DatasetRef,
    z.array(LeaderboardRow),
    "Raw pixels, every installed zoo model frozen and every run's best checkpoint on the dataset's validation rows (CMC@1, P@5, mAP@10), best first; computed once per model and CSV version (embedding jobs report on jobs.progress).",
  ),
  'datasets.quality': method(
    DatasetRef.extend({ checkpoint: FilePath.optional(), zoo: ZooKey.optional(), dupThreshold: z.number().min(0).max(4).optional() }),
    QualityResult,
    "Near duplicates (leaks across splits, conflicts across labels), suspected mislabels, outliers and overlapping labels, from every row's embeddings by a checkpoint, a zoo model or raw pixels; kept per CSV and model (the embedding job reports on jobs.progress).",
  ),
  'datasets.writeVersion': method(
    DatasetRef.extend({ changes: z.array(DatasetChange).min(1).max(100_000) }),
    z.object({
      csvPath: z.string(),
      changesPath: z.string(),
      version: z.number().int(),
      rows: z.number().int(),
      changes: z.number().int(),
      report: DatasetReport,
    }),
    'Fixes (relabel, exclude, merge two labels, keep one of a duplicate cluster) written as the next version beside the CSV (df.v2.csv and df.v2.changes.csv), checked, registered and linked to it; the original is never written.',
  ),
  'datasets.versions': method(
    DatasetRef,
    z.array(DatasetVersion),
    "Every version in the dataset's family (the file it was made from and those made from it), oldest first.",
  ),
  'datasets.thumbnail': method(
    z.object({ root: FilePath, path: FilePath, size: z.number().int().min(8).max(512).default(96) }),
    z.object({ dataUrl: z.string(), width: z.number().int(), height: z.number().int() }),
    'An image from a dataset, resized, as a PNG data URL.',
  ),
  'runs.list': method(
    z.object({ status: z.string().optional(), search: z.string().max(200).optional(), limit: z.number().int().min(1).optional() }),
    z.array(RunSummary),
    'Runs in the store, newest first (the newest `limit` of them).',
  ),
  'runs.get': method(z.object({ id: z.number().int().positive() }), RunDetail, 'One run with its config.'),
  'runs.update': method(
    z.object({
      id: z.number().int().positive(),
      name: z.string().min(1).max(200).optional(),
      notes: z.string().max(20_000).optional(),
      tags: z.array(z.string().min(1).max(50)).max(50).optional(),
    }),
    RunDetail,
    'Rename a run, edit its notes, replace its tags.',
  ),
  'runs.delete': method(
    z.object({ id: z.number().int().positive(), deleteFiles: z.boolean().default(true) }),
    z.object({ deleted: z.boolean(), removedFolder: z.string().nullable() }),
    'Delete a run (refused while it trains) and, by default, its checkpoints and log.',
  ),
  'runs.exportOml': method(
    z.object({ id: z.number().int().positive(), outDir: FilePath, devices: z.number().int().min(1).max(1024).default(1) }),
    z.object({ outDir: z.string(), files: z.array(z.string()), warnings: z.array(z.string()) }),
    "Write the run's experiment for OML (multi-GPU training) into a folder that is empty or an earlier export: dataset, train and validation configs, entry scripts, README.",
  ),
  'runs.leaks': method(
    z.object({ id: z.number().int().positive() }),
    RunLeaks,
    "Validation rows of the run's dataset with near duplicates among its training rows (raw pixels, or the newest stored quality report): the run's metrics on them are inflated.",
  ),
  'runs.log': method(
    z.object({ id: z.number().int().positive() }),
    z.object({ text: z.string() }),
    "The last 200 KB of a run's training log.",
  ),
  'runs.compare': method(
    z.object({ ids: z.array(z.number().int().positive()).min(2).max(10) }),
    z.object({
      runs: z.array(RunDetail),
      configDiff: z.array(z.object({ key: z.string(), values: z.array(z.string().nullable()) })),
      metrics: z.array(z.object({ key: z.string(), values: z.array(z.number().nullable()) })),
    }),
    'Two to ten runs side by side: config keys that differ and final metrics.',
  ),
  'runs.metrics': method(
    z.object({ id: z.number().int().positive(), keys: z.array(z.string().max(200)).max(200).optional() }),
    z.object({ series: z.record(z.string(), z.array(z.tuple([z.number(), z.number(), z.number().nullable()]))) }),
    'Logged series of a run: key → [step, epoch, value] points in step order; value null: not a finite number (a run that diverged).',
  ),
  'runs.checkpoints': method(
    z.object({ id: z.number().int().positive() }),
    z.array(
      z.object({
        kind: z.string(),
        path: z.string(),
        epoch: z.number().int(),
        metricKey: z.string().nullable(),
        metricValue: z.number().nullable(),
      }),
    ),
    'Best and last checkpoints of a run.',
  ),
  'train.recipes': method(
    z.object({}),
    z.array(z.object({ name: z.string(), path: z.string(), yaml: z.string(), datasetExists: z.boolean() })),
    'Shipped training configs.',
  ),
  'train.configFor': method(
    DatasetRef,
    z.object({
      yaml: z.string(),
      facts: z.object({
        channels: z.union([z.literal(1), z.literal(3)]),
        imageSize: z.number().int(),
        trainLabels: z.number().int(),
        medianInstances: z.number().int(),
        sampled: z.number().int(),
      }),
    }),
    "A config made for a registered dataset (Train on this dataset): the from-scratch recipe with the data's colour, image size and a sampler that fits its training labels, named after it.",
  ),
  'train.validate': method(
    z.object({ yaml: z.string().max(200_000), baseDir: FilePath.optional() }),
    z.object({ ok: z.boolean(), issues: z.array(z.object({ path: z.string(), message: z.string() })), plan: TrainPlan.nullable() }),
    'Check a YAML config against the schema — and, given the folder its paths start from, what it points at (dataset, sampler, checkpoint metric, zoo model, memory): every problem with its key path, and the batch/epoch/triplet numbers it implies.',
  ),
  'train.start': method(
    z.object({ yaml: z.string().max(200_000), baseDir: FilePath, name: z.string().max(200).optional() }),
    z.object({ runId: z.number().int() }),
    'Start training in a worker process — or queue it while another run trains; progress arrives as train.events.',
  ),
  'train.stop': method(
    z.object({ runId: z.number().int().positive() }),
    z.object({ stopping: z.boolean() }),
    'Stop a run at its next step; a run waiting in the queue is cancelled before it starts.',
  ),
  'train.resume': method(
    z.object({ runId: z.number().int().positive() }),
    z.object({ runId: z.number().int() }),
    'Continue a stopped or interrupted run from its last checkpoint.',
  ),
  'wizard.columns': method(
    z.object({ source: FilePath }),
    z.object({ kind: z.enum(['folder', 'table', 'oml']), columns: z.array(z.string()), guessed: ColumnMappingSchema.partial() }),
    'What the source is; for a table, its columns and a guessed mapping.',
  ),
  'wizard.analyze': method(
    z.object({
      jobId: z.string().min(1).max(64),
      source: FilePath,
      root: FilePath.optional(),
      mapping: ColumnMappingSchema.partial().optional(),
      split: SplitOptionsSchema,
    }),
    WizardPreview,
    'Scan the source and plan the dataset (progress arrives as wizard.progress; cancellable).',
  ),
  'wizard.cancel': method(z.object({ jobId: z.string().min(1).max(64) }), z.object({ cancelled: z.boolean() }), 'Stop a running analysis.'),
  'wizard.write': method(
    z.object({ jobId: z.string().min(1).max(64), out: FilePath }),
    z.object({ csv: z.string(), summary: z.string(), report: DatasetReport }),
    'Write the analysed plan as df.csv + summary JSON, validate it and register it.',
  ),
  'engine.backends': method(
    z.object({}),
    BackendReport,
    'Which TensorFlow.js backends load on this machine and which one training would use.',
  ),
  'explorer.models': method(
    z.object({ csvPath: FilePath }),
    z.array(
      z.object({
        runId: z.number().int(),
        name: z.string(),
        checkpoint: z.string(),
        metricKey: z.string().nullable(),
        metricValue: z.number().nullable(),
      }),
    ),
    'Best checkpoints of the runs trained on this dataset, to search with.',
  ),
  'zoo.list': method(z.object({}), z.array(ZooEntry), 'Pretrained models in the zoo catalogue, with what is installed.'),
  'zoo.download': method(
    z.object({ key: ZooKey }),
    z.object({ jobId: z.string() }),
    'Start downloading a zoo model (verified by its digest); progress and the end arrive as jobs.progress.',
  ),
  'zoo.cancel': method(
    z.object({ jobId: z.string().min(1).max(64) }),
    z.object({ cancelled: z.boolean() }),
    'Cancel a download (its partial file resumes next time).',
  ),
  'zoo.importOml': method(
    z.object({ onnx: FilePath, exportDir: FilePath, key: ZooKey }),
    z.object({ key: z.string(), inputSize: z.number().int(), embeddingDim: z.number().int() }),
    'Import a model trained with OML from an exported experiment: its ONNX file (export_onnx.py), its size and normalisation from the export folder; checked in a worker that it loads and embeds.',
  ),
  'zoo.remove': method(z.object({ key: ZooKey }), z.object({ removed: z.boolean() }), 'Delete an installed zoo model.'),
  'explorer.search': method(
    DatasetRef.extend({ queryRow: z.number().int().min(2), ...SearchModel }),
    z.object({
      embedding: z.string(),
      root: z.string(),
      query: DatasetRow,
      results: z.array(DatasetRow.extend({ distance: z.number(), relevant: z.boolean() })),
      relevantTotal: z.number().int(),
      /** This query's AP@k and CMC@1 (null when it has nothing relevant in the gallery). */
      ap: z.number().nullable(),
      cmc1: z.number().nullable(),
    }),
    'Top-k gallery items for one validation query, each marked relevant or not.',
  ),
  'explorer.searchImage': method(
    DatasetRef.extend({
      /** The image file's own bytes, base64 (files up to 10 MB), embedded with the model's own transforms. */
      image: z.string().min(1).max(MAX_QUERY_IMAGE_BASE64),
      ...SearchModel,
    }),
    z.object({
      embedding: z.string(),
      root: z.string(),
      /** Which gallery index answered: the exact search, or HNSW for very large galleries. */
      index: z.enum(['exact', 'hnsw']),
      galleryCount: z.number().int(),
      results: z.array(DatasetRow.extend({ distance: z.number() })),
    }),
    'The k nearest gallery items of an image of your own (dropped, picked or pasted), embedded by the same model.',
  ),
  'explorer.map': method(
    DatasetRef.extend({ ...SearchModel, projection: z.enum(['pca', 'umap']).default('pca') }),
    z.object({
      embedding: z.string(),
      projection: z.enum(['pca', 'umap']),
      /** Validation items in all; the map shows every one (PCA) or a seeded sample of at most 5,000 (UMAP). */
      total: z.number().int(),
      /** Share of the variance along x and y (PCA); null for UMAP, whose axes have no such meaning. */
      explained: z.tuple([z.number(), z.number()]).nullable(),
      /** Parallel arrays, one entry per item on the map (spreadsheet row numbers). */
      rows: z.array(z.number().int()),
      x: z.array(z.number()),
      y: z.array(z.number()),
      label: z.array(z.number()),
      isQuery: z.array(z.boolean()),
      /** 1 or 0: the query's nearest gallery item is relevant; null for gallery-only items. */
      correct1: z.array(z.number().nullable()),
    }),
    'The validation items on a 2-D map of their embeddings, for the explorer: PCA of every item, or UMAP of a sample (computed in a worker).',
  ),
  'explorer.queries': method(
    DatasetRef.extend({
      ...SearchModel,
      order: z.enum(['row', 'worst']).default('row'),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(100),
      /** Only queries of this label, of this category, or whose label the training split has (seen) or lacks (unseen). */
      label: z.number().optional(),
      category: z.string().max(1000).optional(),
      seen: z.enum(['seen', 'unseen']).optional(),
    }),
    z.object({
      /** Queries that pass the filters. */
      total: z.number().int(),
      /** The means of the per-query values over every query: the model's OVERALL map@k and cmc@1 on this dataset. */
      overall: z.object({ map: z.number(), cmc1: z.number() }),
      /** The same means over the filtered queries. */
      filtered: z.object({ map: z.number(), cmc1: z.number() }),
      /** What the filters can take: each query label with its name and count, the categories, and whether any label is unseen. */
      facets: z.object({
        /** Each query label with its queries' own means (map@k, cmc@1) over every query of it, whatever the filters. */
        labels: z.array(
          z.object({ label: z.number(), labelName: z.string().nullable(), count: z.number().int(), map: z.number(), cmc1: z.number() }),
        ),
        categories: z.array(z.string()),
        unseen: z.number().int(),
      }),
      queries: z.array(DatasetRow.extend({ ap: z.number(), cmc1: z.number(), firstCorrect: z.number().int().nullable() })),
    }),
    'Every validation query with its own AP@k, CMC@1 and first correct rank under a model, a page at a time, in file order or worst first.',
  ),
} as const;

export const events = {
  /** The desktop menu asks the page to show one of its routes (File → New dataset, Open dataset, About…). */
  'app.navigate': z.object({
    path: z
      .string()
      .regex(/^\/[^\s]*$/)
      .max(4096),
  }),
  'train.events': TrainEvent,
  'runs.changed': RunsChanged,
  'wizard.progress': WizardProgress,
  'jobs.progress': JobProgress,
  'zoo.changed': ZooChanged,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a handler receives: the input after validation and defaults. */
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** An error that crosses the transport: a code the UI can act on and a message a person can read. */
export const ApiErrorShape = z.object({
  code: z.enum(['invalid_input', 'unknown_method', 'not_found', 'failed', 'unauthorized']),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiErrorShape = z.infer<typeof ApiErrorShape>;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorShape['code'],
    message: string,
    readonly issues?: ApiErrorShape['issues'],
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toShape(): ApiErrorShape {
    return { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}

/** The client interface the renderer codes against; IPC and web mode each provide one. */
export interface ApiClient {
  readonly transport: 'ipc' | 'web';
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
}

/** The untyped surface the preload exposes to the page (`window.metricStudio`); wrapped by a typed ApiClient. */
export interface BridgeSurface {
  invoke(method: string, input: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorShape }>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export { IPC_CHANNELS } from './ipc';
