// The dataset-wide rules (validate.ts) row by row, and the summary's counts, on tables written for each rule.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemLog } from '../../main/dataset/problems';
import { readDatasetCsv } from '../../main/dataset/table';
import { summarize, validateTable } from '../../main/dataset/validate';
import { tempDir, writeCsv } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('ms-validate-')));
afterAll(() => cleanup());

let n = 0;
/** Reads `rows` (under `header`) as a dataset and runs the dataset-wide rules; row 2 is the first data row. */
async function check(header: string[], rows: (string | number)[][]) {
  const file = writeCsv(path.join(dir, `t${n++}.csv`), [header, ...rows]);
  const problems = new ProblemLog(1000);
  const { table } = await readDatasetCsv(file, { problems });
  const before = problems.sorted().length;
  validateTable(table, problems);
  return { problems: problems.sorted().slice(before), table, parseProblems: before };
}
const H = ['label', 'path', 'split', 'is_query', 'is_gallery'];
const brief = (ps: { severity: string; code: string; row: number | null; column: string | null }[]) =>
  ps.map((p) => `${p.severity} ${p.code} row ${p.row} ${p.column}`);

describe('validateTable', () => {
  it('a clean table has no problems', async () => {
    const r = await check(H, [
      [0, 'a.png', 'train', '', ''],
      [0, 'b.png', 'train', '', ''],
      [1, 'c.png', 'validation', 'True', 'True'],
      [1, 'd.png', 'validation', 'True', 'True'],
    ]);
    expect(r.parseProblems).toBe(0);
    expect(r.problems).toEqual([]);
  });

  it('names the second of two identical rows, but not rows that differ in split or box', async () => {
    const r = await check(
      [...H, 'x_1', 'x_2', 'y_1', 'y_2'],
      [
        [0, 'a.png', 'train', '', '', 0, 5, 0, 5],
        [0, 'a.png', 'train', '', '', 0, 5, 0, 5],
        [0, 'a.png', 'train', '', '', 1, 5, 0, 5],
        [1, 'b.png', 'validation', 'True', 'True', 0, 5, 0, 5],
        [1, 'b.png', 'validation', 'True', 'True', 0, 5, 0, 5],
      ],
    );
    expect(brief(r.problems)).toEqual(['warning duplicate_row row 3 path', 'warning duplicate_row row 6 path']);
    expect(r.problems[0]!.message).toBe('repeats row 2 (same path, split and box)');
    expect(r.problems[1]!.message).toBe('repeats row 5 (same path, split and box)');
  });

  it('names the first identical row, also when a row with the same path but another box or split came between', async () => {
    const r = await check(
      [...H, 'x_1', 'x_2', 'y_1', 'y_2'],
      [
        [0, 'a.png', 'train', '', '', 1, 5, 0, 5],
        [0, 'a.png', 'validation', 'True', 'True', 0, 5, 0, 5],
        [0, 'a.png', 'train', '', '', 0, 5, 0, 5],
        [0, 'a.png', 'train', '', '', 0, 5, 0, 5],
        [0, 'a.png', 'train', '', '', 1, 5, 0, 5],
      ],
    );
    const duplicates = r.problems.filter((p) => p.code === 'duplicate_row');
    expect(duplicates.map((p) => [p.row, p.message])).toEqual([
      [5, 'repeats row 4 (same path, split and box)'],
      [6, 'repeats row 2 (same path, split and box)'],
    ]);
  });

  it('flags a train label with one instance at its row; two instances are enough', async () => {
    const r = await check(H, [
      [0, 'a.png', 'train', '', ''],
      [0, 'b.png', 'train', '', ''],
      [1, 'c.png', 'train', '', ''],
      [2, 'd.png', 'validation', 'True', 'True'],
      [2, 'e.png', 'validation', 'True', 'True'],
      [1, 'f.png', 'validation', 'True', 'True'], // a validation row of label 1 does not count for training
    ]);
    const single = r.problems.filter((p) => p.code === 'single_instance_label');
    expect(brief(single)).toEqual(['warning single_instance_label row 4 label']);
    expect(single[0]!.message).toContain('train label 1 has one instance');
  });

  it('is an error when a query label has no gallery item, listing up to ten such labels', async () => {
    const rows: (string | number)[][] = [[0, 'g.png', 'validation', 'False', 'True']];
    for (let l = 1; l <= 12; l++) rows.push([l, `q${l}.png`, 'validation', 'True', 'False']);
    rows.push([0, 'q0.png', 'validation', 'True', 'False']);
    const r = await check(H, rows);
    expect(brief(r.problems)).toEqual(['error query_label_not_in_gallery row 3 label']);
    expect(r.problems[0]!.message).toContain('query labels absent from the gallery: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 … (12 in all)');
    const few = await check(H, [
      [0, 'g.png', 'validation', 'False', 'True'],
      [3, 'q.png', 'validation', 'True', 'False'],
      [0, 'q0.png', 'validation', 'True', 'False'],
    ]);
    expect(few.problems[0]!.message).toContain('absent from the gallery: 3 (OML');
    // Train rows are neither queries nor galleries, whatever their flags say.
    const trainOnly = await check(H, [
      [5, 't1.png', 'train', 'True', 'True'],
      [5, 't2.png', 'train', 'True', 'True'],
      [0, 'g.png', 'validation', 'True', 'True'],
      [0, 'h.png', 'validation', 'True', 'True'],
    ]);
    expect(trainOnly.problems).toEqual([]);
  });

  it('warns about a 1-vs-rest query that is its label’s only gallery item, not about one with a gallery elsewhere', async () => {
    const r = await check(H, [
      [0, 'a.png', 'validation', 'True', 'True'], // alone: nothing to find
      [1, 'b.png', 'validation', 'True', 'False'], // query only; its label's one gallery item is another row
      [1, 'c.png', 'validation', 'False', 'True'],
      [2, 'd.png', 'validation', 'True', 'True'],
      [2, 'e.png', 'validation', 'True', 'True'],
    ]);
    expect(brief(r.problems)).toEqual(['warning query_without_positives row 2 label']);
    expect(r.problems[0]!.message).toContain('validation label 0 has a single item');
  });

  it('reports a label in several categories once, at the first row that disagrees', async () => {
    const r = await check(
      [...H, 'category'],
      [
        [0, 'a.png', 'train', '', '', 'shoes'],
        [0, 'b.png', 'train', '', '', 'shoes'],
        [0, 'c.png', 'train', '', '', 'bags'],
        [0, 'd.png', 'train', '', '', 'tops'],
        [1, 'e.png', 'validation', 'True', 'True', 'bags'],
        [1, 'f.png', 'validation', 'True', 'True', 'bags'],
      ],
    );
    expect(brief(r.problems)).toEqual(['warning label_in_several_categories row 4 category']);
    expect(r.problems[0]!.message).toBe('label 0 is in category "shoes" elsewhere and "bags" here; OML keeps one category per label');
  });
});

