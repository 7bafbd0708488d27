import type { DatasetReport } from '../../../shared/schemas/dataset';
import { inspectDataset } from '../../dataset/inspect';
import { formatProblem } from '../../dataset/problems';
import { DatasetFileError } from '../../dataset/table';
import { type Command, UsageError, err, out, parse } from '../args';

const usage = 'metric-studio check DATASET.csv [--root DIR] [--images] [--no-files] [--json] [--max-problems N]';

export function formatSummary(r: DatasetReport): string[] {
  const s = r.summary;
  const lines = [
    `${r.file}`,
    `  rows: ${s.rows}   labels: ${s.labels}   categories: ${s.categories.length ? s.categories.join(', ') : '—'}`,
    `  train:      ${s.train.rows} rows, ${s.train.labels} labels`,
    `  validation: ${s.validation.rows} rows, ${s.validation.labels} labels, ${s.validation.queries} queries, ${s.validation.galleries} galleries`,
    `  bounding boxes: ${s.hasBboxes ? 'yes' : 'no'}   sequence: ${s.hasSequence ? 'yes' : 'no'}`,
  ];
  lines.push(`  ${r.errors} error(s), ${r.warnings} warning(s)`);
  return lines;
}

export const check: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        root: { type: 'string' },
        images: { type: 'boolean' },
        'no-files': { type: 'boolean' },
        json: { type: 'boolean' },
        'max-problems': { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`check takes one CSV file\nusage: ${usage}`);
    const maxProblems = values['max-problems'] ? Number(values['max-problems']) : 200;
    if (!Number.isInteger(maxProblems) || maxProblems < 0) throw new UsageError('--max-problems must be a non-negative integer');
    let report: DatasetReport;
    try {
      ({ report } = await inspectDataset(positionals[0]!, {
        root: values.root,
        checkFiles: !values['no-files'],
        checkImages: values.images,
        maxProblems,
      }));
    } catch (e) {
      if (e instanceof DatasetFileError) throw new UsageError(e.message, 1);
      throw e;
    }
    if (values.json) {
      out(JSON.stringify(report, null, 2));
    } else {
      for (const line of formatSummary(report)) out(line);
      for (const p of report.problems) err(formatProblem(report.file, p));
      const shown = report.problems.length;
      if (shown < report.errors + report.warnings)
        err(`… ${report.errors + report.warnings - shown} more problem(s) not shown (--max-problems)`);
    }
    return report.ok ? 0 : 1;
  },
};
