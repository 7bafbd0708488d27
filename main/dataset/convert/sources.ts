import { createReadStream } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { tableRecords } from '../csv-lines';
import { DATASET_IMAGE_EXTENSIONS, IMAGE_EXTENSIONS } from '../image-files';
import type { ConvertProblem, SourceItem } from './types';

const posix = (p: string) => p.split(path.sep).join('/');

/**
 * A folder per label (`root/<label>/*.jpg`), or per category and label (`root/<category>/<label>/*`): the depth of
 * the first image decides. Files that are not images are skipped and reported. Streams the directory tree.
 */
export async function* scanFolder(root: string, problems: ConvertProblem[], signal?: AbortSignal): AsyncGenerator<SourceItem> {
  async function* walk(dir: string, depth: number): AsyncGenerator<{ rel: string; depth: number }> {
    const entries = [];
    for await (const e of await opendir(dir)) entries.push(e);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (signal?.aborted) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) yield* walk(full, depth + 1);
      else if (e.isFile()) yield { rel: posix(path.relative(root, full)), depth };
    }
  }
  let layoutDepth: number | null = null;
  for await (const { rel, depth } of walk(root, 0)) {
    const ext = path.extname(rel).toLowerCase();
    if (!DATASET_IMAGE_EXTENSIONS.has(ext)) {
      if (!rel.endsWith('.csv') && !rel.endsWith('.json') && !path.basename(rel).startsWith('.')) {
        problems.push({
          severity: 'warning',
          code: 'not_an_image',
          path: rel,
          message: `skipped: ${IMAGE_EXTENSIONS.has(ext) ? 'unsupported image type' : 'not an image file'}`,
        });
      }
      continue;
    }
    if (depth === 0) {
      problems.push({
        severity: 'warning',
        code: 'no_label_folder',
        path: rel,
        message: 'skipped: images must sit in a folder named after their label',
      });
      continue;
    }
    layoutDepth ??= depth;
    const parts = rel.split('/');
    if (depth !== layoutDepth || depth > 2) {
      problems.push({
        severity: 'warning',
        code: 'unexpected_depth',
        path: rel,
        message: `skipped: expected ${layoutDepth === 1 ? 'root/<label>/image' : 'root/<category>/<label>/image'}`,
      });
      continue;
    }
    yield {
      path: rel,
      labelName: parts[depth - 1]!,
      category: depth === 2 ? parts[0]! : null,
      sequence: null,
      bbox: null,
      split: null,
      isQuery: null,
      isGallery: null,
      origin: rel,
    };
  }
}

export interface ColumnMapping {
  path: string;
  label: string;
  category?: string;
  sequence?: string;
  split?: string;
  isQuery?: string;
  isGallery?: string;
  /** Four columns, in the order the format names them. */
  bbox?: { format: 'x1y1x2y2' | 'xywh'; columns: [string, string, string, string] };
}

