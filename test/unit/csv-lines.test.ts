// LineParser's line numbers are csv-parse's own `info.lines`, on the inputs where lines and records part ways:
// quoted cells over several lines, blank lines, CRLF endings, a BOM, and records split across stream chunks.
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { LineParser } from '../../main/dataset/csv-lines';

const TABLE = [
  '\uFEFFpath,label,note',
  'a.jpg,1,plain',
  '',
  'b.jpg,2,"two\nlines"',
  'c.jpg,3,"three\r\nlines\nhere"',
  '\r',
  '',
  'd.jpg,4,"quote "" inside"',
  'e.jpg,5,',
  'f.jpg,6,last',
].join('\n');

/** Feeds the text in chunks of `size` bytes, so records straddle chunk boundaries. */
const chunks = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
};
const options = { bom: true, skip_empty_lines: true, relax_column_count: true } as const;

describe('LineParser', () => {
  for (const size of [1, 7, 64, 1 << 16]) {
    it(`gives each record the line csv-parse's info gives (chunks of ${size} bytes)`, async () => {
      const want: [string[], number][] = [];
      for await (const { record, info } of chunks(TABLE, size).pipe(parse({ ...options, info: true })) as AsyncIterable<{
        record: string[];
        info: { lines: number };
      }>)
        want.push([record, info.lines]);
      const got: [string[], number][] = [];
      let batches = 0;
      for await (const { records, lines } of chunks(TABLE, size).pipe(new LineParser(options)).batches()) {
        expect(records.length).toBe(lines.length);
        for (const [i, r] of records.entries()) got.push([r, lines[i]!]);
        batches++;
      }
      expect(got).toEqual(want);
      // One batch per chunk that completed a record, and the last record at the end of input: the whole table in
      // one chunk is two batches.
      if (size === 1 << 16) expect(batches).toBe(2);
      else expect(batches).toBeGreaterThan(1);
      // Eight records (the header, and a lone \r as a one-cell record) over more lines: blank lines and multi-line
      // cells put the two apart.
      expect(got.map(([r]) => r[0])).toEqual(['path', 'a.jpg', 'b.jpg', 'c.jpg', '\r', 'd.jpg', 'e.jpg', 'f.jpg']);
      expect(got.at(-1)![1]).toBeGreaterThan(got.length + 4);
    });
  }

  it('keeps the records as objects with columns: true', async () => {
    const got: [Record<string, string>, number][] = [];
    for await (const { records, lines } of chunks('x,y\n1,2\n\n3,4\n', 3)
      .pipe(new LineParser<Record<string, string>>({ columns: true, skip_empty_lines: true }))
      .batches())
      for (const [i, r] of records.entries()) got.push([r, lines[i]!]);
    expect(got).toEqual([
      [{ x: '1', y: '2' }, 2],
      [{ x: '3', y: '4' }, 4],
    ]);
  });

  it("passes on csv-parse's error at the end of input (an unclosed quote)", async () => {
    const parse = async () => {
      for await (const { records } of chunks('a,b\n1,2\n3,"4\n', 1 << 16)
        .pipe(new LineParser(options))
        .batches())
        expect(records.length).toBeGreaterThan(0);
    };
    await expect(parse()).rejects.toThrow(/quote/i);
  });
});
