// LineParser's line numbers are csv-parse's own `info.lines`, on the inputs where lines and records part ways:
// quoted cells over several lines, blank lines, CRLF endings, a BOM, and records split across stream chunks.
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { type LineRecord, LineParser } from '../../main/dataset/csv-lines';

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
      for await (const { record, lines } of chunks(TABLE, size).pipe(new LineParser(options)) as AsyncIterable<LineRecord<string[]>>)
        got.push([record, lines]);
      expect(got).toEqual(want);
      // Eight records (the header, and a lone \r as a one-cell record) over more lines: blank lines and multi-line
      // cells put the two apart.
      expect(got.map(([r]) => r[0])).toEqual(['path', 'a.jpg', 'b.jpg', 'c.jpg', '\r', 'd.jpg', 'e.jpg', 'f.jpg']);
      expect(got.at(-1)![1]).toBeGreaterThan(got.length + 4);
    });
  }

  it('keeps the records as objects with columns: true', async () => {
    const got: LineRecord<Record<string, string>>[] = [];
    for await (const r of chunks('x,y\n1,2\n\n3,4\n', 3).pipe(new LineParser({ columns: true, skip_empty_lines: true })) as AsyncIterable<
      LineRecord<Record<string, string>>
    >)
      got.push(r);
    expect(got).toEqual([
      { record: { x: '1', y: '2' }, lines: 2 },
      { record: { x: '3', y: '4' }, lines: 4 },
    ]);
  });
});
