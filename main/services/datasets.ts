import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetRow } from '../../shared/schemas/dataset';
import { FLAG_EMPTY, FLAG_TRUE, SPLIT_TRAIN, readDatasetCsv, type DatasetTable } from '../dataset/table';

const cache = new Map<string, { stamp: string; table: Promise<DatasetTable> }>();

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

export function rowAt(t: DatasetTable, i: number): DatasetRow {
  return {
    row: t.rowNumber[i]!,
    label: t.label[i]!,
    path: t.path[i]!,
    split: t.split[i] === SPLIT_TRAIN ? 'train' : 'validation',
    isQuery: flag(t.isQuery[i]!),
    isGallery: flag(t.isGallery[i]!),
    category: t.category ? t.category[i]! || null : null,
  };
}

export function datasetRows(t: DatasetTable, offset: number, limit: number): { total: number; rows: DatasetRow[] } {
  const rows: DatasetRow[] = [];
  for (let i = offset; i < Math.min(t.size, offset + limit); i++) rows.push(rowAt(t, i));
  return { total: t.size, rows };
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
