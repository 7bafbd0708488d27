import sharp from 'sharp';
import { ApiError } from '../../shared/api';
import type { DatasetRow } from '../../shared/schemas/dataset';
import { FLAG_TRUE, SPLIT_VALIDATION, imagePath, rowBox, validationRows, type DatasetTable } from '../dataset/table';
import { forEachBounded } from '../dataset/files';
import { indexOfRow, rowAt } from './datasets';
import { loadExtractor } from '../engine/inference';
import { ImageStore } from '../engine/data/images';
import { embedRows } from '../engine/train/embed';

const SIDE = 28;
const EMBEDDING = `raw pixels (${SIDE}×${SIDE} grey, L2-normalised)`;

/** Raw pixels, normalised: the baseline every trained model must beat, and a model-free explorer. */
export async function rawPixelEmbedding(t: DatasetTable, i: number): Promise<Float32Array> {
  let img = sharp(imagePath(t, i));
  const box = rowBox(t, i);
  if (box) img = img.extract({ left: box[0], top: box[2], width: box[1] - box[0], height: box[3] - box[2] });
  const data = await img.greyscale().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer();
  const v = new Float32Array(SIDE * SIDE);
  let norm = 0;
  for (let j = 0; j < v.length; j++) {
    v[j] = data[j]! / 255;
    norm += v[j]! * v[j]!;
  }
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < v.length; j++) v[j]! /= norm;
  return v;
}

const embeddingCache = new WeakMap<DatasetTable, Map<string, Promise<{ name: string; vectors: Map<number, Float32Array> }>>>();

/**
 * Embeddings of every validation row: raw pixels, or a trained checkpoint's. Computed once per (dataset, model)
 * and kept while the dataset is cached.
 */
export function validationEmbeddings(t: DatasetTable, checkpoint?: string): Promise<{ name: string; vectors: Map<number, Float32Array> }> {
  const key = checkpoint ?? 'raw';
  let perTable = embeddingCache.get(t);
  if (!perTable) embeddingCache.set(t, (perTable = new Map()));
  let hit = perTable.get(key);
  if (!hit) {
    hit = (async () => {
      const ids = validationRows(t);
      const vectors = new Map<number, Float32Array>();
      if (!checkpoint) {
        await forEachBounded(ids.length, 8, async (j) => {
          vectors.set(ids[j]!, await rawPixelEmbedding(t, ids[j]!));
        });
        return { name: EMBEDDING, vectors };
      }
      const ex = await loadExtractor(checkpoint).catch((e) => {
        throw new ApiError('not_found', e instanceof Error ? e.message : String(e));
      });
      const data = await embedRows(ex.model, new ImageStore(t, ex.spec, false), ids, 256);
      const dim = data.length / Math.max(1, ids.length);
      ids.forEach((id, j) => vectors.set(id, data.subarray(j * dim, (j + 1) * dim)));
      return { name: `checkpoint ${checkpoint} (epoch ${ex.meta.epoch}, ${dim}-d)`, vectors };
    })();
    hit.catch(() => perTable!.delete(key));
    perTable.set(key, hit);
  }
  return hit;
}

/** Top-k gallery items of one validation query, each marked relevant (same label) or not. */
export async function search(t: DatasetTable, queryRow: number, k: number, checkpoint?: string) {
  const q = indexOfRow(t, queryRow);
  if (q < 0) throw new ApiError('not_found', `No data row ${queryRow} in ${t.file}`);
  if (t.split[q] !== SPLIT_VALIDATION || t.isQuery[q] !== FLAG_TRUE) {
    throw new ApiError('invalid_input', `Row ${queryRow} is not a validation query`);
  }
  const { name, vectors: emb } = await validationEmbeddings(t, checkpoint);
  const qv = emb.get(q)!;
  const candidates: { i: number; d: number }[] = [];
  let relevantTotal = 0;
  for (const [i, v] of emb) {
    if (i === q || t.isGallery[i] !== FLAG_TRUE) continue;
    if (t.sequence && t.sequence[q] !== '' && t.sequence[i] === t.sequence[q]) continue;
    let d = 0;
    for (let j = 0; j < v.length; j++) d += (v[j]! - qv[j]!) ** 2;
    candidates.push({ i, d: Math.sqrt(d) });
    if (t.label[i] === t.label[q]) relevantTotal++;
  }
  candidates.sort((a, b) => a.d - b.d || a.i - b.i);
  const results = candidates.slice(0, k).map(({ i, d }) => ({ ...rowAt(t, i), distance: d, relevant: t.label[i] === t.label[q] }));
  return { embedding: name, root: t.root, query: rowAt(t, q) as DatasetRow, results, relevantTotal };
}
