import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { ApiError } from '../../shared/api';
import type { Handlers } from '../api/dispatch';
import { DatasetFileError } from '../dataset/table';
import { inspectDataset } from '../dataset/inspect';
import { datasetRows, labelNamesOf, loadDataset, numberedRows } from './datasets';
import { thumbnail } from './images';
import type { Explorer } from './explorer';
import { EmbeddingJobError, type WorkerJobs } from './embedding';
import type { EmbeddingSets } from './embedding-sets';
import { leaderboard } from './leaderboard';
import { datasetQuality, runLeaks, writeDatasetVersion } from './quality';
import { VersionError } from '../dataset/versions';
import { EXPORT_MARKER, ExportError, exportOml, omlPreprocessing } from './oml/export';
import { ConfigError, parseTrainConfig } from '../engine/train/config-file';
import YAML from 'yaml';
import type { ZooService } from './zoo';
import { embedModelOf } from './explorer';
import { RunBusyError, type RunStore } from '../store/runs';
import { appVersion, PRODUCT_NAME } from '../paths';
import { sampleDatasets } from './samples';
import type { TrainingSupervisor } from './training';
import { listRecipes, startFromYaml, validateYaml } from './train-requests';
import { compareRuns } from './compare';
import { BASE_RECIPE, configForDataset, datasetFacts } from './config-for-dataset';
import { deleteRunAndFiles } from './run-files';
import type { WizardService } from './wizard';
import type { FileAccess } from './file-access';
import type { DesktopHost } from './desktop-host';
import type { ColumnMapping } from '../dataset/convert/sources';

export interface ServiceContext {
  dataDir: string;
  store: RunStore;
  transport: 'ipc' | 'web';
  /** Native pickers and the file manager: Electron's main process gives them; web mode has none. */
  desktop?: DesktopHost;
  training: TrainingSupervisor;
  wizard: WizardService;
  jobs: WorkerJobs;
  /** The stored embeddings (explorer, evaluate, leaderboard). */
  sets: EmbeddingSets;
  explorer: Explorer;
  zoo: ZooService;
  files: FileAccess;
}

function notFoundOnMissingFile<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((err) => {
    if (err instanceof DatasetFileError) throw new ApiError('not_found', err.message);
    throw err;
  });
}

