import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../shared/schemas/config';
import type { TrainEvent } from '../../../shared/schemas/events';
import { label2category, trainRows } from '../../dataset/labels';
import { ProblemLog, formatProblem } from '../../dataset/problems';
import { readDatasetCsv, validationRows, type DatasetTable } from '../../dataset/table';
import { validateTable } from '../../dataset/validate';
import { type MetricArgs, metricArgsOf } from '../../metrics/embedding-metrics';
import { useBackend, type ActiveBackend } from '../backends';
import { ImageStore, type ImageSpec } from '../data/images';
import { embedBatches, imageInputs } from '../embed/batches';
import { buildOnnxZooExtractor, buildZooExtractor, type ZooExtractor } from '../models/zoo-extractor';
import { resolveThreads } from '../wasm/threads';
import { modelDir, zooBackbone } from '../../zoo/catalog';
import { readEmbeddingFile, writeEmbeddingFile } from '../../retrieval/embedding-file';
import { FeatureInputs, ImageInputs, type InputPipeline } from './inputs';
import type { Criterion } from '../interfaces/criterions';
import type { BatchSampler } from '../interfaces/samplers';
import { buildExtractor, embeddingDim } from '../models/extractor';
import { lastCheckpointOf, loadCheckpoint, type CheckpointMeta } from './checkpoint';
import type { EventSink } from './callbacks/event-sink';
import { createCriterion, createSampler } from './factories';
import { Optimizer } from './optim';

export interface TrainOptions {
  config: TrainConfig;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  outDir: string;
  runId: number;
  /** Continue from outDir/checkpoints/last (its epoch, weights, optimiser and callback state). */
  resume?: boolean;
  emit: (event: TrainEvent) => void;
  shouldStop: () => boolean;
  /** Step metrics and progress are sent at most this often (ms); 0 sends every step. */
  eventIntervalMs?: number;
  /** The app's data folder: where zoo models are installed and backbone features are cached. */
  dataDir?: string;
}

/** Everything a run is made of, built once from the config (OML's pipeline wiring), plus the loop's counters. */
export interface TrainSession {
  readonly cfg: TrainConfig;
  readonly runId: number;
  readonly events: EventSink;
  readonly backend: ActiveBackend;
  readonly table: DatasetTable;
  readonly train: ReturnType<typeof trainRows>;
  /** Dataset rows of the training split, indexed by the sampler's batch indices. */
  readonly trainIndex: number[];
  readonly valRows: number[];
  /** What the loop feeds its network: decoded images, or a frozen backbone's cached features. */
  readonly inputs: InputPipeline;
  readonly spec: ImageSpec;
  readonly inputShape: [number, number, number];
  readonly sampler: BatchSampler;
  /** image → embedding: what checkpoints hold (the loop may train a part of it, `inputs.net`). */
  readonly model: tf.LayersModel;
  readonly embDim: number;
  readonly criterion: Criterion;
  readonly optimizer: Optimizer;
  readonly metricArgs: MetricArgs;
  readonly ckptRoot: string;
  /** The checkpoint this run resumes from, if any. */
  readonly resumed: CheckpointMeta | null;
  /** A backbone outside `model` (an ONNX zoo model), named in every checkpoint so it embeds images. */
  readonly backbone: CheckpointMeta['backbone'] | null;
  readonly startEpoch: number;
  epoch: number;
  step: number;
  /** Metrics of the latest validation (empty before the first). */
  metrics: Record<string, number>;
  /** Set by the validation callback in an epoch that validated. */
  validated: boolean;
  /** Set by a callback to end training after this epoch (early stopping). */
  stopTraining: boolean;
  /** Every stateful callback's state, for the `last` checkpoint. */
  callbackStates: () => Record<string, unknown>;
}

async function loadDataset(cfg: TrainConfig, baseDir: string) {
  const csv = path.resolve(baseDir, cfg.dataset);
  const root = cfg.dataset_root ? path.resolve(baseDir, cfg.dataset_root) : undefined;
  const problems = new ProblemLog(20);
  const { table } = await readDatasetCsv(csv, { root, problems });
  validateTable(table, problems);
  if (problems.errors > 0) {
    const lines = problems
      .sorted()
      .filter((p) => p.severity === 'error')
      .map((p) => formatProblem(table.file, p));
    throw new Error(`The dataset has ${problems.errors} error(s):\n${lines.join('\n')}`);
  }
  return table;
}

