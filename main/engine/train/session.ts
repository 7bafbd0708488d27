import { mkdir } from 'node:fs/promises';
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
import { loadWebgpu } from '../webgpu';
import { activationSize, microBatch } from './micro-batch';
import { ImageStore, type ImageSpec } from '../data/images';
import type { Embedder } from '../embed/batches';
import { buildOnnxZooExtractor, buildZooExtractor, type ZooExtractor } from '../models/zoo-extractor';
import { resolveThreads } from '../wasm/threads';
import { modelDir, zooBackbone } from '../../zoo/catalog';
import { CachedInputs, ImageInputs, type InputPipeline } from './inputs';
import { frozenOutputs } from './frozen-cache';
import type { Criterion } from '../interfaces/criterions';
import type { BatchSampler } from '../interfaces/samplers';
import { buildExtractor, embeddingDim, trainableWeights } from '../models/extractor';
import { lastCheckpointOf, loadCheckpoint, type CheckpointMeta } from './checkpoint';
import type { EventSink } from './event-sink';
import { createCriterion, createSampler } from './factories';
import { type GroupOptions, Optimizer } from './optim';
import { shownEpoch } from '../../../shared/epochs';

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
  /** Images per forward/backward chunk of a step (`micro_batch`): below the batch size, steps run in two passes. */
  readonly chunk: number;
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
  if (loaded) log(`resuming after epoch ${shownEpoch(loaded.meta.epoch)} (step ${loaded.meta.step}) from ${resumeFrom}`);
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
 * A backbone group when the backbone trains at its own rate or unfreezes after `freeze_n_epochs` (each group then
 * keeps its Adam moments for its own variables); one group otherwise.
 */
function optimizerGroups(cfg: TrainConfig, model: tf.LayersModel): GroupOptions {
  const head = new Set(trainableWeights(model, true).map((v) => v.name));
  const backbone = new Set(trainableWeights(model, false).flatMap((v) => (head.has(v.name) ? [] : [v.name])));
  if (backbone.size === 0 || (cfg.backbone_lr_scale === 1 && cfg.freeze_n_epochs === 0)) return {};
  return { backboneScale: cfg.backbone_lr_scale, isBackbone: (v) => backbone.has(v.name) };
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

/**
 * What the loop feeds its network: a frozen backbone's cached features (only the head trains), a fine-tuned
 * backbone's cached activations at `train_from` (only the layers above it run in a step), or decoded images.
 */
async function buildInputs(
  c: InputContext,
  model: tf.LayersModel,
  zoo: ZooExtractor | null,
  trainRows: number[],
  valRows: number[],
): Promise<InputPipeline> {
  const a = c.cfg.extractor.args;
  const augmented = augments(c.cfg.transforms_train);
  const frozen = (
    kind: 'features' | 'activations',
    label: string,
    net: tf.LayersModel | Embedder,
    views: number,
    model: (string | number | null)[],
  ) =>
    frozenOutputs({
      kind,
      label,
      net,
      model,
      table: c.table,
      spec: c.spec,
      trainRows,
      otherRows: valRows,
      views,
      transform: c.cfg.transforms_train,
      seed: c.cfg.seed,
      bs: c.cfg.bs_val,
      dataDir: c.dataDir,
      events: c.events,
      progress: (done, total) => c.events.progress({ epoch: c.epoch, step: c.step, epochStep: done, epochSteps: total, phase: 'loading' }),
    });
  if (zoo?.frozenBackbone) {
    if (augmented) {
      c.events.log(
        'transforms_train: augmentations are off — the backbone is frozen and its features are computed once; set extractor.args.train_from to fine-tune with augmentations',
        'warn',
      );
    }
    const m = zoo.manifest;
    const cache = await frozen('features', 'backbone features', zoo.features, 1, [
      m.entry.key,
      m.installedAt,
      a.layer ?? m.entry.embeddingLayer,
      a.pooling,
      a.gem_p,
    ]);
    return new CachedInputs(zoo.head, cache);
  }
  if (zoo?.cut) {
    const views = augmented ? a.cached_views : 1;
    if (augmented && views === 1)
      c.events.log(
        'transforms_train: augmentations are off — the layers below train_from run once per image; set extractor.args.cached_views to 2 or more to cache augmented views',
        'warn',
      );
    if (!augmented && a.cached_views > 1)
      c.events.log('extractor.args.cached_views: no augmentations in transforms_train, so one view per image is cached');
    const m = zoo.manifest;
    const cache = await frozen('activations', `activations entering ${zoo.cut.layer}`, zoo.cut.lower, views, [
      m.entry.key,
      m.installedAt,
      a.layer ?? m.entry.embeddingLayer,
      zoo.cut.layer,
    ]);
    c.events.log(
      `fine-tuning from ${zoo.cut.layer} on cached activations (${cache.itemShape.join('×')} per image): the layers below it do not run in a step`,
    );
    return new CachedInputs(zoo.cut.upper, cache);
  }
  if (zoo?.uncached && a.train_from) c.events.log(`fine-tuning on images, the whole network every step: ${zoo.uncached}`, 'warn');
  const store = new ImageStore(c.table, c.spec, c.cfg.cache_images);
  if (c.cfg.cache_images) {
    c.events.progress({ epoch: c.epoch, step: c.step, epochStep: 0, epochSteps: 0, phase: 'loading' });
    await store.preload([...trainRows, ...valRows], (done, total) => done === total && c.events.log(`decoded ${total} images`));
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
  const optimizer = new Optimizer(cfg.optimizer, optimizerGroups(cfg, model));
  if (loaded) await restoreState(loaded, criterion, optimizer);
  if (loaded) events.send({ type: 'resumed', runId: opts.runId, epoch: loaded.meta.epoch, step: loaded.meta.step });

  const trainIndex = Array.from(train.rows);
  const startEpoch = loaded ? loaded.meta.epoch + 1 : 0;
  const step = loaded?.meta.step ?? 0;
  const inputs = await buildInputs(
    { cfg, table, spec, events, dataDir: opts.dataDir, epoch: startEpoch, step },
    model,
    zoo,
    trainIndex,
    valRows,
  );
  const maxBinding = backend.name === 'webgpu' ? (await loadWebgpu()).adapter.limits.maxStorageBufferBindingSize : null;
  const chunk = microBatch(cfg.micro_batch, activationSize(inputs.net), backend.name, sampler.batchSize, maxBinding);
  if (chunk < sampler.batchSize)
    events.log(
      `two-pass steps: the loss sees all ${sampler.batchSize} images of a batch, forward and backward run ${chunk} at a time (micro_batch: ${cfg.micro_batch}${cfg.micro_batch === 'auto' ? `, what the ${backend.name} backend's memory holds` : ''})`,
    );
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
    chunk,
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
