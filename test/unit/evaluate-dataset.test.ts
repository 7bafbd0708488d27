// Predictions in OML's JSON layout joined to a dataset's validation rows: in-process, so mutation testing sees it
// (the evaluate CLI tests cover the same code from a child process).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasetCsv } from '../../main/dataset/table';
import { EmbeddingsError, factorize, readPredictions, validationSet } from '../../main/metrics/evaluate-dataset';
import { tempDir, writeCsv } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let csv: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-evalds-'));
  csv = writeCsv(path.join(dir, 'df.csv'), [
    ['label', 'path', 'split', 'is_query', 'is_gallery', 'category', 'sequence'],
    [9, 't.png', 'train', '', '', 'x', ''],
    [0, 'a.png', 'validation', 'True', 'True', 'x', 's1'],
    [0, 'b.png', 'validation', 'False', 'True', 'x', ''],
    [1, 'c.png', 'validation', 'True', 'False', 'y', 's1'],
    [1, 'd.png', 'validation', 'True', 'True', '', 's2'],
  ]);
});
afterAll(() => cleanup());

const table = async () => (await readDatasetCsv(csv)).table;
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('readPredictions', () => {
  it('reads a path → vector object and refuses what is not one, naming the file', async () => {
    const good = path.join(dir, 'p.json');
    writeFileSync(good, JSON.stringify({ 'a.png': [1, 2], 'b.png': [3, 4] }));
    expect([...(await readPredictions(good)).entries()]).toEqual([
      ['a.png', [1, 2]],
      ['b.png', [3, 4]],
    ]);
    const missing = path.join(dir, 'nope.json');
    await expect(readPredictions(missing)).rejects.toThrow(`Embeddings file not found: ${missing}`);
    for (const [name, text, message] of [
      ['broken', '{"a.png": [1,', 'is not valid JSON'],
      ['array', '[[1, 2]]', 'must be a JSON object mapping image paths to vectors'],
      ['null', 'null', 'must be a JSON object'],
      ['number', '7', 'must be a JSON object'],
    ] as const) {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, text);
      const e = await readPredictions(file).catch((x: Error) => x);
      expect(e, name).toBeInstanceOf(EmbeddingsError);
      expect((e as Error).message, name).toContain(`${file} ${message}`);
    }
    // Too large to parse within bounded memory: refused by size before it is read.
    await expect(readPredictions(good, 10)).rejects.toThrow(
      /p\.json is 0 MB of JSON, more than the 0 MB evaluate reads; evaluate with --checkpoint/,
    );
    await expect(readPredictions(dir)).rejects.toThrow(`${dir} is not a file`);
  });

  it('reads the same as two paired lists, paths and embeddings (OML features converted in Python)', async () => {
    const lists = path.join(dir, 'lists.json');
    writeFileSync(
      lists,
      JSON.stringify({
        paths: ['a.png', 'b.png'],
        embeddings: [
          [1, 2],
          [3, 4],
        ],
      }),
    );
    expect([...(await readPredictions(lists)).entries()]).toEqual([
      ['a.png', [1, 2]],
      ['b.png', [3, 4]],
    ]);
    writeFileSync(lists, JSON.stringify({ paths: ['a.png', 'b.png'], embeddings: [[1, 2]] }));
    await expect(readPredictions(lists)).rejects.toThrow(/"paths" has 2 entries and "embeddings" 1: they must pair up/);
    writeFileSync(
      lists,
      JSON.stringify({
        paths: ['a.png', 7],
        embeddings: [
          [1, 2],
          [3, 4],
        ],
      }),
    );
    await expect(readPredictions(lists)).rejects.toThrow(/paths\[1\] is not a string/);
    // A dataset whose images are literally named "paths" and "embeddings" stays a path → vector object.
    writeFileSync(lists, JSON.stringify({ paths: [1, 2], embeddings: [3, 4], 'c.png': [5, 6] }));
    expect((await readPredictions(lists)).get('paths')).toEqual([1, 2]);
  });
});

