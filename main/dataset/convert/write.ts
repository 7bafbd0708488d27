import { mkdir, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isPlainRelative } from '../../paths';
import { createWriteStream, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify as stringifyRows } from 'csv-stringify/sync';
import type { Plan, PlannedRow } from './plan';
import type { SourceItem } from './types';

/** An output path that would overwrite what it must not: a source, a folder, a file the app did not write. */
export class OutputError extends Error {}

/** What the app writes beside every df.csv it creates: its presence marks a CSV as ours to replace. */
export const summaryPathOf = (csv: string) => `${path.resolve(csv).replace(/\.csv$/i, '')}.summary.json`;

/**
 * Refuses an output that would destroy data, before anything is read or written: it must be a .csv path (so never an
 * image), not a folder, not one of the sources, and — unless `overwrite` — not an existing file the app did not
 * write itself (a CSV with no `.summary.json` beside it is the user's own).
 */
export async function checkOutput(outCsv: string, sources: readonly string[], overwrite = false): Promise<void> {
  const out = path.resolve(outCsv);
  if (!/\.csv$/i.test(out)) throw new OutputError(`--out ${outCsv}: must be a .csv file path (the OML table to write)`);
  const info = await stat(out).catch(() => null);
  if (info?.isDirectory())
    throw new OutputError(`--out ${outCsv}: is a folder; give the CSV's path inside it, e.g. ${path.join(outCsv, 'df.csv')}`);
  const real = info ? await realpath(out) : out;
  for (const source of sources) {
    const src = await realpath(path.resolve(source)).catch(() => path.resolve(source));
    if (src === real) throw new OutputError(`--out ${outCsv}: is the source itself; write the OML table to another file`);
  }
  if (info && !overwrite && !existsSync(summaryPathOf(out)))
    throw new OutputError(`--out ${outCsv}: exists and was not written by Metric Studio; choose another path (or overwrite it on purpose)`);
}

