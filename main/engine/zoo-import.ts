import { cp } from 'node:fs/promises';
import path from 'node:path';
import { modelDir, readCatalog, readManifest } from '../zoo/catalog';
import type { ZooCatalogEntry, ZooNormalisation } from '../../shared/schemas/zoo';
import type { InstalledManifest } from '../zoo/catalog';
import { placeModelFolder } from '../zoo/install';
import { ONNX_FILE, openOnnx, pooledRows } from './embed/onnx';
import { loadLayersFolder, loadZooEmbedder } from './zoo-model';
import { readGuarded } from '../file-guard';

export interface ImportOptions {
  key: string;
  name?: string;
  /** The layer (an ONNX model: the output) to embed with (default: the model's last layer / first output). */
  layer?: string;
  normalisation?: ZooNormalisation;
  /** An ONNX model's input size (its file may leave it dynamic); default 224. */
  inputSize?: number;
  /** Replace a model imported earlier under this key (never a catalogue model: their keys are reserved). */
  force?: boolean;
}

/** ImageNet's per-channel mean and std, what most ONNX image models (DINOv2, ViT, ResNets) expect. */
export const IMAGENET: ZooNormalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * Imports a user's ONNX image model (one N×3×H×W input) as a local frozen zoo model: it must load in ONNX Runtime,
 * run on a batch of two images at `inputSize`, and give a vector (or tokens / a feature map) from the chosen output.
 */
async function importOnnxModel(file: string, dataDir: string, opts: ImportOptions): Promise<InstalledManifest> {
  const size = opts.inputSize ?? 224;
  const entry: ZooCatalogEntry = {
    key: opts.key,
    name: opts.name ?? opts.key,
    description: `Imported from ${file}`,
    architecture: path.basename(file, '.onnx'),
    format: 'onnx',
    builder: null,
    inputSize: size,
    channels: 3,
    normalisation: opts.normalisation ?? IMAGENET,
    embeddingLayer: opts.layer ?? '',
    embeddingDim: 1,
    fineTuneFrom: null,
    licence: 'unknown (imported)',
    trainingData: 'unknown (imported)',
    reportedMetrics: {},
    source: { kind: 'local', path: file },
    sizeBytes: 1,
    files: [{ from: path.basename(file), to: ONNX_FILE, encoding: 'raw' }],
  };
  const { ort, session } = await openOnnx(file).catch((e: Error) => {
    throw new ImportError(`${file}: not a model ONNX Runtime can load (${e.message.split('\n')[0]})`);
  });
  entry.embeddingLayer ||= session.outputNames[0]!;
  if (!session.outputNames.includes(entry.embeddingLayer))
    throw new ImportError(`${file}: no output "${entry.embeddingLayer}" (it has ${session.outputNames.join(', ')})`);
  const probe = new ort.Tensor('float32', new Float32Array(2 * 3 * size * size), [2, 3, size, size]);
  const out = await session.run({ [session.inputNames[0]!]: probe }, [entry.embeddingLayer]).catch((e: Error) => {
    throw new ImportError(
      `${file}: does not run on 2×3×${size}×${size} images (${e.message.split('\n')[0]}); give its input size with --input-size`,
    );
  });
  const dims = out[entry.embeddingLayer]!.dims;
  try {
    entry.embeddingDim = pooledRows(out[entry.embeddingLayer]!.data as Float32Array, dims).dim;
  } catch {
    throw new ImportError(`${file}: output "${entry.embeddingLayer}" is [${dims.join(', ')}], not an embedding`);
  }
  await session.release();
  const manifest: InstalledManifest = { entry, digest: null, verified: false, installedAt: new Date().toISOString() };
  await placeModelFolder(dataDir, manifest, (tmp) => cp(file, path.join(tmp, ONNX_FILE)));
  return manifest;
}

/** A model folder that cannot be used as a zoo model, with the reason (and the fix where there is one). */
export class ImportError extends Error {}

/**
 * Imports a user's TF.js layers model folder (or an ONNX file, above) (model.json + the weight files it names) as a local zoo model:
 * checked first — it loads, its input is a square RGB image, the chosen layer exists and gives a vector (or a
 * feature map, average-pooled) — then copied into the zoo folder with a manifest, like a downloaded model.
 */
export async function importZooModel(src: string, dataDir: string, opts: ImportOptions): Promise<InstalledManifest> {
  if (!/^[a-z0-9_]{1,64}$/.test(opts.key)) throw new ImportError(`--key must be lowercase letters, digits and _ (got "${opts.key}")`);
  // A catalogue key names a downloaded, verified model: an import under it would replace that model with another.
  if (readCatalog().some((e) => e.key === opts.key))
    throw new ImportError(`"${opts.key}" is a zoo catalogue model's key, reserved for it: import under another --key`);
  if (readManifest(modelDir(dataDir, opts.key)) && !opts.force)
    throw new ImportError(`A model "${opts.key}" is already installed: import under another --key, or add --force to replace it`);
  if (src.toLowerCase().endsWith('.onnx')) return importOnnxModel(path.resolve(src), dataDir, opts);
  const folder = path.resolve(src);
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(await readGuarded(path.join(folder, 'model.json'), 'model', 'utf8'));
  } catch (e) {
    throw new ImportError(`${path.join(folder, 'model.json')}: not a readable TF.js model (${(e as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ImportError(`${folder}/model.json is not a TF.js layers model (graph models are not importable yet; an ONNX file is)`);
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
    fineTuneFrom: null,
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