/** The model: fresh (seeded), from pretrained weights, or from the `last` checkpoint of this run. */
async function loadModel(opts: TrainOptions, ckptRoot: string, inputShape: [number, number, number], log: (m: string) => void) {
  const cfg = opts.config;
  const resumeFrom = opts.resume ? lastCheckpointOf(opts.outDir) : null;
  if (opts.resume && !resumeFrom) throw new Error(`Nothing to resume: no checkpoint in ${path.join(ckptRoot, 'last')}`);
  const loaded = resumeFrom ? await loadCheckpoint(resumeFrom) : null;
  if (loaded) log(`resuming after epoch ${loaded.meta.epoch} (step ${loaded.meta.step}) from ${resumeFrom}`);
  if (cfg.extractor.name === 'zoo') {
    const zoo = await zooExtractor(opts, inputShape);
    // The zoo graph is rebuilt from the installed model; a checkpoint of the same config has the same weights list.
    if (loaded) zoo.model.setWeights(loaded.model.getWeights());
    return { model: zoo.model, zoo, loaded };
  }
  if (loaded) return { model: loaded.model, zoo: null, loaded };
  const model = buildExtractor(cfg.extractor, inputShape, cfg.seed);
  if (cfg.extractor.args.weights) {
    const pretrained = await loadCheckpoint(path.resolve(opts.baseDir, cfg.extractor.args.weights));
    model.setWeights(pretrained.model.getWeights());
    log(`initialised from ${pretrained.dir}`);
  }
  return { model, zoo: null, loaded };
}

async function zooExtractor(opts: TrainOptions, inputShape: [number, number, number]): Promise<ZooExtractor> {
  const key = opts.config.extractor.args.model!;
  if (!opts.dataDir) throw new Error('extractor "zoo" needs the app data folder (where zoo models are installed)');
  const found = zooBackbone(opts.dataDir, key, inputShape[0], inputShape[2]);
  if ('issue' in found) throw new Error(`${found.issue.path}: ${found.issue.message}`);
  const { dir, manifest } = found;
  const e = manifest.entry;
  if (e.format === 'onnx')
    return buildOnnxZooExtractor(opts.config.extractor, dir, manifest, opts.config.seed, resolveThreads(opts.config.threads));
  return buildZooExtractor(opts.config.extractor, dir, opts.config.seed);
}

/**
 * The frozen backbone's pooled features of `rows`, computed once and kept in `cache/features/` (keyed by the
 * model, the layer, the pooling, the image size and the dataset file's identity), so later runs start at once.
 */
async function cachedFeatures(s: InputContext, zoo: ZooExtractor, rows: number[]) {
  const a = s.cfg.extractor.args;
  const st = await stat(s.table.file);
  const id = [
    zoo.manifest.entry.key,
    zoo.manifest.installedAt,
    a.layer ?? zoo.manifest.entry.embeddingLayer,
    a.pooling,
    a.gem_p,
    s.spec.size,
    s.table.file,
    st.size,
    st.mtimeMs,
    s.table.root,
    rows.length,
  ].join('|');
  const file = s.dataDir ? path.join(s.dataDir, 'cache', 'features', `${createHash('sha1').update(id).digest('hex')}.emb`) : null;
  if (file && existsSync(file)) {
    const hit = await readEmbeddingFile(file).catch(() => null);
    if (hit && hit.header.keys.length === rows.length && hit.header.keys.every((k, i) => k === rows[i])) {
      s.events.log(`backbone features: reusing ${rows.length} cached vectors (${hit.embeddings.dim}-d) from ${file}`);
      return hit.embeddings;
    }
  }
  const store = new ImageStore(s.table, s.spec, false);
  const t0 = performance.now();
  const data = await embedBatches(
    zoo.features,
    rows.length,
    imageInputs(s.spec, (b, e) => store.get(rows.slice(b, e))),
    s.cfg.bs_val,
    (done, total) => s.events.progress({ epoch: s.epoch, step: s.step, epochStep: done, epochSteps: total, phase: 'loading' }),
  );
  const dim = 'embed' in zoo.features ? zoo.features.dim : zoo.features.outputs[0]!.shape[1]!;
  s.events.log(
    `backbone features: ${rows.length} images → ${dim}-d in ${((performance.now() - t0) / 1000).toFixed(1)} s (computed once; only the head trains)`,
  );
  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeEmbeddingFile(file, { data, count: rows.length, dim }, `zoo ${zoo.manifest.entry.key} features`, rows);
  }
  return { data, count: rows.length, dim };
}

/** The criterion's weights and the optimiser's slots of a resumed run. */
async function restoreState(loaded: Awaited<ReturnType<typeof loadCheckpoint>>, criterion: Criterion, optimizer: Optimizer): Promise<void> {
  for (const v of criterion.trainableVariables) {
    const saved = loaded.criterion.find((c) => c.name === v.name) ?? loaded.criterion[criterion.trainableVariables.indexOf(v)];
    if (saved) v.assign(saved.tensor);
  }
  // tfjs optimisers take saved slots before their first step and match them to variables by position.
  if (loaded.optimizer.length) await optimizer.setWeights(loaded.optimizer);
}

