import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetRow } from '../../shared/schemas/dataset';
import { FLAG_EMPTY, FLAG_TRUE, SPLIT_TRAIN, readDatasetCsv, type DatasetTable } from '../dataset/table';
import { summaryPathOf } from '../dataset/convert/write';

const cache = new Map<string, { stamp: string; table: Promise<DatasetTable> }>();
const names = new Map<string, { stamp: string; names: Promise<Map<number, string>> }>();

/**
 * Label id → name for a dataset CSV, from the summary the app writes beside it (`labelNames`); empty where there is
 * none. OML's CSV holds integer labels only, so this is where the wizard's folder names survive.
 */
export async function labelNamesOf(csvPath: string): Promise<Map<number, string>> {
  const file = summaryPathOf(csvPath);
  const s = await stat(file).catch(() => null);
  const stamp = s ? `${s.mtimeMs}:${s.size}` : 'missing';
  const hit = names.get(file);
  if (hit && hit.stamp === stamp) return hit.names;
  const read = readFile(file, 'utf8')
    .then((text) => {
      const given = (JSON.parse(text) as { labelNames?: unknown }).labelNames;
      const out = new Map<number, string>();
      if (given && typeof given === 'object')
        for (const [id, name] of Object.entries(given)) if (typeof name === 'string' && /^-?\d+$/.test(id)) out.set(Number(id), name);
      return out;
    })
    .catch(() => new Map<number, string>());
  names.set(file, { stamp, names: read });
  return read;
}

/** Parses a dataset CSV once per (file, root, modification): pages, thumbnails and searches share it. */
export async function loadDataset(csvPath: string, root?: string): Promise<DatasetTable> {
  const file = path.resolve(csvPath);
  const key = `${file}\u0000${root ?? ''}`;
  const s = await stat(file).catch(() => null);
  const stamp = s ? `${s.mtimeMs}:${s.size}` : 'missing';
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.table;
  const table = readDatasetCsv(file, { root }).then((r) => r.table);
  cache.set(key, { stamp, table });
  table.catch(() => cache.delete(key));
  return table;
}

const flag = (v: number): boolean | null => (v === FLAG_EMPTY ? null : v === FLAG_TRUE);

export function rowAt(t: DatasetTable, i: number, labelNames?: Map<number, string>): DatasetRow {
  return {
    row: t.rowNumber[i]!,
    label: t.label[i]!,
    labelName: labelNames?.get(t.label[i]!) ?? null,
    path: t.path[i]!,
    split: t.split[i] === SPLIT_TRAIN ? 'train' : 'validation',
    isQuery: flag(t.isQuery[i]!),
    isGallery: flag(t.isGallery[i]!),
    category: t.category ? t.category[i]! || null : null,
  };
}

export function datasetRows(
  t: DatasetTable,
  offset: number,
  limit: number,
  labelNames?: Map<number, string>,
): { total: number; rows: DatasetRow[] } {
  const rows: DatasetRow[] = [];
  for (let i = offset; i < Math.min(t.size, offset + limit); i++) rows.push(rowAt(t, i, labelNames));
  return { total: t.size, rows };
}

/** The data rows with these spreadsheet row numbers, in the order asked; numbers the table lacks are left out. */
export function numberedRows(t: DatasetTable, numbers: readonly number[], labelNames?: Map<number, string>): DatasetRow[] {
  return numbers.map((n) => indexOfRow(t, n)).flatMap((i) => (i < 0 ? [] : [rowAt(t, i, labelNames)]));
}

/** Index of the data row with a given spreadsheet row number. */
export function indexOfRow(t: DatasetTable, row: number): number {
  // rowNumber is ascending, so binary search.
  let lo = 0;
  let hi = t.size - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = t.rowNumber[mid]!;
    if (v === row) return mid;
    if (v < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
