import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../shared/schemas/config';
import type { TrainEvent } from '../../../shared/schemas/events';
import { readDatasetCsv } from '../../dataset/table';
import { validateTable } from '../../dataset/validate';
import { ProblemLog, formatProblem } from '../../dataset/problems';
import { label2category, trainRows } from '../../dataset/labels';
import { validationRows } from '../../dataset/table';
import { computeMetrics, flattenMetrics, type MetricArgs } from '../../metrics/embedding-metrics';
import { tableValidationSet } from '../../metrics/evaluate-dataset';
import { mulberry32 } from '../../random';
import { useBackend } from '../backends';
import { ImageStore, toFloatBatch, type ImageSpec } from '../data/images';
import { buildExtractor, embeddingDim, trainableWeights } from '../models/extractor';
import { CollapseDetector, embeddingSpread } from './collapse';
import { checkpointDir, loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint';
import { embedRows } from './embed';
import { createCriterion, createSampler } from './factories';
import { Optimizer, Scheduler } from './optim';

export interface TrainOptions {
  config: TrainConfig;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  outDir: string;
  runId: number;
  /** Continue from outDir/checkpoints/last (its epoch, weights, optimiser state). */
  resume?: boolean;
  emit: (event: TrainEvent) => void;
  shouldStop: () => boolean;
}

export interface TrainResult {
  status: 'finished' | 'stopped';
  epochs: number;
  bestMetric: number | null;
  lastMetrics: Record<string, number>;
}

/** Derives an independent, reproducible RNG stream per (seed, purpose, epoch). */
const stream = (seed: number, purpose: number, epoch: number) => mulberry32((seed * 1000003) ^ (purpose * 7919) ^ (epoch * 104729));

/**
 * OML's training pipeline: seed → dataset → sampler → extractor, criterion, optimiser (+ criterion weights) →
 * scheduler → per-epoch training with the sampler's batches → validation every `valid_period` epochs with the
 * retrieval metrics → best/last checkpoints by `metric_for_checkpointing` → early stopping.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config: cfg, runId, emit } = opts;
  const log = (message: string, level: 'info' | 'warn' | 'error' = 'info') => emit({ type: 'log', runId, level, message });

  const backend = await useBackend(cfg.backend);
  emit({ type: 'backend', runId, name: backend.name, version: backend.version, threads: backend.threads, detail: backend.detail });
  log(`backend: ${backend.name} ${backend.version ?? ''} (${backend.detail})`);

  // Dataset
  const csv = path.resolve(opts.baseDir, cfg.dataset);
  const root = cfg.dataset_root ? path.resolve(opts.baseDir, cfg.dataset_root) : undefined;
  const problems = new ProblemLog(20);
  const { table } = await readDatasetCsv(csv, { root, problems });
  validateTable(table, problems);
  if (problems.errors > 0) {
    const lines = problems.sorted().filter((p) => p.severity === 'error').map((p) => formatProblem(table.file, p));
    throw new Error(`The dataset has ${problems.errors} error(s):\n${lines.join('\n')}`);
  }
  const train = trainRows(table);
  const l2c = label2category(table, train.rows, (l) => train.mapping.get(l)!);
  const valRows = validationRows(table);
  log(`dataset: ${train.rows.length} train rows (${train.mapping.size} labels), ${valRows.length} validation rows`);

  const spec: ImageSpec = { size: cfg.image_size, channels: cfg.channels };
  const store = new ImageStore(table, spec, cfg.cache_images);
  const sampler = createSampler(cfg.sampler, train.labels, l2c);
  const inputShape: [number, number, number] = [spec.size, spec.size, spec.channels];

  // Model, criterion, optimiser — fresh, from pretrained weights, or from the last checkpoint.
  const ckptRoot = path.join(opts.outDir, 'checkpoints');
  await mkdir(ckptRoot, { recursive: true });
  const resumeFrom = opts.resume ? checkpointDir(path.join(ckptRoot, 'last')) : null;
  if (opts.resume && !resumeFrom) throw new Error(`Nothing to resume: no checkpoint in ${path.join(ckptRoot, 'last')}`);
  let model: tf.LayersModel;
  let startEpoch = 0;
  let step = 0;
  let loaded: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  if (resumeFrom) {
    loaded = await loadCheckpoint(resumeFrom);
    model = loaded.model;
    startEpoch = loaded.meta.epoch + 1;
    step = loaded.meta.step;
    log(`resuming after epoch ${loaded.meta.epoch} (step ${step}) from ${resumeFrom}`);
  } else {
    model = buildExtractor(cfg.extractor, inputShape, cfg.seed);
    if (cfg.extractor.args.weights) {
      const pretrained = await loadCheckpoint(path.resolve(opts.baseDir, cfg.extractor.args.weights));
      model.setWeights(pretrained.model.getWeights());
      log(`initialised from ${pretrained.dir}`);
    }
  }
  const embDim = embeddingDim(model);
  const criterion = createCriterion(cfg.criterion, embDim, train.mapping.size, l2c, cfg.seed);
  const optimizer = new Optimizer(cfg.optimizer);
  const scheduler = cfg.scheduling ? new Scheduler(cfg.scheduling.scheduler, cfg.optimizer.args.lr) : null;
  if (loaded) {
    for (const v of criterion.trainableVariables) {
      const saved = loaded.criterion.find((c) => c.name === v.name) ?? loaded.criterion[criterion.trainableVariables.indexOf(v)];
      if (saved) v.assign(saved.tensor);
    }
  }
  const metricArgs: MetricArgs = {
    cmc: cfg.metric_args.cmc_top_k,
    precision: cfg.metric_args.precision_top_k,
    map: cfg.metric_args.map_top_k,
    ndcg: cfg.metric_args.ndcg_top_k,
    fmr: cfg.metric_args.fmr_vals,
    pcf: cfg.metric_args.pcf_variance,
  };

  const allTrain = Array.from(train.rows);
  if (cfg.cache_images) {
    emit({ type: 'progress', runId, epoch: startEpoch, step, epochStep: 0, epochSteps: 0, phase: 'loading' });
    await store.preload([...allTrain, ...valRows], (done, total) => done === total && log(`decoded ${total} images`));
  }

  const validate = async (epoch: number): Promise<Record<string, number>> => {
    emit({ type: 'progress', runId, epoch, step, epochStep: 0, epochSteps: 0, phase: 'validating' });
    const data = await embedRows(model, store, valRows, cfg.bs_val);
    const { tree } = computeMetrics(tableValidationSet(table, valRows, { data, count: valRows.length, dim: embDim }), metricArgs);
    const flat = Object.fromEntries(Object.entries(flattenMetrics(tree)).filter(([, v]) => Number.isFinite(v)));
    emit({ type: 'metrics', runId, step, epoch, values: flat });
    return flat;
  };

  const checkpoint = async (kind: 'best' | 'last', epoch: number, metrics: Record<string, number>) => {
    const meta: CheckpointMeta = {
      format: 'metric-studio-checkpoint/1',
      runId,
      epoch,
      step,
      config: cfg,
      inputShape,
      labelMapping: [...train.mapping],
      metrics,
      backend: backend.name,
      savedAt: new Date().toISOString(),
    };
    const dir = path.join(ckptRoot, kind);
    await saveCheckpoint(dir, { model, meta, optimizer: kind === 'last' ? await optimizer.getWeights() : undefined, criterion: criterion.trainableVariables });
    const value = metrics[cfg.metric_for_checkpointing];
    emit({ type: 'checkpoint', runId, epoch, kind, path: dir, metricKey: value === undefined ? null : cfg.metric_for_checkpointing, metricValue: value ?? null });
  };

  let best: number | null = loaded ? (loaded.meta.metrics[`best:${cfg.metric_for_checkpointing}`] ?? null) : null;
  let sinceBest = 0;
  let lastMetrics: Record<string, number> = loaded?.meta.metrics ?? {};
  if (!loaded && valRows.length > 0) {
    lastMetrics = await validate(-1);
    log(`untrained network: ${cfg.metric_for_checkpointing} = ${lastMetrics[cfg.metric_for_checkpointing]?.toFixed(4) ?? 'n/a'}`);
  }

  // tfjs optimisers take saved slots before their first step and match them to variables by position.
  if (loaded && loaded.optimizer.length) await optimizer.setWeights(loaded.optimizer);

  const collapse = new CollapseDetector(cfg.criterion.name === 'triplet_with_miner' ? cfg.criterion.args.margin : null);
  let warnedCollapse = false;
  let status: TrainResult['status'] = 'finished';
  let epoch = startEpoch;

  for (; epoch < cfg.max_epochs; epoch++) {
    const frozen = epoch < cfg.freeze_n_epochs;
    const vars = [...trainableWeights(model, frozen), ...criterion.trainableVariables];
    if (scheduler && cfg.scheduling!.scheduler_interval === 'epoch') optimizer.learningRate = scheduler.lrAt(epoch);
    const batches = sampler.epoch(stream(cfg.seed, 1, epoch));
    criterion.reseed?.(cfg.seed * 7919 + epoch);
    const steps = cfg.steps_per_epoch ? Math.min(cfg.steps_per_epoch, batches.length) : batches.length;
    const augRng = stream(cfg.seed, 2, epoch);
    let next = store.get(batches[0]!.map((k) => allTrain[k]!));
    const t0 = performance.now();
    let seen = 0;
    let lossSum = 0;

    for (let b = 0; b < steps; b++) {
      if (opts.shouldStop()) {
        status = 'stopped';
        break;
      }
      const batch = batches[b]!;
      const images = await next;
      // Decode the next batch while this one trains (sharp works off the JS thread).
      if (b + 1 < steps) next = store.get(batches[b + 1]!.map((k) => allTrain[k]!));
      const labels = Int32Array.from(batch, (k) => train.labels[k]!);
      if (scheduler && cfg.scheduling!.scheduler_interval === 'step') optimizer.learningRate = scheduler.lrAt(step);

      let logs: Record<string, number> = {};
      let spread = 1;
      const x = tf.tensor4d(toFloatBatch(images, spec, cfg.transforms_train, augRng), [batch.length, spec.size, spec.size, spec.channels]);
      const loss = optimizer.step(() => {
        const features = model.apply(x, { training: true }) as tf.Tensor2D;
        spread = embeddingSpread(features.dataSync() as Float32Array, batch.length, embDim);
        const out = criterion.compute(features, labels);
        logs = out.logs;
        return out.loss as tf.Scalar;
      }, vars);
      x.dispose();
      if (!Number.isFinite(loss)) throw new Error(`Loss became ${loss} at step ${step}: lower the learning rate`);
      step++;
      seen += batch.length;
      lossSum += loss;
      const seconds = (performance.now() - t0) / 1000;
      emit({ type: 'metrics', runId, step, epoch, values: { loss, lr: optimizer.learningRate, img_per_s: seen / Math.max(seconds, 1e-9), ...logs } });
      emit({ type: 'progress', runId, epoch, step, epochStep: b + 1, epochSteps: steps, phase: 'training' });
      const warning = collapse.observe(loss, logs.active_tri, spread);
      if (warning && !warnedCollapse) {
        warnedCollapse = true;
        log(warning, 'warn');
        emit({ type: 'metrics', runId, step, epoch, values: { collapse_warning: 1 } });
      }
    }
    if (status === 'stopped') break;
    log(`epoch ${epoch}: mean loss ${(lossSum / Math.max(1, steps)).toFixed(4)}, ${(seen / ((performance.now() - t0) / 1000)).toFixed(0)} img/s`);

    if ((epoch + 1) % cfg.valid_period === 0 || epoch === cfg.max_epochs - 1) {
      lastMetrics = valRows.length ? await validate(epoch) : {};
      const value = lastMetrics[cfg.metric_for_checkpointing];
      if (value !== undefined) {
        scheduler?.observe(value);
        const improved = best === null || (cfg.mode_for_checkpointing === 'max' ? value > best : value < best);
        if (improved) {
          best = value;
          sinceBest = 0;
          await checkpoint('best', epoch, lastMetrics);
        } else sinceBest++;
        log(`epoch ${epoch}: ${cfg.metric_for_checkpointing} = ${value.toFixed(4)}${improved ? ' (best)' : ''}`);
      }
    }
    await checkpoint('last', epoch, { ...lastMetrics, ...(best !== null ? { [`best:${cfg.metric_for_checkpointing}`]: best } : {}) });
    if (cfg.early_stopping_patience !== null && sinceBest >= cfg.early_stopping_patience) {
      log(`early stopping: no improvement of ${cfg.metric_for_checkpointing} for ${sinceBest} validations`);
      epoch++;
      break;
    }
  }
  return { status, epochs: epoch - startEpoch, bestMetric: best, lastMetrics };
}