type InputContext = {
  cfg: TrainConfig;
  table: DatasetTable;
  spec: ImageSpec;
  events: EventSink;
  dataDir?: string;
  /** Where the run starts (a resumed run's epoch and step), for the loading progress. */
  epoch: number;
  step: number;
};

/** Cached backbone features when a zoo backbone is frozen, else decoded (and cached) images. */
async function buildInputs(c: InputContext, model: tf.LayersModel, zoo: ZooExtractor | null, rows: number[]): Promise<InputPipeline> {
  if (zoo?.frozenBackbone) {
    if (augments(c.cfg.transforms_train)) {
      c.events.log(
        'transforms_train: augmentations are off — the backbone is frozen and its features are computed once; set extractor.args.train_from to fine-tune with augmentations',
        'warn',
      );
    }
    const features = await cachedFeatures(c, zoo, rows);
    const index = new Int32Array(c.table.size).fill(-1);
    rows.forEach((r, i) => {
      index[r] = i;
    });
    return new FeatureInputs(zoo.head, index, features.data, features.dim);
  }
  const store = new ImageStore(c.table, c.spec, c.cfg.cache_images);
  if (c.cfg.cache_images) {
    c.events.progress({ epoch: c.epoch, step: c.step, epochStep: 0, epochSteps: 0, phase: 'loading' });
    await store.preload(rows, (done, total) => done === total && c.events.log(`decoded ${total} images`));
  }
  return new ImageInputs(model, store, c.spec, c.cfg.transforms_train);
}

const augments = (t: TrainConfig['transforms_train']) =>
  t.name === 'augs' && (t.args.hflip || t.args.pad_crop > 0 || t.args.brightness > 0);

/** Builds a run from its config: backend → dataset → sampler → model → criterion → optimiser (+ resumed state). */
export async function setupTraining(opts: TrainOptions, events: EventSink): Promise<TrainSession> {
  const { config: cfg, runId } = opts;
  const backend = await useBackend(cfg.backend, cfg.threads);
  events.send({
    type: 'backend',
    runId,
    name: backend.name,
    version: backend.version,
    threads: backend.threads,
    detail: backend.detail,
    device: backend.device ?? undefined,
  });
  events.log(`backend: ${backend.name} ${backend.version ?? ''} (${backend.detail})`);
  for (const p of backend.passedOver) events.log(`not used: ${p.name} — ${p.detail}`);

  const table = await loadDataset(cfg, opts.baseDir);
  const train = trainRows(table);
  const l2c = label2category(table, train.rows, (l) => train.mapping.get(l)!);
  const valRows = validationRows(table);
  events.log(`dataset: ${train.rows.length} train rows (${train.mapping.size} labels), ${valRows.length} validation rows`);

  const spec: ImageSpec = { size: cfg.image_size, channels: cfg.channels };
  const inputShape: [number, number, number] = [spec.size, spec.size, spec.channels];
  const sampler = createSampler(cfg.sampler, train.labels, l2c);
  const ckptRoot = path.join(opts.outDir, 'checkpoints');
  await mkdir(ckptRoot, { recursive: true });
  const { model, zoo, loaded } = await loadModel(opts, ckptRoot, inputShape, (m) => events.log(m));
  const embDim = embeddingDim(model);
  const criterion = createCriterion(cfg.criterion, embDim, train.mapping.size, l2c, cfg.seed);
  const optimizer = new Optimizer(cfg.optimizer);
  if (loaded) await restoreState(loaded, criterion, optimizer);
  if (loaded) events.send({ type: 'resumed', runId: opts.runId, epoch: loaded.meta.epoch, step: loaded.meta.step });

  const trainIndex = Array.from(train.rows);
  const startEpoch = loaded ? loaded.meta.epoch + 1 : 0;
  const step = loaded?.meta.step ?? 0;
  const inputs = await buildInputs({ cfg, table, spec, events, dataDir: opts.dataDir, epoch: startEpoch, step }, model, zoo, [
    ...trainIndex,
    ...valRows,
  ]);
  return {
    cfg,
    runId,
    events,
    backend,
    table,
    train,
    trainIndex,
    valRows,
    inputs,
    spec,
    inputShape,
    sampler,
    model,
    embDim,
    criterion,
    optimizer,
    metricArgs: metricArgsOf(cfg.metric_args),
    ckptRoot,
    resumed: loaded?.meta ?? null,
    backbone:
      zoo && 'embed' in zoo.features
        ? { kind: 'onnx', key: zoo.manifest.entry.key, dir: modelDir(opts.dataDir!, zoo.manifest.entry.key) }
        : null,
    startEpoch,
    epoch: startEpoch,
    step,
    metrics: loaded?.meta.metrics ?? {},
    validated: false,
    stopTraining: false,
    callbackStates: () => ({}),
  };
}
