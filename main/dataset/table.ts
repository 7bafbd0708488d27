import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { tableRecords } from './csv-lines';
import { BBOX_COLUMNS, type DatasetProblem } from '../../shared/schemas/dataset';
import { isInside, isPlainRelative } from '../paths';
import { Growable } from './growable';
import { ProblemLog } from './problems';

/** Encodings used in the columnar table. */
export const SPLIT_TRAIN = 0;
export const SPLIT_VALIDATION = 1;
export const INVALID = 255;
export const FLAG_FALSE = 0;
export const FLAG_TRUE = 1;
export const FLAG_EMPTY = 2;
export const NO_BBOX = -1;

/**
 * An OML dataset held column by column. Row i of every column is data row i of the file; `rowNumber[i]`
 * is its spreadsheet row (header = 1). Unparseable cells hold NaN / INVALID and are reported as problems.
 */
export interface DatasetTable {
  file: string;
  root: string;
  columns: string[];
  size: number;
  rowNumber: Int32Array;
  label: Float64Array;
  path: string[];
  split: Uint8Array;
  isQuery: Uint8Array;
  isGallery: Uint8Array;
  category: string[] | null;
  sequence: string[] | null;
  /** x_1, x_2, y_1, y_2 per row (4 × size), NO_BBOX where the row has none. Null when the columns are absent. */
  bbox: Int32Array | null;
}

/** The CSV itself cannot be opened: no row or column to name. */
export class DatasetFileError extends Error {}

const INT_RE = /^[+-]?\d+(\.0*)?$/;

export function parseInteger(cell: string): number {
  const s = cell.trim();
  return INT_RE.test(s) ? Number.parseInt(s, 10) : Number.NaN;
}

/** Labels are compared as doubles: past 2^53 two different labels would be one, and a huge cell becomes Infinity. */
const isSafeLabel = (l: number) => Number.isSafeInteger(l);
/** Boxes are held as int32 (a larger value would wrap around and train on another box). */
const MAX_BOX_COORD = 2 ** 31 - 1;

/** OML accepts True/False and 1/0 (pandas reads them as bool or int); empty means "not set". */
export function parseFlag(cell: string): number {
  const s = cell.trim().toLowerCase();
  if (s === '') return FLAG_EMPTY;
  if (s === 'true' || s === '1' || s === '1.0') return FLAG_TRUE;
  if (s === 'false' || s === '0' || s === '0.0') return FLAG_FALSE;
  return INVALID;
}

export function parseSplit(cell: string): number {
  const s = cell.trim();
  if (s === 'train') return SPLIT_TRAIN;
  if (s === 'validation') return SPLIT_VALIDATION;
  return INVALID;
}

export interface ReadOptions {
  /** Folder that relative paths are resolved against (OML's dataset_root). Default: the CSV's folder. */
  root?: string;
  problems?: ProblemLog;
}

export interface ReadResult {
  table: DatasetTable;
  problems: ProblemLog;
}

/**
 * Streams an OML CSV into a DatasetTable, reporting cell-level problems (row + column) as it goes.
 * Structural problems (missing required columns) are reported once; their cells are filled as invalid.
 */
export async function readDatasetCsv(file: string, options: ReadOptions = {}): Promise<ReadResult> {
  const problems = options.problems ?? new ProblemLog();
  const absFile = path.resolve(file);
  const root = path.resolve(options.root ?? path.dirname(absFile));
  const info = await stat(absFile).catch(() => null);
  if (!info?.isFile()) throw new DatasetFileError(`Dataset file not found: ${absFile}`);
  const table = new TableBuilder(absFile, root, problems);
  try {
    for await (const { records, lines } of tableRecords(createReadStream(absFile), { delimiter: ',', trim: false }))
      for (let i = 0; i < records.length; i++) table.add(records[i]!, lines[i]!);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    problems.add('error', 'csv_syntax', null, null, `cannot be parsed as CSV: ${message}`);
  }
  return { table: table.finish(), problems };
}