describe('validationSet', () => {
  it('takes the validation rows in CSV order with their labels, flags, categories and sequences', async () => {
    const vectors: Record<string, number[]> = { 'a.png': [1, 0], 'b.png': [0, 1], 'c.png': [2, 2], 'd.png': [-1, 3], 't.png': [9, 9] };
    const set = validationSet(await table(), (p) => vectors[p], 'p.json');
    expect(set.embeddings.count).toBe(4);
    expect(set.embeddings.dim).toBe(2);
    expect(Array.from(set.embeddings.data)).toEqual([1, 0, 0, 1, 2, 2, -1, 3]);
    expect(Array.from(set.labels)).toEqual([0, 0, 1, 1]);
    expect(Array.from(set.isQuery)).toEqual([1, 0, 1, 1]);
    expect(Array.from(set.isGallery)).toEqual([1, 1, 0, 1]);
    expect(set.categories).toEqual(['x', 'x', 'y', null]);
    expect(Array.from(set.sequence!)).toEqual([0, -1, 0, 1]);
  });

  it('lists every bad vector with its path and row, up to twenty, then how many more', async () => {
    const t = await table();
    const vectors: Record<string, unknown> = { 'a.png': [1, 2], 'b.png': [1], 'c.png': [1, null], 'd.png': 'x' };
    const e = err(() => validationSet(t, (p) => vectors[p], 'p.json'));
    expect(e).toBeInstanceOf(EmbeddingsError);
    expect(e.message).toBe(
      [
        '3 embedding problem(s) in p.json:',
        '  embedding for "b.png" (row 4) has 1 values, the first one had 2',
        '  embedding for "c.png" (row 5) has null at index 1, not a float32 number',
        '  embedding for "d.png" (row 6) is not a non-empty array of numbers',
      ].join('\n'),
    );
    expect(err(() => validationSet(t, (p) => (p === 'a.png' ? [] : [1]), 'p.json')).message).toContain(
      'embedding for "a.png" (row 3) is not a non-empty array',
    );
    expect(err(() => validationSet(t, (p) => (p === 'b.png' ? undefined : [Number.POSITIVE_INFINITY]), 'p.json')).message).toContain(
      'no embedding for "b.png" (row 4) in p.json',
    );
    // Past float32 (it would become Infinity), and a deeply nested value (named, never serialised).
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const odd: Record<string, unknown> = { 'a.png': [1, 2], 'b.png': [1e39, 0], 'c.png': [1, deep], 'd.png': [-3.4e38, 'x'] };
    expect(
      err(() => validationSet(t, (p) => odd[p], 'p.json'))
        .message.split('\n')
        .slice(1),
    ).toEqual([
      '  embedding for "b.png" (row 4) has 1e+39 at index 0, not a float32 number',
      '  embedding for "c.png" (row 5) has an array at index 1, not a float32 number',
      '  embedding for "d.png" (row 6) has the string "x" at index 1, not a float32 number',
    ]);
    // Many rows missing: the first twenty are listed, the rest counted.
    const rows: (string | number)[][] = [['label', 'path', 'split', 'is_query', 'is_gallery']];
    for (let i = 0; i < 25; i++) rows.push([i % 2, `${i}.png`, 'validation', 'True', 'True']);
    const big = (await readDatasetCsv(writeCsv(path.join(dir, 'big.csv'), rows))).table;
    const many = err(() => validationSet(big, () => undefined, 'p.json')).message.split('\n');
    expect(many[0]).toBe('25 embedding problem(s) in p.json:');
    expect(many).toHaveLength(1 + 20 + 1);
    expect(many.at(-1)).toBe('  … and 5 more');
    // No validation rows at all: said, not an empty evaluation.
    const trainOnly = writeCsv(path.join(dir, 'train.csv'), [
      ['label', 'path', 'split', 'is_query', 'is_gallery'],
      [0, 'a.png', 'train', '', ''],
    ]);
    const trainTable = (await readDatasetCsv(trainOnly)).table;
    const e2 = err(() => validationSet(trainTable, () => [1], 'p.json'));
    expect(e2.message).toBe(`${trainOnly} has no validation rows to evaluate`);
  });

  it('factorize: equal strings share an id in order of appearance, empty is −1', () => {
    expect(Array.from(factorize(['b', '', 'a', 'b', 'a', '']))).toEqual([0, -1, 1, 0, 1, -1]);
  });
});
