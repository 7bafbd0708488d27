/**
 * A frozen model's outputs per dataset row (and per augmented view), computed once and kept in the data folder:
 * a frozen backbone's pooled features (`cache/features/`: only the head trains) or the activation entering
 * `train_from` (`cache/activations/`: only the layers above it train). Keyed by the model, what it outputs, the
 * view recipe and the dataset's identity (the CSV's bytes and every image it reads), so a changed row, image,
 * model, layer or recipe computes them again; their size is said before they are computed, and refused with the
 * number when they would not fit in memory or on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { TransformConfig } from '../../../shared/schemas/config';
import { datasetIdentity } from '../../dataset/identity';
import type { DatasetTable } from '../../dataset/table';
import { mulberry32 } from '../../random';
import { readEmbeddingFile, writeEmbeddingFile } from '../../retrieval/embedding-file';
import { formatBytes } from '../../../shared/format';
import { type ImageSpec, ImageStore, toFloatBatch } from '../data/images';
import { type Embedder, embedBatches, inferenceBatchSize, layersEmbedder } from '../embed/batches';
import type { EventSink } from './event-sink';
import type { CachedOutputs } from './inputs';

/** A cache larger than this share of the machine's memory is refused: the run holds it whole. */
const MEMORY_SHARE = 0.5;
/** Views per row are keyed as row × this + view in the file (the config caps cached_views below it). */
const VIEW_KEY = 64;

export interface FrozenCacheRequest {
  kind: 'features' | 'activations';
  /** What the log calls them ("backbone features", "activations entering block_12_expand"). */
  label: string;
  /** image → output: a tfjs model (run in inference mode) or ONNX Runtime's session. */
  net: tf.LayersModel | Embedder;
  /** What names the model and its cut (key, install time, layer, pooling, …): part of the cache's key. */
  model: (string | number | null)[];
  table: DatasetTable;
  spec: ImageSpec;
  /** Rows cached with `views` views (training), then rows cached plain (validation). */
  trainRows: readonly number[];
  otherRows: readonly number[];
  views: number;
  transform: TransformConfig;
  seed: number;
  bs: number;
  dataDir?: string;
  events: EventSink;
  /** Progress while computing: done and total images. */
  progress: (done: number, total: number) => void;
  /** The machine's memory (tests pass a small one). */
  machine?: { memoryBytes: number };
}

/** The augmentation stream of one view of one row: the same draw in every run with this seed. */
const viewRng = (seed: number, row: number, view: number) => mulberry32((seed * 2654435761) ^ (row * 40503) ^ (view * 9973) ^ 0x5bd1e995);