/**
 * Builds a DatasetTable from records — the header first, then rows with their line in the file — checking each
 * cell as it comes: what readDatasetCsv does with parsed records, and convert with the cells it writes.
 */
export class TableBuilder {
  private readonly rowNumber = new Growable(Int32Array);
  private readonly label = new Growable(Float64Array);
  private readonly split = new Growable(Uint8Array);
  private readonly isQuery = new Growable(Uint8Array);
  private readonly isGallery = new Growable(Uint8Array);
  private readonly bbox = new Growable(Int32Array, 4096);
  private readonly paths: string[] = [];
  private readonly categories: string[] = [];
  private readonly sequences: string[] = [];
  private header: string[] | null = null;
  /** Where each column sits in a record (-1: not in the header), looked up once, not per row and cell. */
  private at = { label: -1, path: -1, split: -1, isQuery: -1, isGallery: -1, category: -1, sequence: -1 };
  private bboxAt: number[] = [];
  private hasBbox = false;
  private readonly outside: OutsideRoot;

  constructor(
    readonly file: string,
    readonly root: string,
    readonly problems: ProblemLog,
  ) {
    this.outside = new OutsideRoot(root);
  }

  private cell(record: string[], i: number): string {
    return i < 0 ? '' : (record[i] ?? '');
  }

  /** The header (the first record), then one row; `row` is its line in the file (the header's is 1). */
  add(record: string[], row: number): void {
    const { problems, header, at } = this;
    if (header === null) {
      this.header = record.map((h) => h.trim());
      const idx = Object.fromEntries(this.header.map((h, i) => [h, i]));
      const column = (name: string) => (Object.hasOwn(idx, name) ? idx[name]! : -1);
      this.at = {
        label: column('label'),
        path: column('path'),
        split: column('split'),
        isQuery: column('is_query'),
        isGallery: column('is_gallery'),
        category: column('category'),
        sequence: column('sequence'),
      };
      this.bboxAt = BBOX_COLUMNS.map(column);
      checkHeader(this.header, problems);
      this.hasBbox = this.bboxAt.every((i) => i >= 0);
      return;
    }
    const { rowNumber, label, paths, root, outside, split, isQuery, isGallery, categories, sequences, hasBbox, bbox } = this;
    rowNumber.push(row);
    if (record.length !== header.length) {
      problems.add('error', 'column_count', row, null, `has ${record.length} cells, the header has ${header.length}`);
    }

    // A byte-order mark inside the file is where a second file was pasted on (or an editor saved one line's
    // copy): the cell looks right and compares wrong.
    const bomAt = record.findIndex((c) => c.includes('\uFEFF'));
    if (bomAt >= 0)
      problems.add(
        'error',
        'byte_order_mark',
        row,
        header[bomAt] ?? `column ${bomAt + 1}`,
        'holds a byte-order mark (U+FEFF) inside the file: was a second file pasted on here?',
      );

    const labelCell = this.cell(record, at.label);
    const l = parseInteger(labelCell);
    if (at.label >= 0 && Number.isNaN(l)) {
      problems.add('error', 'label_not_integer', row, 'label', `must be an integer, got "${clip(labelCell)}"`);
    } else if (at.label >= 0 && !isSafeLabel(l)) {
      problems.add(
        'error',
        'label_out_of_range',
        row,
        'label',
        `must be a whole number within ±9007199254740991 (2^53 − 1), got "${clip(labelCell)}"`,
      );
    }
    label.push(isSafeLabel(l) ? l : Number.NaN);

    const p = this.cell(record, at.path).trim();
    if (at.path >= 0 && p === '') problems.add('error', 'path_empty', row, 'path', 'is empty');
    else if (p.includes('\0')) problems.add('error', 'path_invalid', row, 'path', 'contains a NUL character');
    else if (at.path >= 0 && !isPlainRelative(p) && !isInside(root, path.resolve(root, p))) outside.note(row, p);
    paths.push(p);

    const splitCell = this.cell(record, at.split);
    const s = parseSplit(splitCell);
    if (at.split >= 0 && s === INVALID) {
      problems.add('error', 'split_invalid', row, 'split', `must be "train" or "validation", got "${clip(splitCell)}"`);
    }
    split.push(s);

    const qCell = this.cell(record, at.isQuery);
    const gCell = this.cell(record, at.isGallery);
    const q = parseFlag(qCell);
    const g = parseFlag(gCell);
    isQuery.push(q);
    isGallery.push(g);
    checkFlags(row, s, q, g, qCell, gCell, problems);

    if (at.category >= 0) categories.push(this.cell(record, at.category).trim());
    if (at.sequence >= 0) sequences.push(this.cell(record, at.sequence).trim());
    if (hasBbox)
      pushBbox(
        row,
        this.bboxAt.map((i) => this.cell(record, i)),
        bbox,
        problems,
      );
  }

