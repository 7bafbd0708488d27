import type { DatasetReport } from '../../shared/schemas/dataset';
import { checkFiles } from './files';
import { ProblemLog } from './problems';
import { readDatasetCsv, type DatasetTable } from './table';
import { summarize, validateTable } from './validate';

export interface InspectOptions {
  root?: string;
  /** Check that every path exists (OML's rule). */
  checkFiles?: boolean;
  /** Also decode every image (slower): corrupt, cut short or oversized images, boxes outside the image. */
  checkImages?: boolean;
  maxProblems?: number;
}

/** Read + validate + summarise: what `check`, the Datasets page and the trainer all start from. */
export async function inspectDataset(
  csvPath: string,
  options: InspectOptions = {},
): Promise<{ report: DatasetReport; table: DatasetTable }> {
  const problems = newProblemLog(options);
  const { table } = await readDatasetCsv(csvPath, { root: options.root, problems });
  return inspectTable(table, problems, options);
}

/** The problem log inspectDataset keeps (at most `maxProblems`), for a table built elsewhere (convert's). */
export const newProblemLog = (options: InspectOptions = {}) => new ProblemLog(options.maxProblems ?? 1000);

/** Validate + summarise a table already read, whose cell-level problems are in `problems`. */
export async function inspectTable(
  table: DatasetTable,
  problems: ProblemLog,
  options: InspectOptions = {},
): Promise<{ report: DatasetReport; table: DatasetTable }> {
  validateTable(table, problems);
  if (options.checkFiles !== false && table.columns.includes('path')) {
    await checkFiles(table, problems, { images: options.checkImages ?? false, decode: options.checkImages ?? false });
  }
  const report: DatasetReport = {
    file: table.file,
    root: table.root,
    ok: problems.errors === 0,
    errors: problems.errors,
    warnings: problems.warnings,
    summary: summarize(table),
    problems: problems.sorted(),
  };
  return { report, table };
}
