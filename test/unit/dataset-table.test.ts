import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectDataset } from '../../main/dataset/inspect';
import { FLAG_EMPTY, FLAG_TRUE, NO_BBOX, parseFlag, parseInteger, readDatasetCsv } from '../../main/dataset/table';
import { tempDir, writeCsv, writePng } from '../helpers/tmp';
import { isPlainRelative } from '../../main/paths';

const HEADER = ['label', 'path', 'split', 'is_query', 'is_gallery'];
let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

async function imagesFor(names: string[]) {
  for (const [i, n] of names.entries()) await writePng(path.join(dir, n), 16, 16, i);
}
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);

describe('cell parsing', () => {
  it('reads integers the way pandas writes them', () => {
    expect(parseInteger('3')).toBe(3);
    expect(parseInteger(' 12.0 ')).toBe(12);
    expect(parseInteger('-4')).toBe(-4);
    expect(parseInteger('1.5')).toBeNaN();
    expect(parseInteger('cat')).toBeNaN();
    expect(parseInteger('')).toBeNaN();
  });
  it('reads OML flags: True/False, 1/0, empty', () => {
    expect(['True', 'true', '1', '1.0'].map(parseFlag)).toEqual([1, 1, 1, 1]);
    expect(['False', 'FALSE', '0', '0.0'].map(parseFlag)).toEqual([0, 0, 0, 0]);
    expect(parseFlag('')).toBe(FLAG_EMPTY);
    expect(parseFlag('yes')).toBe(255);
  });
});

