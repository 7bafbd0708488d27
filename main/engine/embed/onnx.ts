import path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ZooCatalogEntry } from '../../../shared/schemas/zoo';
import { affineFor } from '../zoo-model';
import type { Embedder } from './batches';

type Ort = typeof import('onnxruntime-node');

/** ONNX Runtime, an optional dependency: its absence is an error that says how to install it. */
async function loadOrt(): Promise<Ort> {
  try {
    const name = 'onnxruntime-node'; // a variable keeps bundlers from inlining the optional native package
    return (await import(name)) as Ort;
  } catch (e) {
    throw new Error(
      `ONNX models need onnxruntime-node, which is not installed here (${(e as Error).message.split('\n')[0]}). ` +
        'Install it with: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node',
    );
  }
}

/** ONNX Runtime's version, or null where it is not installed. */
export async function onnxVersion(): Promise<string | null> {
  return loadOrt().then(
    (ort) => ort.env.versions.node ?? null,
    () => null,
  );
}

/** The file an installed ONNX zoo model keeps its network in. */
export const ONNX_FILE = 'model.onnx';

/** Pixels as the pipeline gives them (N×H×W×C, [−1, 1]) → the network's normalisation, N×C×H×W. */
export function toNchw(x: Float32Array, count: number, size: number, affine: { scale: number[]; offset: number[] }): Float32Array {
  const plane = size * size;
  const out = new Float32Array(count * 3 * plane);
  for (let n = 0; n < count; n++)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) out[(n * 3 + c) * plane + p] = x[(n * plane + p) * 3 + c]! * affine.scale[c]! + affine.offset[c]!;
  return out;
}

/**
 * One vector per item from an output: N×D as is, N×T×D (a transformer's tokens) → the first (CLS) token,
 * N×C×H×W (a feature map) → averaged over space; then L2-normalised like every zoo embedding.
 */
export function pooledRows(data: Float32Array, dims: readonly number[]): { rows: Float32Array; dim: number } {
  const [n, ...rest] = dims as number[];
  let dim: number;
  let rows: Float32Array;
  if (rest.length === 1) {
    dim = rest[0]!;
    rows = Float32Array.from(data);
  } else if (rest.length === 2) {
    const [t, d] = rest as [number, number];
    dim = d;
    rows = new Float32Array(n! * d);
    for (let i = 0; i < n!; i++) rows.set(data.subarray(i * t * d, i * t * d + d), i * d);
  } else if (rest.length === 3) {
    const [c, h, w] = rest as [number, number, number];
    dim = c;
    rows = new Float32Array(n! * c);
    for (let i = 0; i < n! * c; i++) {
      let sum = 0;
      for (let p = 0; p < h * w; p++) sum += data[i * h * w + p]!;
      rows[i] = sum / (h * w);
    }
  } else throw new Error(`an output of shape [${dims.join(', ')}] is not an embedding`);
  for (let i = 0; i < n!; i++) {
    const row = rows.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row) || 1;
    for (let j = 0; j < dim; j++) row[j]! /= norm;
  }
  return { rows, dim };
}

/** An ONNX file in an ONNX Runtime CPU session with `threads` intra-op threads (ORT's GEMM uses them all). */
export async function openOnnx(file: string, threads = 1): Promise<{ ort: Ort; session: InferenceSession }> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return { ort, session };
}

/**
 * An ONNX zoo model (a frozen embedder) on ONNX Runtime's CPU provider, with `threads` intra-op threads: the
 * entry's normalisation and layout applied to the pipeline's pixels, its `embeddingLayer` output pooled to a vector.
 */
export async function loadOnnxEmbedder(
  dir: string,
  entry: ZooCatalogEntry,
  threads: number,
): Promise<Embedder & { session: InferenceSession }> {
  const { ort, session } = await openOnnx(path.join(dir, ONNX_FILE), threads);
  const input = session.inputNames[0]!;
  if (!session.outputNames.includes(entry.embeddingLayer))
    throw new Error(`${entry.key}: the ONNX model has no output "${entry.embeddingLayer}" (it has ${session.outputNames.join(', ')})`);
  const size = entry.inputSize;
  const affine = affineFor(entry.normalisation);
  const embed = async (inputs: Float32Array, count: number) => {
    const feeds = { [input]: new ort.Tensor('float32', toNchw(inputs, count, size, affine), [count, 3, size, size]) };
    const result = await session.run(feeds, [entry.embeddingLayer]);
    const out = result[entry.embeddingLayer] as Tensor;
    try {
      const { rows, dim } = pooledRows(out.data as Float32Array, out.dims);
      if (dim !== entry.embeddingDim) throw new Error(`${entry.key}: embeddings are ${dim}-d, the catalogue says ${entry.embeddingDim}`);
      return rows;
    } finally {
      out.dispose();
    }
  };
  return { dim: entry.embeddingDim, itemShape: [size, size, 3], embed, session };
}
