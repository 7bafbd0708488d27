import { inspectDataset } from '../dataset/inspect';
import { formatProblem } from '../dataset/problems';
import { type DatasetTable, DatasetFileError } from '../dataset/table';
import { UsageError, err } from './args';

/**
 * A dataset a command works on (evaluate, search): read and checked without opening its images; its errors are
 * printed by file, row and column and end the command (exit 1) before any embedding starts.
 */
export async function checkedDataset(file: string, root?: string): Promise<DatasetTable> {
  try {
    const { report, table } = await inspectDataset(file, { root, checkFiles: false });
    if (!report.ok) {
      for (const p of report.problems.filter((x) => x.severity === 'error')) err(formatProblem(report.file, p));
      throw new UsageError(`${report.file} has ${report.errors} error(s); fix them first (metric-studio check)`, 1);
    }
    return table;
  } catch (e) {
    throw e instanceof DatasetFileError ? new UsageError(e.message, 1) : e;
  }
}