describe('reading an OML CSV', () => {
  it('loads every column, with spreadsheet row numbers and bboxes', async () => {
    await imagesFor(['a.png', 'b.png', 'c.png', 'd.png']);
    const file = writeCsv(path.join(dir, 'df.csv'), [
      [...HEADER, 'category', 'sequence', 'x_1', 'x_2', 'y_1', 'y_2'],
      [0, 'a.png', 'train', '', '', 'tops', 's1', 1, 5, 2, 6],
      [0, 'b.png', 'train', '', '', 'tops', 's1', '', '', '', ''],
      [7, 'c.png', 'validation', 'True', 'False', 'shoes', 's2', 0, 4, 0, 4],
      [7, 'd.png', 'validation', 'False', 'True', 'shoes', 's3', 0, 4, 0, 4],
    ]);
    const { table, problems } = await readDatasetCsv(file);
    expect(problems.errors).toBe(0);
    expect(table.size).toBe(4);
    expect([...table.rowNumber]).toEqual([2, 3, 4, 5]);
    expect([...table.label]).toEqual([0, 0, 7, 7]);
    expect([...table.split]).toEqual([0, 0, 1, 1]);
    expect(table.isQuery[2]).toBe(FLAG_TRUE);
    expect(table.category).toEqual(['tops', 'tops', 'shoes', 'shoes']);
    expect(table.sequence).toEqual(['s1', 's1', 's2', 's3']);
    expect([...table.bbox!.subarray(0, 8)]).toEqual([1, 5, 2, 6, NO_BBOX, NO_BBOX, NO_BBOX, NO_BBOX]);
    expect(table.root).toBe(dir);
  });

  it('names the row and column of every bad cell', async () => {
    const file = writeCsv(path.join(dir, 'df.csv'), [
      [...HEADER, 'x_1', 'x_2', 'y_1', 'y_2'],
      ['one', 'a.png', 'train', '', '', '', '', '', ''],
      [1, 'b.png', 'test', '', '', '', '', '', ''],
      [1, 'c.png', 'train', 'True', '', '', '', '', ''],
      [2, 'd.png', 'validation', 'maybe', 'True', '', '', '', ''],
      [2, 'e.png', 'validation', 'False', 'False', '', '', '', ''],
      [2, 'f.png', 'validation', 'True', 'True', 5, 3, 0, 4],
      [2, 'g.png', 'validation', 'True', 'True', 1, '', 0, 4],
    ]);
    const { problems } = await readDatasetCsv(file);
    const at = (row: number) => problems.items.filter((p) => p.row === row).map((p) => `${p.code}@${p.column}`);
    expect(at(2)).toEqual(['label_not_integer@label']);
    expect(at(3)).toEqual(['split_invalid@split']);
    expect(at(4)).toEqual(['train_flag_set@is_query']);
    expect(at(5)).toEqual(['flag_invalid@is_query']);
    expect(at(6)).toEqual(['neither_query_nor_gallery@is_query']);
    expect(at(7)).toEqual(['bbox_order@x_1']);
    expect(at(8)).toEqual(['bbox_invalid@x_2']);
  });

  it('refuses labels that doubles cannot keep apart and boxes that int32 would wrap, quoting huge cells briefly', async () => {
    const huge = '9'.repeat(5_000_000);
    const file = writeCsv(path.join(dir, 'df.csv'), [
      [...HEADER, 'x_1', 'x_2', 'y_1', 'y_2'],
      ['9007199254740993', 'a.png', 'train', '', '', '', '', '', ''],
      ['9007199254740992', 'b.png', 'train', '', '', '', '', '', ''],
      [huge, 'c.png', 'train', '', '', '', '', '', ''],
      ['9007199254740991', 'd.png', 'train', '', '', 0, 2 ** 32 + 5, 0, 4],
      ['-9007199254740991', 'e.png', 'train', '', '', 0, 2 ** 31 - 1, 0, 4],
    ]);
    const { table, problems } = await readDatasetCsv(file);
    const at = (row: number) => problems.items.filter((p) => p.row === row).map((p) => `${p.code}@${p.column}`);
    expect(at(2)).toEqual(['label_out_of_range@label']);
    expect(at(3)).toEqual(['label_out_of_range@label']);
    expect(at(4)).toEqual(['label_out_of_range@label']);
    expect(at(5)).toEqual(['bbox_invalid@x_2']);
    expect(at(6)).toEqual([]);
    expect(Math.max(...problems.items.map((p) => p.message.length))).toBeLessThan(300);
    expect([...table.label].slice(3)).toEqual([9007199254740991, -9007199254740991]);
    expect([...table.bbox!.subarray(16, 20)]).toEqual([0, 2 ** 31 - 1, 0, 4]);
  });

  it('warns once when rows point outside the dataset root: ../, absolute paths and links out', async () => {
    const { mkdirSync, symlinkSync } = await import('node:fs');
    const rootDir = path.join(dir, 'root');
    mkdirSync(rootDir);
    await writePng(path.join(dir, 'outside.png'), 16, 16, 1);
    await writePng(path.join(rootDir, 'in.png'), 16, 16, 2);
    symlinkSync(path.join(dir, 'outside.png'), path.join(rootDir, 'link.png'));
    const file = writeCsv(path.join(rootDir, 'df.csv'), [
      HEADER,
      [0, 'in.png', 'train', '', ''],
      [0, '../outside.png', 'train', '', ''],
      [1, path.join(dir, 'outside.png'), 'train', '', ''],
      [1, 'link.png', 'train', '', ''],
      [1, 'sub/../in.png', 'train', '', ''],
    ]);
    const { report } = await inspectDataset(file);
    const outside = report.problems.filter((p) => p.code === 'path_outside_root');
    expect(outside.map((p) => [p.severity, p.row, p.column])).toEqual([
      ['warning', 3, 'path'],
      ['warning', 5, 'path'],
    ]);
    expect(outside[0]!.message).toMatch(/"\.\.\/outside\.png" lies outside the dataset root .*\(2 rows in all\)/);
    expect(outside[1]!.message).toMatch(/"link\.png" is a link that leads outside/);
  });

  it('reports missing required columns and partial bbox columns on the header row', async () => {
    const file = writeCsv(path.join(dir, 'df.csv'), [
      ['label', 'path', 'split', 'is_query', 'x_1'],
      [0, 'a.png', 'train', '', 1],
    ]);
    const { problems } = await readDatasetCsv(file);
    const header = problems.items.filter((p) => p.row === 1);
    expect(header.map((p) => p.column)).toEqual(['is_gallery', 'x_2,y_1,y_2']);
    expect(header[0]!.message).toContain('is_gallery');
  });

  it('reports an empty file and a missing file clearly', async () => {
    const empty = writeCsv(path.join(dir, 'empty.csv'), []);
    const { problems } = await readDatasetCsv(empty);
    expect(problems.items.map((p) => p.code)).toContain('empty_file');
    const headerOnly = writeCsv(path.join(dir, 'header.csv'), [HEADER]);
    expect((await readDatasetCsv(headerOnly)).problems.items).toMatchObject([{ severity: 'error', code: 'no_rows', row: 1 }]);
    await expect(readDatasetCsv(path.join(dir, 'nope.csv'))).rejects.toThrow(/not found.*nope\.csv/);
  });
});

