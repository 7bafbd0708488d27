import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../models/layers';
import type { NamedTensor } from './optim';
import { checkpointDir, lastCheckpointOf } from './checkpoint-dir';
import { readGuarded } from '../../file-guard';

/** What travels with the weights: enough to rebuild, embed and resume. */
export interface CheckpointMeta {
  format: 'metric-studio-checkpoint/1';
  runId: number | null;
  epoch: number;
  step: number;
  config: unknown;
  inputShape: [number, number, number];
  /** Raw train label → index used by the criterion. */
  labelMapping: [number, number][];
  metrics: Record<string, number>;
  backend: string;
  savedAt: string;
  /** Stateful training callbacks' states (scheduler, early stopping, …), in `last` checkpoints. */
  callbacks?: Record<string, unknown>;
  /**
   * A backbone the saved model does not hold: an ONNX zoo model (installed in `dir`) whose features the saved head
   * embeds. Images → backbone → head is the checkpoint's embedding.
   */
  backbone?: { kind: 'onnx'; key: string; dir: string };
  /** Each file of the folder as written (size, CRC-32): a checkpoint changed on disk is refused, never used. */
  files?: Record<string, { size: number; crc32: number }>;
}

export class CheckpointDamagedError extends Error {}

/** Writes a checkpoint file and records its size and CRC-32 from the bytes in hand (no read-back). */
async function put(dir: string, files: NonNullable<CheckpointMeta['files']>, name: string, data: Buffer | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  await writeFile(path.join(dir, name), bytes);
  files[name] = { size: bytes.length, crc32: crc32(bytes) };
}

/**
 * A checkpoint folder's files, each read once and checked against what was written with it (older checkpoints
 * recorded nothing): changed bytes are refused, never loaded.
 */
function checkedReader(dir: string, meta: CheckpointMeta) {
  return async (name: string, kind: 'model' | 'manifest' | 'weights'): Promise<Buffer<ArrayBuffer>> => {
    const file = path.join(dir, name);
    const want = meta.files?.[name];
    const bytes = await readGuarded(file, kind).catch((e: unknown) => {
      if (want) throw new CheckpointDamagedError(`${file} is missing: ${UNTRUSTED}`);
      throw e;
    });
    if (want && (bytes.length !== want.size || crc32(bytes) !== want.crc32))
      throw new CheckpointDamagedError(`${file} has changed on disk since the checkpoint was written (its checksum differs): ${UNTRUSTED}`);
    return bytes;
  };
}
const UNTRUSTED = "this checkpoint cannot be trusted — use the run's other checkpoint, or train again";

function concat(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  return tf.io.concatenateArrayBuffers(data);
}

async function encode(dir: string, files: NonNullable<CheckpointMeta['files']>, name: string, tensors: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await put(dir, files, `${name}.bin`, Buffer.from(data));
  await put(dir, files, `${name}.json`, JSON.stringify(specs));
}

async function decode(dir: string, meta: CheckpointMeta, name: string, read: ReturnType<typeof checkedReader>): Promise<NamedTensor[]> {
  // Absent and never written: a checkpoint without that state. Written but gone: refused by the reader.
  if (!existsSync(path.join(dir, `${name}.json`)) && !meta.files?.[`${name}.json`]) return [];
  const specs = JSON.parse((await read(`${name}.json`, 'manifest')).toString('utf8'));
  const buf = await read(`${name}.bin`, 'weights');
  const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length), specs);
  return Object.entries(map).map(([n, tensor]) => ({ name: n, tensor }));
}

export interface SaveInput {
  model: tf.LayersModel;
  meta: CheckpointMeta;
  optimizer?: NamedTensor[];
  criterion?: tf.Variable[];
}

/**
 * Writes a checkpoint folder atomically: everything goes to `<dir>.tmp`, then replaces `<dir>` by renames, so a
 * kill at any moment leaves the previous checkpoint (or, between the two renames, `<dir>.old`) intact.
 */
export async function saveCheckpoint(dir: string, input: SaveInput): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const files: NonNullable<CheckpointMeta['files']> = {};
  await input.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await put(tmp, files, 'weights.bin', Buffer.from(concat(artifacts.weightData!)));
      await put(
        tmp,
        files,
        'model.json',
        JSON.stringify({
          format: 'layers-model',
          generatedBy: 'metric-studio',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (input.optimizer) await encode(tmp, files, 'optimizer', input.optimizer);
  if (input.criterion?.length)
    await encode(
      tmp,
      files,
      'criterion',
      input.criterion.map((v) => ({ name: v.name, tensor: v })),
    );
  await writeFile(path.join(tmp, 'meta.json'), JSON.stringify({ ...input.meta, files }, null, 2));
  const old = `${dir}.old`;
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

export { checkpointDir, lastCheckpointOf };

export interface LoadedCheckpoint {
  dir: string;
  model: tf.LayersModel;
  meta: CheckpointMeta;
  optimizer: NamedTensor[];
  criterion: NamedTensor[];
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const found = checkpointDir(dir);
  if (!found) throw new Error(`No checkpoint in ${dir} (expected model.json, weights.bin and meta.json)`);
  const meta = JSON.parse(await readGuarded(path.join(found, 'meta.json'), 'manifest', 'utf8')) as CheckpointMeta;
  const read = checkedReader(found, meta);
  // Every recorded file is checked, each as it is read (a file the loader does not read is checked here): a
  // checkpoint is whole or refused.
  for (const name of Object.keys(meta.files ?? {}))
    if (!/^(model\.json|weights\.bin|(optimizer|criterion)\.(json|bin))$/.test(name)) await read(name, 'weights');
  const modelJson = JSON.parse((await read('model.json', 'model')).toString('utf8'));
  const weights = await read('weights.bin', 'weights');
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    }),
  );
  return {
    dir: found,
    model,
    meta,
    optimizer: await decode(found, meta, 'optimizer', read),
    criterion: await decode(found, meta, 'criterion', read),
  };
}