  finish(): DatasetTable {
    const { header, at, problems, label } = this;
    this.outside.report(problems, 'lies');
    if (header === null) {
      problems.add('error', 'empty_file', null, null, 'is empty: expected a header row with label, path, split, is_query, is_gallery');
    } else if (label.length === 0) {
      problems.add('error', 'no_rows', 1, null, 'has a header but no rows: nothing to train or validate on');
    }
    return {
      file: this.file,
      root: this.root,
      columns: header ?? [],
      size: label.length,
      rowNumber: this.rowNumber.finish(),
      label: label.finish(),
      path: this.paths,
      split: this.split.finish(),
      isQuery: this.isQuery.finish(),
      isGallery: this.isGallery.finish(),
      category: header && at.category >= 0 ? this.categories : null,
      sequence: header && at.sequence >= 0 ? this.sequences : null,
      bbox: this.hasBbox ? this.bbox.finish() : null,
    };
  }
}

/** OML's columns are 11; a few of the user's own are fine, thousands are not a dataset table. */
const MAX_COLUMNS = 1000;

function checkHeader(header: string[], problems: ProblemLog): void {
  if (header.length > MAX_COLUMNS)
    problems.add(
      'error',
      'too_many_columns',
      1,
      null,
      `has ${header.length} columns, more than the ${MAX_COLUMNS} a dataset table may have (OML's are 11)`,
    );
  for (const col of ['label', 'split', 'is_query', 'is_gallery']) {
    if (!header.includes(col)) problems.add('error', 'missing_column', 1, col, `required column "${col}" is missing`);
  }
  if (!header.includes('path')) {
    problems.add('error', 'missing_column', 1, 'path', 'required column "path" is missing (Metric Studio works with images)');
  }
  const present = BBOX_COLUMNS.filter((c) => header.includes(c));
  if (present.length > 0 && present.length < BBOX_COLUMNS.length) {
    const missing = BBOX_COLUMNS.filter((c) => !header.includes(c));
    problems.add(
      'error',
      'bbox_columns',
      1,
      missing.join(','),
      `bounding boxes need all of x_1, x_2, y_1, y_2; missing ${missing.join(', ')}`,
    );
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) problems.add('error', 'duplicate_column', 1, h, `column "${h}" appears twice`);
    seen.add(h);
  }
}

function checkFlags(row: number, s: number, q: number, g: number, qCell: string, gCell: string, problems: ProblemLog): void {
  if (s === SPLIT_TRAIN) {
    // OML asserts train rows leave both flags empty (a single unique NaN).
    if (q !== FLAG_EMPTY) problems.add('error', 'train_flag_set', row, 'is_query', `must be empty for a train row, got "${clip(qCell)}"`);
    if (g !== FLAG_EMPTY) problems.add('error', 'train_flag_set', row, 'is_gallery', `must be empty for a train row, got "${clip(gCell)}"`);
  } else if (s === SPLIT_VALIDATION) {
    if (q === INVALID || q === FLAG_EMPTY) {
      problems.add('error', 'flag_invalid', row, 'is_query', `must be True/False (or 1/0) for a validation row, got "${clip(qCell)}"`);
    }
    if (g === INVALID || g === FLAG_EMPTY) {
      problems.add('error', 'flag_invalid', row, 'is_gallery', `must be True/False (or 1/0) for a validation row, got "${clip(gCell)}"`);
    }
    if (q === FLAG_FALSE && g === FLAG_FALSE) {
      problems.add('error', 'neither_query_nor_gallery', row, 'is_query', 'a validation row must be a query, a gallery item, or both');
    }
  }
}