describe('inspectDataset', () => {
  it('checks files, query labels, single instances and duplicates', async () => {
    await imagesFor(['a.png', 'b.png', 'c.png', 'q.png', 'g.png']);
    const file = writeCsv(path.join(dir, 'df.csv'), [
      HEADER,
      [0, 'a.png', 'train', '', ''],
      [0, 'b.png', 'train', '', ''],
      [1, 'c.png', 'train', '', ''],
      [0, 'a.png', 'train', '', ''],
      [5, 'q.png', 'validation', 'True', 'False'],
      [6, 'g.png', 'validation', 'False', 'True'],
      [6, 'missing.png', 'validation', 'False', 'True'],
    ]);
    const { report } = await inspectDataset(file);
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(
      expect.arrayContaining(['query_label_not_in_gallery', 'single_instance_label', 'duplicate_row', 'path_missing']),
    );
    const missing = report.problems.find((p) => p.code === 'path_missing')!;
    expect(missing).toMatchObject({ row: 8, column: 'path', severity: 'error' });
    expect(report.problems.find((p) => p.code === 'duplicate_row')).toMatchObject({ row: 5, message: expect.stringContaining('row 2') });
    expect(report.summary).toMatchObject({
      rows: 7,
      labels: 4,
      train: { rows: 4, labels: 2 },
      validation: { rows: 3, queries: 1, galleries: 2 },
    });
  });

  it('with image checks, reports corrupt images and boxes outside the image', async () => {
    await imagesFor(['a.png', 'b.png']);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'broken.png'), 'not a png');
    const file = writeCsv(path.join(dir, 'df.csv'), [
      [...HEADER, 'x_1', 'x_2', 'y_1', 'y_2'],
      [0, 'a.png', 'validation', 'True', 'True', 0, 40, 0, 8],
      [0, 'b.png', 'validation', 'True', 'True', '', '', '', ''],
      [0, 'broken.png', 'validation', 'True', 'True', '', '', '', ''],
    ]);
    const { report } = await inspectDataset(file, { checkImages: true });
    expect(report.problems.find((p) => p.code === 'bbox_outside_image')).toMatchObject({ row: 2, column: 'x_2' });
    expect(report.problems.find((p) => p.code === 'image_unreadable')).toMatchObject({ row: 4, column: 'path' });
  });

  it('accepts the shipped sample as valid', async () => {
    const { SAMPLE_CSV } = await import('../helpers/tmp');
    const { report } = await inspectDataset(SAMPLE_CSV, { checkImages: true });
    expect(report.errors).toBe(0);
    expect(report.summary.train.labels).toBe(5);
    expect(report.summary.validation.labels).toBe(5);
    expect(report.summary.categories).toEqual(['bags', 'clothing', 'footwear']);
  });
});

describe('train labels', () => {
  it('are remapped to 0..N−1 in order of first appearance; validation rows are left alone', async () => {
    const { trainRows, label2category } = await import('../../main/dataset/labels');
    const file = writeCsv(path.join(dir, 'df.csv'), [
      [...HEADER, 'category'],
      [42, 'a.png', 'train', '', '', 'x'],
      [7, 'b.png', 'train', '', '', 'y'],
      [42, 'c.png', 'train', '', '', 'z'],
      [99, 'd.png', 'validation', 'True', 'True', 'q'],
      [7, 'e.png', 'train', '', '', 'y'],
    ]);
    const { table } = await readDatasetCsv(file);
    const { rows, labels, mapping } = trainRows(table);
    expect([...rows]).toEqual([0, 1, 2, 4]);
    expect([...labels]).toEqual([0, 1, 0, 1]);
    expect([...mapping]).toEqual([
      [42, 0],
      [7, 1],
    ]);
    // OML's dict(zip(label, category)): the last row of a label decides.
    expect([...label2category(table, rows, (l) => mapping.get(l)!)]).toEqual([
      [0, 'z'],
      [1, 'y'],
    ]);
  });
});

describe('isPlainRelative', () => {
  it('accepts plain relative names and refuses anything path.resolve could move out or change', () => {
    for (const p of ['a.jpg', 'a/b.jpg', 'a b/c d.png', 'x\\y.png', '.hidden/a.jpg', 'a..b/c.jpg'])
      expect(isPlainRelative(p), p).toBe(true);
    for (const p of ['', '/a.jpg', './a.jpg', 'a/../b.jpg', '..', 'a//b.jpg', 'a/', 'C:x.jpg', 'c:\\x.jpg', 'a\\..\\b.jpg'])
      expect(isPlainRelative(p), p).toBe(false);
  });

  it('agrees with the segment-by-segment definition on every path of up to four pieces', () => {
    // The definition: split on / and \, no segment empty, "." or "..". The function tests it with one regex.
    const bySegments = (p: string) =>
      p !== '' && !p.startsWith('/') && !/^[a-zA-Z]:/.test(p) && p.split(/[\\/]/).every((s) => s !== '' && s !== '.' && s !== '..');
    const pieces = ['a', '.', '..', '...', '.b', 'b.', '', '/', '\\'];
    let checked = 0;
    const walk = (p: string, depth: number) => {
      expect(isPlainRelative(p), JSON.stringify(p)).toBe(bySegments(p));
      checked++;
      if (depth < 4) for (const piece of pieces) walk(p + piece, depth + 1);
    };
    walk('', 0);
    expect(checked).toBeGreaterThan(7000);
  });
});
