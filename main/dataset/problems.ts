import type { DatasetProblem, Severity } from '../../shared/schemas/dataset';

/** Collects problems with exact counts but keeps only the first `cap` of them in memory. */
export class ProblemLog {
  readonly items: DatasetProblem[] = [];
  errors = 0;
  warnings = 0;
  constructor(readonly cap = 1000) {}

  add(severity: Severity, code: string, row: number | null, column: string | null, message: string): void {
    if (severity === 'error') this.errors++;
    else this.warnings++;
    if (this.items.length < this.cap) this.items.push({ severity, code, row, column, message });
  }

  /** Errors first, then by row, so the most useful lines lead when the list is cut. */
  sorted(): DatasetProblem[] {
    return [...this.items].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || (a.row ?? 0) - (b.row ?? 0));
  }
}

/** "df.csv, row 12, column label: must be an integer" — the one format CLI and logs use. */
export function formatProblem(file: string, p: DatasetProblem): string {
  const where = [file, p.row !== null ? `row ${p.row}` : null, p.column ? `column ${p.column}` : null].filter(Boolean).join(', ');
  return `${p.severity}: ${where}: ${p.message}`;
}