describe('summarize', () => {
  it('counts rows, labels, queries and galleries per split, the instances-per-label histogram and the columns', async () => {
    const { table } = await check(
      [...H, 'category', 'sequence', 'x_1', 'x_2', 'y_1', 'y_2'],
      [
        [0, 'a.png', 'train', '', '', 'tops', '', '', '', '', ''],
        [0, 'b.png', 'train', '', '', 'tops', '', '', '', '', ''],
        [0, 'c.png', 'train', '', '', 'tops', '', '', '', '', ''],
        [1, 'd.png', 'train', '', '', 'bags', '', '', '', '', ''],
        [1, 'e.png', 'train', '', '', 'bags', '', '', '', '', ''],
        [2, 'f.png', 'validation', 'True', 'False', '', 's1', 0, 4, 0, 4],
        [2, 'g.png', 'validation', 'False', 'True', 'shoes', 's1', '', '', '', ''],
        [3, 'h.png', 'validation', 'True', 'True', 'shoes', '', '', '', '', ''],
        [3, 'i.png', 'validation', 'True', 'True', 'shoes', '', '', '', '', ''],
      ],
    );
    const s = summarize(table);
    expect(s.rows).toBe(9);
    expect(s.labels).toBe(4);
    expect(s.train).toEqual({ rows: 5, labels: 2, queries: 0, galleries: 0 });
    expect(s.validation).toEqual({ rows: 4, labels: 2, queries: 3, galleries: 3 });
    expect(s.instancesPerLabel).toEqual([
      [2, 3],
      [3, 1],
    ]);
    expect(s.categories).toEqual(['bags', 'shoes', 'tops']);
    expect(s.hasBboxes).toBe(true);
    expect(s.hasSequence).toBe(true);
    expect(s.columns).toEqual([...H, 'category', 'sequence', 'x_1', 'x_2', 'y_1', 'y_2']);
    const plain = summarize((await check(H, [[0, 'a.png', 'train', '', '']])).table);
    expect([plain.hasBboxes, plain.hasSequence, plain.categories]).toEqual([false, false, []]);
  });
});
