import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { fileDigest } from '../file-digest';
import { forEachBounded } from './files';
import { imagePath, type DatasetTable } from './table';

/**
 * What values computed from a dataset's images depend on: the CSV's bytes (its rows, labels, boxes) and, for each
 * row read, the image file's path, size and modification time. A cache keyed by it is made again when a row or an
 * image changes, not only when the CSV's size or time does (an image replaced in place kept the old features).
 */
export async function datasetIdentity(table: DatasetTable, rows: readonly number[]): Promise<string> {
  const lines: string[] = new Array(rows.length);
  await forEachBounded(rows.length, 16, async (k) => {
    const file = imagePath(table, rows[k]!);
    const s = await stat(file).catch(() => null);
    lines[k] = `${rows[k]}\t${file}\t${s ? `${s.size}\t${s.mtimeMs}` : 'missing'}`;
  });
  const hash = createHash('sha256');
  hash.update(`csv\t${await fileDigest(table.file)}\nroot\t${table.root}\n`);
  for (const line of lines) hash.update(`${line}\n`);
  return hash.digest('hex');
}
