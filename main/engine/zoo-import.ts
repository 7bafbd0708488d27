import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ZooCatalogEntry, ZooNormalisation } from '../../shared/schemas/zoo';
import type { InstalledManifest } from '../zoo/catalog';
import { placeModelFolder } from '../zoo/install';
import { loadLayersFolder, loadZooEmbedder } from './zoo-model';

export interface ImportOptions {
  key: string;
  name?: string;
  /** The layer to embed with (default: the model's output). */
  layer?: string;
  normalisation?: ZooNormalisation;
}

/** A model folder that cannot be used as a zoo model, with the reason (and the fix where there is one). */
export class ImportError extends Error {}

/**
 * Imports a user's TF.js layers model folder (model.json + the weight files it names) as a local zoo model:
 * checked first — it loads, its input is a square RGB image, the chosen layer exists and gives a vector (or a
 * feature map, average-pooled) — then copied into the zoo folder with a manifest, like a downloaded model.
 */
export async function importZooModel(src: string, dataDir: string, opts: ImportOptions): Promise<InstalledManifest> {
  if (!/^[a-z0-9_]{1,64}$/.test(opts.key)) throw new ImportError(`--key must be lowercase letters, digits and _ (got "${opts.key}")`);
  const folder = path.resolve(src);
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8'));
  } catch (e) {
    throw new ImportError(`${path.join(folder, 'model.json')}: not a readable TF.js model (${(e as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ImportError(`${folder}/model.json is not a TF.js layers model (graph models and ONNX files are not importable yet)`);
  }
  const files = json.weightsManifest.flatMap((g) => g.paths);
  if (files.some((f) => path.basename(f) !== f)) throw new ImportError(`${folder}/model.json names weight files outside its folder`);
  const network = await loadLayersFolder(folder).catch((e: Error) => {
    throw new ImportError(`${folder}: the model does not load (${e.message})`);
  });
  const [, h, w, c] = network.inputs[0]!.shape;
  if (!h || h !== w || c !== 3)
    throw new ImportError(`${folder}: the input must be a square RGB image (got ${JSON.stringify(network.inputs[0]!.shape)})`);
  const layer = opts.layer ? network.layers.find((l) => l.name === opts.layer) : network.layers.at(-1);
  if (!layer)
    throw new ImportError(
      `${folder}: no layer "${opts.layer}" (the last ones are ${network.layers
        .slice(-6)
        .map((l) => l.name)
        .join(', ')})`,
    );
  const shape = layer.outputShape as number[];
  if (shape.length !== 2 && shape.length !== 4)
    throw new ImportError(`${folder}: layer "${layer.name}" gives ${JSON.stringify(shape)}, neither a vector nor a feature map`);
  const entry: ZooCatalogEntry = {
    key: opts.key,
    name: opts.name ?? opts.key,
    description: `Imported from ${folder}`,
    architecture: network.name,
    format: 'tfjs-layers',
    builder: null,
    inputSize: h,
    channels: 3,
    normalisation: opts.normalisation ?? 'zero_one',
    embeddingLayer: layer.name,
    embeddingDim: shape.at(-1)!,
    licence: 'unknown (imported)',
    trainingData: 'unknown (imported)',
    reportedMetrics: {},
    source: { kind: 'local', path: folder },
    sizeBytes: 1,
    files: [{ from: 'model.json', to: 'model.json', encoding: 'raw' }, ...files.map((f) => ({ from: f, to: f, encoding: 'raw' as const }))],
  };
  const manifest: InstalledManifest = { entry, digest: null, verified: false, installedAt: new Date().toISOString() };
  // It must work as an embedder before it replaces anything.
  await placeModelFolder(
    dataDir,
    manifest,
    async (tmp) => {
      for (const f of ['model.json', ...files]) await cp(path.join(folder, f), path.join(tmp, f));
    },
    loadZooEmbedder,
  );
  return manifest;
}
