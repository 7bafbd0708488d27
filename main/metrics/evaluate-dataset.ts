import { readFile, stat } from 'node:fs/promises';
import type { DatasetTable } from '../dataset/table';
import { FLAG_TRUE, validationRows } from '../dataset/table';
import type { Embeddings } from '../retrieval/knn';
import type { ValidationSet } from './embedding-metrics';

/** A problem with user-supplied embeddings: names the path (and row) it concerns. */
export class EmbeddingsError extends Error {}

/**
 * JSON this large cannot be one string in V8 (and its parsed arrays take ~10× its size): refused with a pointer to
 * the binary format instead of a crash or gigabytes of heap.
 */
export const MAX_PREDICTIONS_BYTES = 256 * 1024 * 1024;
/** The largest float32: beyond it a value would silently become Infinity in the Float32Array it is copied into. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * OML's predict output, `{ "<path as in the CSV>": [floats] }`, or the same as two lists,
 * `{ "paths": [...], "embeddings": [[floats], ...] }` (OML's saved features converted by one line of Python).
 */
export async function readPredictions(file: string, maxBytes = MAX_PREDICTIONS_BYTES): Promise<Map<string, unknown>> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new EmbeddingsError(`Embeddings file not found: ${file}`);
  if (!info.isFile()) throw new EmbeddingsError(`${file} is not a file`);
  if (info.size > maxBytes) {
    throw new EmbeddingsError(
      `${file} is ${(info.size / 2 ** 20).toFixed(0)} MB of JSON, more than the ${(maxBytes / 2 ** 20).toFixed(0)} MB evaluate reads; ` +
        'evaluate with --checkpoint or --zoo instead (vectors stay binary)',
    );
  }
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    throw new EmbeddingsError(`${file} cannot be read: ${(e as Error).message}`);
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
  const { paths, embeddings } = parsed as { paths?: unknown; embeddings?: unknown };
  if (Array.isArray(paths) && Array.isArray(embeddings) && Object.keys(parsed).length === 2) {
    if (paths.length !== embeddings.length)
      throw new EmbeddingsError(`${file}: "paths" has ${paths.length} entries and "embeddings" ${embeddings.length}: they must pair up`);
    const bad = paths.findIndex((p) => typeof p !== 'string');
    if (bad >= 0) throw new EmbeddingsError(`${file}: paths[${bad}] is not a string`);
    const byPath = new Map<string, unknown>();
    const first = new Map<string, number>();
    paths.forEach((p, i) => {
      const at = first.get(p as string);
      if (at !== undefined && JSON.stringify(embeddings[at]) !== JSON.stringify(embeddings[i]))
        throw new EmbeddingsError(`${file}: paths[${i}] repeats paths[${at}] ("${p}") with a different vector: which one is the image's?`);
      if (at === undefined) first.set(p as string, i);
      byPath.set(p as string, embeddings[i]);
    });
    return byPath;
  }
  // JSON.parse keeps the last of two equal keys without a word; two vectors for one image are a mistake to name.
  const repeated = repeatedTopLevelKey(raw);
  if (repeated !== null)
    throw new EmbeddingsError(`${file}: "${repeated}" appears twice as a key, with different vectors: which one is the image's?`);
  return new Map(Object.entries(parsed));
}

/** The first key that appears twice, with different values, in the top-level object of valid JSON text; or null. */
export function repeatedTopLevelKey(text: string): string | null {
  const seen = new Map<string, string>();
  let depth = 0;
  let key: string | null = null;
  let valueStart = -1;
  // Values are compared as written, and only for a key met twice parsed and compared (a deep value cannot be
  // re-serialised: that is the validator's to refuse, with its path).
  const sameValue = (a: string, b: string) => {
    if (a === b) return true;
    try {
      return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
    } catch {
      return false;
    }
  };
  const settle = (end: number): string | null => {
    if (key === null) return null;
    const value = text.slice(valueStart, end).trim();
    const before = seen.get(key);
    if (before !== undefined && !sameValue(before, value)) return key;
    seen.set(key, value);
    key = null;
    return null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 1 && settle(i) !== null) return key;
      depth--;
    } else if (c === 0x2c && depth === 1) {
      if (settle(i) !== null) return key;
    } else if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1 && key === null) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') {
          key = JSON.parse(text.slice(i, j + 1)) as string;
          valueStart = k + 1;
          j = k;
        }
      }
      i = j;
    }
  }
  return null;
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
    const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || Math.abs(x) > FLOAT32_MAX);
    if (bad >= 0) {
      problems.push(`embedding for ${where} has ${describeValue(v[bad])} at index ${bad}, not a float32 number`);
      continue;
    }
    vecs.push(v as number[]);
  }
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ');
    throw new EmbeddingsError(
      `${problems.length} embedding problem(s) in ${source}:\n  ${shown}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
  }
  const data = new Float32Array(rows.length * dim);
  vecs.forEach((v, r) => {
    data.set(v, r * dim);
  });
  return tableValidationSet(t, rows, { data, count: rows.length, dim });
}

/** A value named without serialising it: a deeply nested array must not overflow the stack in an error message. */
function describeValue(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  return typeof x === 'string' ? `the string "${x.slice(0, 20)}${x.length > 20 ? '…' : ''}"` : `a ${typeof x}`;
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