/** A cell csv-stringify writes as it is: no delimiter, quote or line break that it would quote. */
const PLAIN_CELL = /^[^,"\r\n]*$/;

/**
 * CSV lines, each ending in a newline, as csv-stringify writes them with its defaults, and whether a cell holds a
 * line break (the text then has more lines than rows). A row of plain cells is its cells joined by commas, which is
 * what csv-stringify writes for it; any other row goes through csv-stringify. It allocated 2.2 KB per row (a tuple
 * and an info object per cell): half of what a 1M-row conversion allocated.
 */
export function csvText(rows: readonly string[][]): { text: string; lineBreaks: boolean } {
  const lines: string[] = [];
  let lineBreaks = false;
  for (const r of rows) {
    if (r.every((c) => PLAIN_CELL.test(c))) lines.push(`${r.join(',')}\n`);
    else {
      lines.push(stringifyRows([r]));
      lineBreaks ||= r.some((c) => /[\r\n]/.test(c));
    }
  }
  return { text: lines.join(''), lineBreaks };
}

/** Receives the header and every row's cells as written (strings), in file order. */
export interface RecordSink {
  header(columns: string[]): void;
  row(cells: string[]): void;
}

/**
 * Writes df.csv in OML's column order (optional columns only when some row uses them), with paths relative to the
 * CSV's folder, plus `<name>.summary.json`. Both land via a temporary file and a rename; the images are never
 * touched.
 */
export async function writePlan(
  plan: Plan,
  sourceRoot: string,
  outCsv: string,
  extra: Record<string, unknown> = {},
  sink?: RecordSink,
): Promise<{ csv: string; summary: string; lineBreaks: boolean }> {
  const outDir = path.dirname(path.resolve(outCsv));
  await mkdir(outDir, { recursive: true });
  // Asked of the rows' items, not of rows made for it: with no category, all three pass over every row.
  const some = (pred: (it: SourceItem) => boolean) => {
    for (let k = 0; k < plan.rows.length; k++) if (pred(plan.rows.itemOf(k))) return true;
    return false;
  };
  const hasCategory = some((r) => r.category !== null);
  const hasSequence = some((r) => r.sequence !== null);
  const hasBbox = some((r) => r.bbox !== null);
  const columns = [
    'label',
    'path',
    'split',
    'is_query',
    'is_gallery',
    ...(hasCategory ? ['category'] : []),
    ...(hasSequence ? ['sequence'] : []),
    ...(hasBbox ? ['x_1', 'x_2', 'y_1', 'y_2'] : []),
  ];
  // Written relative to the CSV's folder, with '/' separators. Where the CSV sits in the source root (the usual
  // case), a plain relative path is already that: path.resolve + path.relative per row cost a fifth of a 1M-row run.
  const sameRoot = outDir === path.resolve(sourceRoot);
  const rel = (p: string) =>
    sameRoot && isPlainRelative(p)
      ? path.sep === '/'
        ? p
        : p.replaceAll('\\', '/')
      : path.relative(outDir, path.resolve(sourceRoot, p)).split(path.sep).join('/');
  const flag = (v: boolean | null) => (v === null ? '' : v ? 'True' : 'False');
  // The cells as the strings written (csv-stringify writes a number as String does), so the sink sees the same array.
  const record = (r: PlannedRow): string[] => {
    const cells = [String(r.label), rel(r.path), r.split, flag(r.isQuery), flag(r.isGallery)];
    if (hasCategory) cells.push(r.category ?? '');
    if (hasSequence) cells.push(r.sequence ?? '');
    if (hasBbox) cells.push(...(r.bbox ? r.bbox.map(String) : ['', '', '', '']));
    return cells;
  };
  const csvPath = path.resolve(outCsv);
  const tmp = `${csvPath}.tmp`;
  // In blocks of rows: a million rows never become one string, and no row pays for a trip through object streams
  // (that took most of the write: 1.8 s for 200k rows).
  const BLOCK = 8192;
  sink?.header(columns);
  let lineBreaks = false;
  // The summary's counts, gathered as the rows go by.
  const parts = { train: { rows: 0, labels: new Set<number>() }, validation: { rows: 0, labels: new Set<number>() } };
  let queries = 0;
  let galleries = 0;
  async function* blocks() {
    yield csvText([columns]).text;
    for (let i = 0; i < plan.rows.length; i += BLOCK) {
      const records: string[][] = [];
      for (let k = i; k < Math.min(i + BLOCK, plan.rows.length); k++) {
        const r = plan.rows.at(k);
        const part = parts[r.split];
        part.rows++;
        part.labels.add(r.label);
        if (r.isQuery === true) queries++;
        if (r.isGallery === true) galleries++;
        records.push(record(r));
      }
      if (sink) for (const r of records) sink.row(r);
      const block = csvText(records);
      lineBreaks ||= block.lineBreaks;
      yield block.text;
    }
  }
  // A buffer of several blocks, so the next block is made while the last one is written.
  await pipeline(Readable.from(blocks()), createWriteStream(tmp, { highWaterMark: 1 << 22 }));
  await rename(tmp, csvPath);
  const summaryPath = summaryPathOf(csvPath);
  const summary = {
    createdAt: new Date().toISOString(),
    source: path.resolve(sourceRoot),
    rows: plan.rows.length,
    dropped: plan.dropped,
    train: { rows: parts.train.rows, labels: parts.train.labels.size },
    validation: { rows: parts.validation.rows, labels: parts.validation.labels.size, queries, galleries },
    labelNames: plan.labelNames,
    problems: plan.problems,
    ...extra,
  };
  await writeFile(`${summaryPath}.tmp`, JSON.stringify(summary, null, 2));
  await rename(`${summaryPath}.tmp`, summaryPath);
  return { csv: csvPath, summary: summaryPath, lineBreaks };
}