/** The columns of a table, for the mapping step; the delimiter is sniffed (comma, tab or semicolon). */
export async function readHeader(file: string): Promise<{ columns: string[]; delimiter: string }> {
  // Only the first 64 KB: a header never needs the whole (possibly million-row) table.
  const fh = await open(file, 'r');
  const buf = Buffer.alloc(65536);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  await fh.close();
  const head = buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = ['\t', ';', ','].map((d) => [d, head.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const columns = head.split(delimiter).map((c) =>
    c
      .trim()
      .replace(/^\uFEFF/, '')
      .replace(/^"|"$/g, ''),
  );
  return { columns, delimiter };
}

/** Guesses a mapping from common column names (OML's own, and the usual alternatives). */
export function guessMapping(columns: string[]): Partial<ColumnMapping> {
  const find = (...names: string[]) => columns.find((c) => names.includes(c.toLowerCase()));
  const m: Partial<ColumnMapping> = {
    path: find('path', 'file', 'filename', 'image', 'img', 'filepath'),
    label: find('label', 'class', 'id', 'identity', 'label_id', 'class_id'),
    category: find('category', 'group', 'super_class'),
    sequence: find('sequence', 'sequence_id', 'camera', 'burst'),
    split: find('split'),
    isQuery: find('is_query'),
    isGallery: find('is_gallery'),
  };
  if (['x_1', 'x_2', 'y_1', 'y_2'].every((c) => columns.includes(c)))
    m.bbox = { format: 'x1y1x2y2', columns: ['x_1', 'y_1', 'x_2', 'y_2'] };
  else if (['x', 'y', 'w', 'h'].every((c) => columns.includes(c))) m.bbox = { format: 'xywh', columns: ['x', 'y', 'w', 'h'] };
  return m;
}

const TRUE_WORDS = new Set(['true', '1', '1.0', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['false', '0', '0.0', 'no', 'n', 'f']);
/** A flag cell: null when empty, undefined when it is neither a yes nor a no (the row is then skipped, and said). */
function flag(v: string | undefined): boolean | null | undefined {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '') return null;
  return TRUE_WORDS.has(s) ? true : FALSE_WORDS.has(s) ? false : undefined;
}

/** Split names other tools write for the held-out part; OML calls it validation. */
const VALIDATION_WORDS = new Set(['validation', 'val', 'valid', 'test', 'eval', 'evaluation']);
function splitOf(v: string | undefined): 'train' | 'validation' | null | undefined {
  const s = (v ?? '').trim().toLowerCase();
  if (s === '') return null;
  return s === 'train' ? 'train' : VALIDATION_WORDS.has(s) ? 'validation' : undefined;
}

/** The parser's batches; a table it cannot parse (an unclosed quote, …) is an error naming the file and line. */
async function* tableBatches(file: string, delimiter: string) {
  try {
    yield* tableRecords(createReadStream(file), { delimiter, trim: true });
  } catch (e) {
    throw new Error(`${file}: not a readable table: ${(e as Error).message}`);
  }
}

/**
 * Any CSV/TSV (an OML CSV included) through a column mapping; rows that cannot be used are reported by row. Yields
 * the items in batches (one per chunk the parser read): per-item generator steps were a tenth of a 1M-row convert.
 */
export async function* readTable(
  file: string,
  mapping: ColumnMapping,
  problems: ConvertProblem[],
  signal?: AbortSignal,
): AsyncGenerator<SourceItem[]> {
  const { delimiter, columns } = await readHeader(file);
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (twice.length > 0) throw new Error(`${file}: row 1: column "${twice[0]}" appears twice in the header (which one is meant?)`);
  const renamedSplits = new Map<string, number>();
  // Records are arrays (csv-parse's `columns` made an object per row); the parser's first record is the header.
  let columnsAt: ColumnsAt | null = null;
  for await (const { records, lines } of tableBatches(file, delimiter)) {
    if (signal?.aborted) return;
    const items: SourceItem[] = [];
    for (let r = 0; r < records.length; r++) {
      const record = records[r]!;
      if (columnsAt === null) columnsAt = columnIndices(record, mapping);
      else {
        const item = tableItem(record, lines[r]!, mapping, columnsAt, problems, renamedSplits);
        if (item) items.push(item);
      }
    }
    yield items;
  }
  for (const [name, n] of renamedSplits)
    problems.push({ severity: 'warning', code: 'split_renamed', path: null, message: `split "${name}" read as validation (${n} row(s))` });
}

/** Where each mapped column sits in a record (-1: not in the table). */
interface ColumnsAt {
  path: number;
  label: number;
  category: number;
  sequence: number;
  split: number;
  isQuery: number;
  isGallery: number;
  bbox: number[];
}

function columnIndices(header: string[], m: ColumnMapping): ColumnsAt {
  const at = (column: string | undefined) => (column === undefined ? -1 : header.indexOf(column));
  return {
    path: at(m.path),
    label: at(m.label),
    category: at(m.category),
    sequence: at(m.sequence),
    split: at(m.split),
    isQuery: at(m.isQuery),
    isGallery: at(m.isGallery),
    bbox: m.bbox?.columns.map(at) ?? [],
  };
}

/** Column k's cell; undefined when the column is not in the table (-1) or the row is short. */
const cellAt = (record: string[], k: number): string | undefined => (k < 0 ? undefined : record[k]);

/** One table row as an item, or null when it cannot be used (the problem is then reported). */
function tableItem(
  record: string[],
  row: number,
  mapping: ColumnMapping,
  at: ColumnsAt,
  problems: ConvertProblem[],
  renamedSplits: Map<string, number>,
): SourceItem | null {
  const p = cellAt(record, at.path) ?? '';
  const labelName = cellAt(record, at.label) ?? '';
  if (!p || !labelName) {
    problems.push({
      severity: 'warning',
      code: 'row_incomplete',
      path: p || null,
      message: `row ${row}: skipped: ${!p ? `column ${mapping.path} (path)` : `column ${mapping.label} (label)`} is empty`,
    });
    return null;
  }
  let bbox: SourceItem['bbox'] = null;
  if (mapping.bbox) {
    const cells = at.bbox.map((k) => (cellAt(record, k) ?? '').trim());
    if (cells.some((c) => c !== '')) {
      const v = cells.map(Number);
      if (v.some((x) => !Number.isFinite(x))) {
        problems.push({
          severity: 'warning',
          code: 'bbox_invalid',
          path: p,
          message: `row ${row}: box ignored: ${mapping.bbox.columns.join(', ')} must be numbers, got ${cells.join(', ')}`,
        });
      } else {
        const [a, b, c, d] = v as [number, number, number, number];
        // x1,y1,x2,y2 or x,y,w,h → OML's x_1, x_2, y_1, y_2 (integers)
        bbox =
          mapping.bbox.format === 'xywh'
            ? [Math.round(a), Math.round(a + c), Math.round(b), Math.round(b + d)]
            : [Math.round(a), Math.round(c), Math.round(b), Math.round(d)];
      }
    }
  }
  const splitCell = cellAt(record, at.split);
  const split = splitOf(splitCell);
  const isQuery = mapping.isQuery ? flag(cellAt(record, at.isQuery)) : null;
  const isGallery = mapping.isGallery ? flag(cellAt(record, at.isGallery)) : null;
  const unreadable =
    split === undefined
      ? [mapping.split, splitCell, 'train or validation (val/test)']
      : isQuery === undefined
        ? [mapping.isQuery, cellAt(record, at.isQuery), 'true or false (1/0, yes/no)']
        : isGallery === undefined
          ? [mapping.isGallery, cellAt(record, at.isGallery), 'true or false (1/0, yes/no)']
          : null;
  if (unreadable) {
    const [column, value, expected] = unreadable;
    problems.push({
      severity: 'warning',
      code: 'cell_unreadable',
      path: p,
      message: `row ${row}: skipped: column ${column} is "${String(value).slice(0, 40)}", expected ${expected}`,
    });
    return null;
  }
  const rawSplit = (splitCell ?? '').trim().toLowerCase();
  if (split === 'validation' && rawSplit !== 'validation') renamedSplits.set(rawSplit, (renamedSplits.get(rawSplit) ?? 0) + 1);
  return {
    path: p.includes('\\') ? p.replaceAll('\\', '/') : p,
    labelName,
    category: cellAt(record, at.category) || null,
    sequence: cellAt(record, at.sequence) || null,
    bbox,
    split: split ?? null,
    isQuery: isQuery ?? null,
    isGallery: isGallery ?? null,
    origin: row,
  };
}