function pushBbox(row: number, cells: string[], out: Growable<Int32Array>, problems: ProblemLog): void {
  const empty = cells.map((c) => c.trim() === '');
  if (empty.every(Boolean)) {
    // OML's docs allow a row without a box; its parser crashes on it (int(NaN)). We follow the docs.
    for (let i = 0; i < 4; i++) out.push(NO_BBOX);
    return;
  }
  const v = cells.map(parseInteger);
  const bad = BBOX_COLUMNS.filter((_, i) => empty[i] || Number.isNaN(v[i]!) || v[i]! < 0 || v[i]! > MAX_BOX_COORD);
  if (bad.length > 0) {
    problems.add(
      'error',
      'bbox_invalid',
      row,
      bad.join(','),
      `bounding box needs four integers from 0 to ${MAX_BOX_COORD} or four empty cells, got ${cells.map((c) => `"${clip(c)}"`).join(', ')}`,
    );
    for (let i = 0; i < 4; i++) out.push(NO_BBOX);
    return;
  }
  const [x1, x2, y1, y2] = v as [number, number, number, number];
  if (x1 >= x2) problems.add('error', 'bbox_order', row, 'x_1', `x_1 (${x1}) must be less than x_2 (${x2})`);
  if (y1 >= y2) problems.add('error', 'bbox_order', row, 'y_1', `y_1 (${y1}) must be less than y_2 (${y2})`);
  for (const x of [x1, x2, y1, y2]) out.push(x);
}

/**
 * Rows whose image lies outside the dataset root (`../`, an absolute path, a link out): allowed, as in OML, but the
 * dataset no longer travels as one folder and the app reads files outside it, so the user hears of it — once.
 */
export class OutsideRoot {
  private count = 0;
  private first: { row: number; path: string } | null = null;
  constructor(readonly root: string) {}

  note(row: number, p: string): void {
    this.count++;
    if (!this.first || row < this.first.row) this.first = { row, path: p };
  }

  report(problems: ProblemLog, how: 'lies' | 'links'): void {
    if (!this.first) return;
    const what = how === 'lies' ? 'lies outside' : 'is a link that leads outside';
    problems.add(
      'warning',
      'path_outside_root',
      this.first.row,
      'path',
      `"${clip(this.first.path)}" ${what} the dataset root ${this.root}${this.count > 1 ? ` (${this.count} rows in all)` : ''}`,
    );
  }
}

/** A cell quoted in a message: a 5 MB cell must not make a 5 MB error line. */
function clip(cell: string, max = 60): string {
  return cell.length > max ? `${cell.slice(0, max)}… (${cell.length} characters)` : cell;
}

/** Indices of the validation rows, in file order. */
export function validationRows(t: Pick<DatasetTable, 'size' | 'split'>): number[] {
  const rows: number[] = [];
  for (let i = 0; i < t.size; i++) if (t.split[i] === SPLIT_VALIDATION) rows.push(i);
  return rows;
}

/** Row i's box as x_1, x_2, y_1, y_2, or null when it has none. */
export function rowBox(t: Pick<DatasetTable, 'bbox'>, i: number): [number, number, number, number] | null {
  const b = t.bbox;
  return b && b[4 * i] !== NO_BBOX ? [b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!] : null;
}

/** Absolute path of row i's image: OML builds Path(dataset_root) / path, which keeps absolute paths as they are. */
export function imagePath(table: Pick<DatasetTable, 'root' | 'path'>, i: number): string {
  return path.resolve(table.root, table.path[i]!);
}

export type { DatasetProblem };
