import { readFile } from 'node:fs/promises';
import type { DatasetTable } from '../dataset/table';
import { FLAG_TRUE, validationRows } from '../dataset/table';
import type { Embeddings } from '../retrieval/knn';
import type { ValidationSet } from './embedding-metrics';

/** A problem with user-supplied embeddings: names the path (and row) it concerns. */
export class EmbeddingsError extends Error {}

/** OML's predict output: `{ "<path as in the CSV>": [floats] }`. */
export async function readPredictions(file: string): Promise<Map<string, unknown>> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    throw new EmbeddingsError(`Embeddings file not found: ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new EmbeddingsError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EmbeddingsError(`${file} must be a JSON object mapping image paths to vectors`);
  }
  return new Map(Object.entries(parsed));
}

/** Factorises a string column: equal strings → equal ids; empty → −1 (no sequence). */
export function factorize(values: string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(values, (v) => {
    if (v === '') return -1;
    if (!ids.has(v)) ids.set(v, ids.size);
    return ids.get(v)!;
  });
}

/**
 * The validation part of a dataset with one embedding per row, looked up by the row's `path` as written in the
 * CSV. Every missing vector, wrong length and non-finite value is reported with its path and row.
 */
export function validationSet(t: DatasetTable, vectors: (path: string) => unknown, source: string): ValidationSet {
  const rows = validationRows(t);
  if (rows.length === 0) throw new EmbeddingsError(`${t.file} has no validation rows to evaluate`);
  const problems: string[] = [];
  let dim = -1;
  const vecs: number[][] = [];
  for (const i of rows) {
    const p = t.path[i]!;
    const v = vectors(p);
    const where = `"${p}" (row ${t.rowNumber[i]})`;
    if (v === undefined) {
      problems.push(`no embedding for ${where} in ${source}`);
      continue;
    }
    if (!Array.isArray(v) || v.length === 0) {
      problems.push(`embedding for ${where} is not a non-empty array of numbers`);
      continue;
    }
    if (dim === -1) dim = v.length;
    if (v.length !== dim) {
      problems.push(`embedding for ${where} has ${v.length} values, the first one had ${dim}`);
      continue;
    }
    const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) {
      problems.push(`embedding for ${where} has a non-finite value at index ${bad} (${JSON.stringify(v[bad])})`);
      continue;
    }
    vecs.push(v as number[]);
  }
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ');
    throw new EmbeddingsError(
      `${problems.length} embedding problem(s):\n  ${shown}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
  }
  const data = new Float32Array(rows.length * dim);
  vecs.forEach((v, r) => {
    data.set(v, r * dim);
  });
  return tableValidationSet(t, rows, { data, count: rows.length, dim });
}

/** The labels, query/gallery flags, sequences and categories of `rows`, with their embeddings (row order). */
export function tableValidationSet(t: DatasetTable, rows: number[], embeddings: Embeddings): ValidationSet {
  return {
    embeddings,
    labels: Float64Array.from(rows, (i) => t.label[i]!),
    isQuery: Uint8Array.from(rows, (i) => (t.isQuery[i] === FLAG_TRUE ? 1 : 0)),
    isGallery: Uint8Array.from(rows, (i) => (t.isGallery[i] === FLAG_TRUE ? 1 : 0)),
    sequence: t.sequence ? factorize(rows.map((i) => t.sequence![i]!)) : undefined,
    categories: t.category ? rows.map((i) => t.category![i]! || null) : undefined,
  };
}