export async function frozenOutputs(r: FrozenCacheRequest): Promise<CachedOutputs> {
  const embedder = 'embed' in r.net ? r.net : layersEmbedder(r.net);
  const itemShape = 'embed' in r.net ? [r.net.dim] : (r.net.outputs[0]!.shape.slice(1) as number[]);
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const views = r.views;
  // Every (row, view) in file order: training rows' views together, then the other rows' view 0.
  const train = new Set(r.trainRows);
  const rows = [...r.trainRows, ...r.otherRows.filter((x) => !train.has(x))];
  const slot = new Int32Array(r.table.size).fill(-1);
  const viewCount = new Uint8Array(r.table.size);
  let items = 0;
  for (const row of rows) {
    slot[row] = items;
    viewCount[row] = train.has(row) ? views : 1;
    items += viewCount[row]!;
  }
  const keys = rows.flatMap((row) => Array.from({ length: viewCount[row]! }, (_, v) => row * VIEW_KEY + v));
  const bytes = items * itemSize * 4;
  const shape = itemShape.join('×');

  const id = createHash('sha1')
    .update(
      JSON.stringify([
        r.kind,
        ...r.model,
        r.spec,
        views > 1 ? { views, transform: r.transform, seed: r.seed } : 'plain',
        await datasetIdentity(r.table, rows),
      ]),
    )
    .digest('hex');
  const what = `${rows.length} images${views > 1 ? ` (${r.trainRows.length} of them × ${views} views)` : ''} × ${shape} floats`;
  // Held whole in memory, whether computed or read back.
  const memory = r.machine?.memoryBytes ?? os.totalmem();
  if (bytes > MEMORY_SHARE * memory)
    throw new Error(
      `The ${r.kind} cache would take ${formatBytes(bytes)} (${what}), more than ${MEMORY_SHARE * 100}% of this machine's ${formatBytes(memory)} of memory: ${remedy(r.kind)}`,
    );
  const file = r.dataDir ? path.join(r.dataDir, 'cache', r.kind, `${id}.emb`) : null;
  if (file && existsSync(file)) {
    const hit = await readEmbeddingFile(file).catch(() => null);
    if (
      hit &&
      hit.embeddings.dim === itemSize &&
      hit.header.keys.length === keys.length &&
      hit.header.keys.every((k, i) => k === keys[i])
    ) {
      r.events.log(`${r.label}: reusing ${items} cached vectors (${shape}-d) from ${file} (${formatBytes(bytes)})`);
      return { slot, views: viewCount, data: hit.embeddings.data, itemShape };
    }
  }

  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    const fs = await statfs(path.dirname(file));
    const free = fs.bavail * fs.bsize;
    if (bytes > free)
      throw new Error(
        `The ${r.kind} cache would take ${formatBytes(bytes)} (${what}), more than the ${formatBytes(free)} free on ${path.dirname(file)}: ${remedy(r.kind)}`,
      );
  }
  r.events.log(`${r.label}: computing ${what} = ${formatBytes(bytes)}${file ? `, kept in ${file}` : ''}`);

  const t0 = performance.now();
  const data = new Float32Array(items * itemSize);
  const store = new ImageStore(r.table, r.spec, false);
  const chunk = inferenceBatchSize(r.bs, [r.spec.size, r.spec.size, r.spec.channels]);
  const plain = (images: Uint8Array[]) => toFloatBatch(images, r.spec, null, null);
  for (let s = 0; s < rows.length; s += chunk) {
    const part = rows.slice(s, s + chunk);
    const images = await store.get(part);
    for (let v = 0; v < views; v++) {
      const at = v === 0 ? part.map((_, i) => i) : part.flatMap((row, i) => (viewCount[row]! > v ? [i] : []));
      if (at.length === 0) continue;
      const inputs =
        v === 0 ? plain(images) : concat(at.map((i) => toFloatBatch([images[i]!], r.spec, r.transform, viewRng(r.seed, part[i]!, v))));
      const out = await embedBatches(
        embedder,
        at.length,
        async (b, e) => inputs.subarray((b * inputs.length) / at.length, (e * inputs.length) / at.length),
        chunk,
      );
      for (const [k, i] of at.entries()) data.set(out.subarray(k * itemSize, (k + 1) * itemSize), (slot[part[i]!]! + v) * itemSize);
    }
    r.progress(Math.min(rows.length, s + chunk), rows.length);
  }
  const seconds = (performance.now() - t0) / 1000;
  r.events.log(
    `${r.label}: ${items} images → ${shape}-d in ${seconds.toFixed(1)} s (computed once; ${r.kind === 'features' ? 'only the head trains' : 'only the layers above train'})`,
  );
  if (file) await writeEmbeddingFile(file, { data, count: items, dim: itemSize }, `${r.kind} ${r.model.join(' ')}`, keys);
  return { slot, views: viewCount, data, itemShape };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const remedy = (kind: FrozenCacheRequest['kind']) =>
  kind === 'activations'
    ? 'lower extractor.args.cached_views, pick a later extractor.args.train_from (smaller activations), or set extractor.args.cache_activations: false'
    : 'use fewer rows';
