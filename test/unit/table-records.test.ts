// tableRecords splits quote-free text itself and hands the rest to csv-parse: on every input it must give exactly
// the records and lines LineParser gives, whichever way each chunk went. Random tables over the characters that
// matter (delimiters, spaces csv-parse trims, blank lines, multi-byte characters cut by chunk boundaries), then
// quotes and carriage returns appearing early or late.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LineParser, type LineBatch, tableRecords } from '../../main/dataset/csv-lines';
import { mulberry32, randInt, type Rng } from '../../main/random';

const chunks = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
};

/** A table of plain cells: letters, multi-byte characters, trimmable spaces inside and around, empty cells. */
function plainTable(rng: Rng, delimiter: string, rows: number): string {
  const bits = ['a', 'b7', 'é', '日本', '🙂', ' ', '\t', '\u00a0', '\u2003', '\ufeff', '', 'x y', '.jpg', '-'];
  const cell = () => Array.from({ length: randInt(rng, 4) }, () => bits[randInt(rng, bits.length)]).join('');
  const lines = ['path,label,note'.replaceAll(',', delimiter)];
  for (let r = 0; r < rows; r++) {
    const kind = randInt(rng, 10);
    if (kind === 0) lines.push('');
    else if (kind === 1) lines.push([' ', '\t ', '\u3000'][randInt(rng, 3)]!);
    else lines.push(Array.from({ length: 1 + randInt(rng, 4) }, cell).join(delimiter));
  }
  return (rng() < 0.5 ? '\ufeff' : '') + lines.join('\n') + (rng() < 0.5 ? '\n' : '');
}

type Got = [string[], number][];
async function collect(batches: AsyncIterable<LineBatch<string[]>>): Promise<Got> {
  const got: Got = [];
  for await (const { records, lines } of batches) {
    expect(records.length).toBe(lines.length);
    for (const [i, r] of records.entries()) got.push([r, lines[i]!]);
  }
  return got;
}
const parsed = (text: string, size: number, delimiter: string, trim: boolean) =>
  collect(
    chunks(text, size)
      .pipe(new LineParser({ bom: true, delimiter, skip_empty_lines: true, relax_column_count: true, trim }))
      .batches(),
  );
const read = (text: string, size: number, delimiter: string, trim: boolean) =>
  collect(tableRecords(chunks(text, size), { delimiter, trim }));

describe('tableRecords', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const delimiter of [',', '\t', ';'])
    for (const trim of [true, false])
      it(`gives csv-parse's records and lines on plain tables, without csv-parse (delimiter ${JSON.stringify(delimiter)}, trim ${trim})`, async () => {
        const rng = mulberry32(delimiter.charCodeAt(0) * 2 + Number(trim));
        const parse = vi.spyOn(LineParser.prototype, '_transform');
        for (let t = 0; t < 12; t++) {
          const text = plainTable(rng, delimiter, 40);
          const size = [1, 3, 17, 256, 1 << 16][t % 5]!;
          const want = await parsed(text, size, delimiter, trim);
          const calls = parse.mock.calls.length;
          const got = await read(text, size, delimiter, trim);
          expect(parse.mock.calls.length).toBe(calls);
          expect(got).toEqual(want);
          expect(got.length).toBeGreaterThan(10);
        }
      });

  const quoted = '"q, with ""quotes"" and\na line break",7';
  for (const [name, at] of [
    ['in the first chunk', 0.01],
    ['half-way', 0.5],
    ['in the last line', 1],
  ] as const)
    for (const odd of ['quote', 'carriage return'] as const)
      it(`hands over to csv-parse at a ${odd} ${name}, with the same records and lines`, async () => {
        const rng = mulberry32(name.length * 31 + odd.length);
        for (const trim of [true, false])
          for (const size of [5, 300, 1 << 16]) {
            const lines = plainTable(rng, ',', 60).split('\n');
            const k = Math.min(lines.length - 1, Math.max(1, Math.round(at * (lines.length - 1))));
            // A carriage return mid-file: after "\n" ended the first record, it is a cell's character, not a break.
            lines.splice(k, 0, odd === 'quote' ? quoted : 'crlf.jpg,3\r');
            const text = lines.join('\n');
            const want = await parsed(text, size, ',', trim);
            expect(await read(text, size, ',', trim)).toEqual(want);
            expect(want.some(([r]) => r[0] === (odd === 'quote' ? 'q, with "quotes" and\na line break' : 'crlf.jpg'))).toBe(true);
          }
      });

  it('reads a CRLF table from its first line through csv-parse, as before', async () => {
    const text = 'path,label\r\na.jpg,1\r\n\r\nb.jpg , 2\r\n';
    for (const trim of [true, false]) expect(await read(text, 4, ',', trim)).toEqual(await parsed(text, 4, ',', trim));
    expect(await read(text, 4, ',', true)).toEqual([
      [['path', 'label'], 1],
      [['a.jpg', '1'], 2],
      [['b.jpg', '2'], 4],
    ]);
  });

  for (const [where, first] of [
    ['while splitting', 'path,label\na.jpg,1\n'],
    ['after handing over to csv-parse', 'path,label\n"a.jpg",1\n'],
  ] as const)
    it(`rejects with the input's own error ${where}, and ends no process`, async () => {
      async function* failing() {
        yield Buffer.from(first);
        throw new Error('disk gone');
      }
      await expect(collect(tableRecords(failing(), { delimiter: ',', trim: true }))).rejects.toThrow('disk gone');
    });

  for (const [where, text] of [
    ['while splitting', `path,label\n${'a.jpg,1\n'.repeat(4000)}`],
    ['after handing over to csv-parse', `path,label\n"q",0\n${'a.jpg,1\n'.repeat(4000)}`],
  ] as const)
    it(`closes its input when the reader stops early, ${where}`, async () => {
      let closed = false;
      async function* input() {
        try {
          for (let i = 0; i < text.length; i += 1000) yield Buffer.from(text.slice(i, i + 1000));
        } finally {
          closed = true;
        }
      }
      for await (const batch of tableRecords(input(), { delimiter: ',', trim: true })) {
        expect(batch.records.length).toBeGreaterThan(0);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
      expect(closed).toBe(true);
    });

  it("passes on csv-parse's error for an unclosed quote after plain lines", async () => {
    const text = `path,label\n${'a.jpg,1\n'.repeat(5000)}b.jpg,"2\n`;
    await expect(read(text, 1 << 12, ',', true)).rejects.toThrow(/quote/i);
  });
});
