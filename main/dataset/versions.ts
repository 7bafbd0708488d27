/**
 * Fixes to a dataset written as a new version beside it, never in place: `df.csv` + changes → `df.v2.csv` and
 * `df.v2.changes.csv` (one line per row touched: row, action, old, new), and from `df.v2.csv` the next is `df.v3.csv`.
 * Rows are the original file's spreadsheet rows (header = row 1), as every report and error names them. The original's
 * bytes are never written; a version that the checker refuses is removed again, with its problems named.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { DatasetChange } from '../../shared/schemas/quality';
import { summaryPathOf } from './convert/write';

export interface ChangeLine {
  row: number;
  action: 'relabel' | 'exclude' | 'merge' | 'drop_duplicate';
  old: string;
  new: string;
}

export class VersionError extends Error {}

/** `df.csv` → `df`, `df.v3.csv` → `df` and 3. */
export function versionOf(csv: string): { stem: string; version: number } {
  const base = path.basename(csv).replace(/\.csv$/i, '');
  const m = /^(.*)\.v(\d+)$/.exec(base);
  return m ? { stem: m[1]!, version: Number(m[2]) } : { stem: base, version: 1 };
}

/** The next free version's CSV beside `csv` (a version skipped by hand is not overwritten). */
export function nextVersionPath(csv: string): { file: string; version: number } {
  const dir = path.dirname(path.resolve(csv));
  const { stem, version } = versionOf(csv);
  for (let v = version + 1; ; v++) {
    const file = path.join(dir, `${stem}.v${v}.csv`);
    if (!existsSync(file) && !existsSync(changesPathOf(file))) return { file, version: v };
  }
}

export const changesPathOf = (csv: string) => `${path.resolve(csv).replace(/\.csv$/i, '')}.changes.csv`;

/**
 * Applies changes to a table's rows (pure): the rows kept, in their order, and the log. `file` names the CSV in
 * errors. Changes apply in order, so a relabel after a merge wins, and a row excluded stays out.
 */
export function applyChanges(
  file: string,
  header: string[],
  rows: string[][],
  changes: DatasetChange[],
): { rows: string[][]; log: ChangeLine[] } {
  const labelCol = header.indexOf('label');
  const pathCol = header.indexOf('path');
  if (labelCol < 0 || pathCol < 0) throw new VersionError(`${file}: no label or path column; not a dataset`);
  const out = rows.map((r) => [...r]);
  const gone = new Set<number>();
  const log: ChangeLine[] = [];
  const at = (row: number, what: string) => {
    if (row - 2 >= out.length) throw new VersionError(`${file}: ${what} names row ${row}, but the file's last row is ${out.length + 1}`);
    return out[row - 2]!;
  };
  for (const [i, c] of changes.entries()) {
    const what = `change ${i + 1} (${c.action})`;
    switch (c.action) {
      case 'relabel': {
        const r = at(c.row, what);
        if (r[labelCol] === String(c.label)) break;
        log.push({ row: c.row, action: 'relabel', old: r[labelCol]!, new: String(c.label) });
        r[labelCol] = String(c.label);
        break;
      }
      case 'exclude':
        if (!gone.has(c.row)) log.push({ row: c.row, action: 'exclude', old: at(c.row, what)[pathCol]!, new: '' });
        gone.add(c.row);
        break;
      case 'merge': {
        if (c.from === c.into) throw new VersionError(`${file}: ${what} merges label ${c.from} into itself`);
        let n = 0;
        for (const [j, r] of out.entries())
          if (!gone.has(j + 2) && r[labelCol] === String(c.from)) {
            log.push({ row: j + 2, action: 'merge', old: r[labelCol]!, new: String(c.into) });
            r[labelCol] = String(c.into);
            n++;
          }
        if (n === 0) throw new VersionError(`${file}: ${what}: no row has label ${c.from}`);
        break;
      }
      case 'keep': {
        if (!c.rows.includes(c.keep)) throw new VersionError(`${file}: ${what}: row ${c.keep} is not one of the cluster's rows`);
        for (const row of c.rows) {
          at(row, what);
          if (row === c.keep || gone.has(row)) continue;
          log.push({ row, action: 'drop_duplicate', old: out[row - 2]![pathCol]!, new: `kept row ${c.keep}` });
          gone.add(row);
        }
        break;
      }
    }
  }
  return { rows: out.filter((_, j) => !gone.has(j + 2)), log };
}

export interface WrittenVersion {
  file: string;
  changesFile: string;
  version: number;
  /** Rows in the new version, and how many lines the change log has. */
  rows: number;
  changes: number;
}

/**
 * Writes the next version of `csv` with `changes` applied, and its change log; `check` validates the new file (the
 * dataset checker) and returns its errors — any, and both files are removed and the errors thrown.
 */
export async function writeVersion(
  csv: string,
  changes: DatasetChange[],
  check: (file: string) => Promise<string[]>,
): Promise<WrittenVersion> {
  const source = path.resolve(csv);
  const [header, ...rows] = parse(await readFile(source), { relax_column_count: true, bom: true }) as string[][];
  if (!header) throw new VersionError(`${source}: empty`);
  const applied = applyChanges(source, header, rows, changes);
  if (applied.log.length === 0) throw new VersionError(`${source}: the changes change nothing; no version written`);
  const { file, version } = nextVersionPath(source);
  const changesFile = changesPathOf(file);
  // Written under temporary names, then renamed: a crash leaves no half version that looks whole.
  await writeFile(`${file}.part`, stringify([header, ...applied.rows]));
  await writeFile(
    `${changesFile}.part`,
    stringify([['row', 'action', 'old', 'new'], ...applied.log.map((l) => [l.row, l.action, l.old, l.new])]),
  );
  await rename(`${changesFile}.part`, changesFile);
  await rename(`${file}.part`, file);
  const errors = await check(file).catch((e: Error) => [e.message]);
  if (errors.length) {
    await Promise.all([rm(file, { force: true }), rm(changesFile, { force: true })]);
    throw new VersionError(`${path.basename(file)} would not be a valid dataset, so it was not kept:\n${errors.slice(0, 10).join('\n')}`);
  }
  // Label names carry over (a merged or relabelled row takes its new label's name); the summary marks the file as the app's.
  const summary: { labelNames?: unknown } = await readFile(summaryPathOf(source), 'utf8').then(
    (t) => JSON.parse(t) as { labelNames?: unknown },
    () => ({}),
  );
  await writeFile(summaryPathOf(file), JSON.stringify({ labelNames: summary.labelNames ?? {}, versionOf: source, version }, null, 2));
  return { file, changesFile, version, rows: applied.rows.length, changes: applied.log.length };
}