/** Every contract method, implemented once; both transports dispatch into this object. */
export function createHandlers(ctx: ServiceContext): Handlers {
  return {
    'app.info': async () => ({
      name: PRODUCT_NAME,
      version: appVersion(),
      transport: ctx.transport,
      dataDir: ctx.dataDir,
      platform: `${os.platform()} ${os.arch()}, Node ${process.versions.node}`,
      desktop: ctx.desktop !== undefined,
    }),
    'app.pickPath': async ({ kind }) => ({ path: await desktopOnly(ctx).pickPath(kind) }),
    'app.openDataFolder': async () => {
      await desktopOnly(ctx).openFolder(ctx.dataDir);
      return { opened: ctx.dataDir };
    },
    'datasets.recent': async () => ctx.store.recentDatasets(10),
    'datasets.samples': async () => sampleDatasets(),
    'datasets.inspect': async ({ csvPath, root, checkFiles }) => {
      const file = ctx.files.pickedTable(csvPath);
      ctx.files.refuseBroadRoot(root ?? path.dirname(file));
      const { report } = await notFoundOnMissingFile(inspectDataset(file, { root, checkFiles }));
      // A table without label and path columns is no dataset: shown with its problems, never a root requests may read.
      if (['label', 'path'].every((c) => report.summary.columns.includes(c)))
        await ctx.store.registerDataset(path.basename(path.dirname(report.file)), report.file, report.root, report.summary);
      return report;
    },
    'datasets.rows': async ({ csvPath, root, offset, limit, rows }) => {
      const file = await ctx.files.registeredTable(csvPath);
      const t = await notFoundOnMissingFile(loadDataset(file, root));
      const names = await labelNamesOf(file);
      if (rows) return { total: t.size, rows: numberedRows(t, rows, names) };
      return datasetRows(t, offset, limit, names);
    },
    'datasets.leaderboard': async ({ csvPath, root }) => {
      const t = await notFoundOnMissingFile(loadDataset(await ctx.files.registeredTable(csvPath), root));
      return leaderboard(ctx, t);
    },
    'datasets.quality': async ({ dupThreshold, ...ref }) => {
      const { t, model } = await explorerTarget(ctx, ref);
      return datasetQuality(ctx, t, model, dupThreshold === undefined ? {} : { dupThreshold });
    },
    'datasets.writeVersion': async ({ csvPath, root, changes }) => {
      const file = await ctx.files.registeredTable(csvPath);
      try {
        const made = await writeDatasetVersion(ctx.store, file, root, changes);
        return {
          csvPath: made.file,
          changesPath: made.changesFile,
          version: made.version,
          rows: made.rows,
          changes: made.changes,
          report: made.report,
        };
      } catch (e) {
        if (e instanceof VersionError) throw new ApiError('invalid_input', e.message);
        throw e;
      }
    },
    'datasets.versions': async ({ csvPath }) => ctx.store.datasetVersions(await ctx.files.registeredTable(csvPath)),
    'datasets.thumbnail': async ({ root, path: p, size }) => thumbnail(await ctx.files.image(root, p), p, size),
    'runs.list': async (filter) => ctx.store.listRuns(filter),
    'runs.get': async ({ id }) => {
      const run = await ctx.store.getRun(id);
      if (!run) throw new ApiError('not_found', `No run with id ${id}`);
      return run;
    },
    'runs.update': async ({ id, ...fields }) => {
      if (!(await ctx.store.getRun(id))) throw new ApiError('not_found', `No run with id ${id}`);
      await ctx.store.update(id, fields);
      return (await ctx.store.getRun(id))!;
    },
    'runs.delete': async ({ id, deleteFiles }) => deleteRun(ctx, id, deleteFiles),
    'runs.exportOml': async ({ id, outDir, devices }) => {
      const run = await ctx.store.getRun(id);
      if (!run) throw new ApiError('not_found', `No run with id ${id}`);
      const baseDir = (await ctx.store.baseDir(id)) ?? path.dirname(run.datasetCsv ?? ctx.dataDir);
      try {
        const config = parseTrainConfig(YAML.parse(run.configYaml), `run ${id}`);
        return await exportOml(config, baseDir, outDir, { devices, name: run.name });
      } catch (e) {
        if (e instanceof ExportError || e instanceof ConfigError) throw new ApiError('invalid_input', e.message);
        throw e;
      }
    },
    'runs.leaks': async ({ id }) => {
      const run = await ctx.store.getRun(id);
      if (!run) throw new ApiError('not_found', `No run with id ${id}`);
      return runLeaks(ctx, run);
    },
    'runs.log': async ({ id }) => ({ text: await readRunLog(ctx.store, id) }),
    'zoo.importOml': async ({ onnx, exportDir, key }) => {
      // Reads only what the user named: an .onnx file, and an export folder (it holds the export's marker).
      if (!onnx.toLowerCase().endsWith('.onnx')) throw new ApiError('invalid_input', `${onnx}: not an ONNX file (.onnx)`);
      if (!existsSync(path.join(exportDir, EXPORT_MARKER)))
        throw new ApiError('invalid_input', `${exportDir}: not a folder Export to OML wrote (no ${EXPORT_MARKER})`);
      if (ctx.zoo.list().some((e) => e.key === key))
        throw new ApiError('invalid_input', `A zoo model "${key}" exists already: choose another key`);
      try {
        const pre = await omlPreprocessing(exportDir);
        const made = await ctx.jobs.importModel({
          src: onnx,
          dataDir: ctx.dataDir,
          key,
          name: `${pre.name} (trained with OML)`,
          normalisation: { mean: pre.mean, std: pre.std },
          inputSize: pre.inputSize,
        });
        ctx.zoo.changed(key);
        return made;
      } catch (e) {
        if (e instanceof ExportError || e instanceof EmbeddingJobError) throw new ApiError('invalid_input', e.message);
        throw e;
      }
    },
    'runs.compare': async ({ ids }) => {
      const runs = await Promise.all(
        ids.map(async (id) => (await ctx.store.getRun(id)) ?? Promise.reject(new ApiError('not_found', `No run with id ${id}`))),
      );
      const { configDiff, metrics } = compareRuns(runs);
      return { runs, configDiff, metrics };
    },
    'runs.metrics': async ({ id, keys }) => ({ series: await ctx.store.metricSeries(id, keys) }),
    'runs.checkpoints': async ({ id }) =>
      (await ctx.store.checkpoints(id)).map((c) => ({
        kind: c.kind,
        path: c.path,
        epoch: c.epoch,
        metricKey: c.metric_key,
        metricValue: c.metric_value,
      })),
    'train.recipes': async () => listRecipes(),
    'train.configFor': async ({ csvPath, root }) => {
      const t = await notFoundOnMissingFile(loadDataset(await ctx.files.registeredTable(csvPath), root));
      const base = listRecipes().find((r) => r.name === BASE_RECIPE);
      if (!base) throw new ApiError('failed', `The ${BASE_RECIPE} recipe is missing from this installation`);
      const facts = await datasetFacts(t);
      return { yaml: configForDataset(base.yaml, t.file, t.root, facts), facts };
    },
    'train.validate': async ({ yaml, baseDir }) => validateYaml(yaml, baseDir, ctx.dataDir),
    'train.start': async ({ yaml, baseDir, name }) => startFromYaml(ctx.training, yaml, baseDir, name),
    'train.stop': async ({ runId }) => ({ stopping: ctx.training.stop(runId) }),
    'train.resume': async ({ runId }) => {
      const { runId: id } = await ctx.training.resume(runId);
      return { runId: id };
    },
    'wizard.columns': async ({ source }) => ctx.wizard.columns(path.resolve(source)),
    'wizard.analyze': async ({ jobId, source, root, mapping, split }) =>
      ctx.wizard.analyze(jobId, path.resolve(source), root, mapping as Partial<ColumnMapping> | undefined, split),
    'wizard.cancel': async ({ jobId }) => ({ cancelled: ctx.wizard.cancel(jobId) }),
    'wizard.write': async ({ jobId, out }) => ctx.wizard.write(jobId, path.resolve(out)),
    'engine.backends': async () => ctx.jobs.backends(),
    'zoo.list': async () => ctx.zoo.list(),
    'zoo.download': async ({ key }) => ({ jobId: ctx.zoo.download(key).jobId }),
    'zoo.cancel': async ({ jobId }) => ({ cancelled: ctx.zoo.cancel(jobId) }),
    'zoo.remove': async ({ key }) => ({ removed: await ctx.zoo.remove(key) }),
    'explorer.search': async ({ queryRow, k, ...ref }) => {
      const { t, model } = await explorerTarget(ctx, ref);
      return ctx.explorer.search(t, queryRow, k, model);
    },
    'explorer.searchImage': async ({ image, k, ...ref }) => {
      const { t, model } = await explorerTarget(ctx, ref);
      return ctx.explorer.searchImage(t, Buffer.from(image, 'base64'), k, model, path.join(ctx.dataDir, 'cache', 'queries'));
    },
    'explorer.map': async ({ k, projection, ...ref }) => {
      const { t, model } = await explorerTarget(ctx, ref);
      return ctx.explorer.map(t, model, k, projection);
    },
    'explorer.models': async ({ csvPath }) => ctx.store.bestCheckpointsFor(path.resolve(csvPath)),
    'explorer.queries': async ({ csvPath, root, checkpoint, zoo, ...opts }) => {
      const { t, model } = await explorerTarget(ctx, { csvPath, root, checkpoint, zoo });
      return ctx.explorer.queries(t, model, opts);
    },
  };
}

