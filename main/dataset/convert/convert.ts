import { stat } from 'node:fs/promises';
import path from 'node:path';
import { REQUIRED_COLUMNS } from '../../../shared/schemas/dataset';
import type { DatasetReport } from '../../../shared/schemas/dataset';
import { inspectDataset, inspectTable, newProblemLog } from '../inspect';
import { TableBuilder } from '../table';
import { inspectImages } from './inspect-images';
import { makePlan, type Plan, type SplitOptions } from './plan';
import { type ColumnMapping, guessMapping, readHeader, readTable, scanFolder } from './sources';
import type { ConvertProblem, ImageFacts, Progress, SourceItem } from './types';
import { checkOutput, OutputError, writePlan } from './write';

export class ConvertError extends Error {}

export interface ConvertRequest {
  /** A folder of images, or a CSV/TSV table (an OML CSV included). */
  source: string;
  /** For tables: the folder their paths are relative to (default: the table's folder). */
  root?: string;
  mapping?: Partial<ColumnMapping>;
  split: SplitOptions;
  /** Read every image (hash, size, decode). Off only for huge tables whose files are known good: nothing is checked. */
  checkImages?: boolean;
}

export interface Analysis {
  kind: 'folder' | 'table' | 'oml';
  root: string;
  items: SourceItem[];
  plan: Plan;
  /** Problems of the source itself (skipped files, bad rows) then of the plan. */
  problems: ConvertProblem[];
  mapping: ColumnMapping | null;
}

/** Lists the source, reads every image once, and plans the OML rows — nothing is written. */
export async function analyze(req: ConvertRequest, onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<Analysis> {
  const src = path.resolve(req.source);
  const info = await stat(src).catch(() => null);
  if (!info) throw new ConvertError(`Source not found: ${src}`);
  const sourceProblems: ConvertProblem[] = [];
  const items: SourceItem[] = [];
  let kind: Analysis['kind'] = 'folder';
  let root = src;
  let mapping: ColumnMapping | null = null;
  let listed = 0;
  const collect = async (batches: AsyncIterable<SourceItem[]>) => {
    for await (const batch of batches) {
      for (const it of batch) items.push(it);
      if (Math.floor((listed + batch.length) / 1000) > Math.floor(listed / 1000))
        onProgress?.({ phase: 'listing', done: listed + batch.length, total: 0 });
      listed += batch.length;
    }
  };
  if (info.isDirectory()) {
    await collect(oneByOne(scanFolder(src, sourceProblems, signal)));
  } else {
    root = path.resolve(req.root ?? path.dirname(src));
    const { columns } = await readHeader(src);
    const guessed = { ...guessMapping(columns), ...req.mapping };
    if (!guessed.path || !guessed.label) {
      throw new ConvertError(
        `${src}: say which columns hold the image path and the label (found columns: ${columns.join(', ')}); e.g. --map path=file,label=class`,
      );
    }
    for (const c of [guessed.path, guessed.label, guessed.category, guessed.sequence, ...(guessed.bbox?.columns ?? [])]) {
      if (c && !columns.includes(c)) throw new ConvertError(`${src}: no column "${c}" (found: ${columns.join(', ')})`);
    }
    mapping = guessed as ColumnMapping;
    kind = REQUIRED_COLUMNS.every((c) => columns.includes(c)) ? 'oml' : 'table';
    await collect(readTable(src, mapping, sourceProblems, signal));
  }
  if (signal?.aborted) throw new ConvertError('Cancelled');
  onProgress?.({ phase: 'listing', done: listed, total: listed });
  if (items.length === 0)
    throw new ConvertError(`No images found in ${src}${sourceProblems.length ? ` (${sourceProblems.length} file(s) skipped)` : ''}`);
  // Unchecked: one shared fact (a million rows made a million objects and digests-to-be for nothing).
  const unchecked: ImageFacts = { ok: true, width: Number.MAX_SAFE_INTEGER, height: Number.MAX_SAFE_INTEGER, hash: null };
  const facts = req.checkImages === false ? items.map(() => unchecked) : await inspectImages(root, items, onProgress, signal);
  if (signal?.aborted) throw new ConvertError('Cancelled');
  const plan = makePlan(items, facts, req.split);
  return { kind, root, items, plan, problems: [...sourceProblems, ...plan.problems], mapping };
}

/** A folder's files as one-item batches: a folder is listed as it is read, a table in batches. */
async function* oneByOne<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const it of items) yield [it];
}

export interface ConvertResult {
  analysis: Analysis;
  csv: string;
  summary: string;
  report: DatasetReport;
}

/** analyze → write df.csv + summary → validate the written file with the same checker as `check`. */
export async function convert(
  req: ConvertRequest & { out: string; overwrite?: boolean },
  onProgress?: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<ConvertResult> {
  // Before the (long) analysis: an output that would overwrite a source or the user's own file fails at once.
  await checkOutput(req.out, [req.source], req.overwrite).catch((e: unknown) => {
    throw e instanceof OutputError ? new ConvertError(e.message) : e;
  });
  const analysis = await analyze(req, onProgress, signal);
  if (analysis.plan.rows.length === 0)
    throw new ConvertError('Nothing usable remains after dropping unreadable images and single-instance labels');
  onProgress?.({ phase: 'writing', done: 0, total: analysis.plan.rows.length });
  // The written cells are checked as they are written, by the reader `check` uses, so the file is not read back
  // (that took a third of a 1M-row conversion). A cell with a line break would shift the file's line numbers from
  // one line per row: then the file is read back, as before.
  const csvPath = path.resolve(req.out);
  const options = { checkFiles: req.checkImages !== false };
  const problems = newProblemLog(options);
  const table = new TableBuilder(csvPath, path.dirname(csvPath), problems);
  let line = 1;
  const { csv, summary, lineBreaks } = await writePlan(
    analysis.plan,
    analysis.root,
    req.out,
    { kind: analysis.kind, split: req.split, mapping: analysis.mapping },
    {
      header: (columns) => table.add(columns, line++),
      row: (cells) => table.add(cells, line++),
    },
  );
  const { report } = lineBreaks ? await inspectDataset(csv, options) : await inspectTable(table.finish(), problems, options);
  return { analysis, csv, summary, report };
}