/** What every explorer request names: a registered dataset (loaded) and a model (a checkpoint, a zoo key, or raw pixels). */
function desktopOnly(ctx: ServiceContext): DesktopHost {
  if (!ctx.desktop) throw new ApiError('failed', 'Only the desktop app can open the system picker or file manager: type the path instead');
  return ctx.desktop;
}

async function explorerTarget(ctx: ServiceContext, ref: { csvPath: string; root?: string; checkpoint?: string; zoo?: string }) {
  const model = embedModelOf(ref.checkpoint, ref.zoo ? { key: ref.zoo, dir: ctx.zoo.installedDir(ref.zoo) } : undefined);
  return { t: await notFoundOnMissingFile(loadDataset(await ctx.files.registeredTable(ref.csvPath), ref.root)), model };
}

async function deleteRun(ctx: ServiceContext, id: number, deleteFiles: boolean) {
  if (!(await ctx.store.getRun(id))) throw new ApiError('not_found', `No run with id ${id}`);
  if (ctx.training.isRunning(id)) throw new ApiError('invalid_input', `Run ${id} is training: stop it first`);
  try {
    return { deleted: true, removedFolder: await deleteRunAndFiles(ctx.store, ctx.dataDir, id, deleteFiles) };
  } catch (e) {
    if (e instanceof RunBusyError) throw new ApiError('invalid_input', e.message);
    throw e;
  }
}

async function readRunLog(store: RunStore, id: number): Promise<string> {
  const dir = await store.outDir(id);
  if (!dir) return '';
  const text = await readFile(path.join(dir, 'train.log'), 'utf8').catch(() => '');
  return text.length > 200_000 ? text.slice(-200_000) : text;
}
