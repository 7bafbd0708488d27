// convert writes plain rows itself and hands the rest to csv-stringify: the file must be byte for byte what
// csv-stringify alone writes, whatever the cells hold.
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { csvText } from '../../main/dataset/convert/write';
import { mulberry32 } from '../../main/random';

// Pieces that need quoting (delimiter, quote, each line break), that look like they might (spaces, tabs, ';', a
// leading '=' or '-', a BOM) and plain ones, so most rows mix the two kinds.
const PIECES = ['a', 'img/1.jpg', '', ' ', ',', '"', '\n', '\r', '\r\n', ';', '\t', '=1+1', '-3', "'", 'é', '\uFEFF', '0', 'True'];

describe('csvText', () => {
  it('writes what csv-stringify writes, for 5000 rows of mixed cells', () => {
    const rng = mulberry32(11);
    const cell = () => Array.from({ length: Math.floor(rng() * 4) }, () => PIECES[Math.floor(rng() * PIECES.length)]!).join('');
    const rows = Array.from({ length: 5000 }, () => Array.from({ length: 1 + Math.floor(rng() * 6) }, cell));
    const { text, lineBreaks } = csvText(rows);
    expect(lineBreaks).toBe(true);
    expect(text).toBe(stringify(rows));
    // Both kinds of row are in the sample.
    const plain = rows.filter((r) => r.every((c) => !/[,"\r\n]/.test(c))).length;
    expect(plain).toBeGreaterThan(500);
    expect(plain).toBeLessThan(4500);
  });

  it('writes nothing for no rows, and a newline after the last row', () => {
    expect(csvText([])).toEqual({ text: '', lineBreaks: false });
    expect(csvText([['label', 'path']])).toEqual({ text: 'label,path\n', lineBreaks: false });
    expect(csvText([['a,b', 'c']])).toEqual({ text: '"a,b",c\n', lineBreaks: false });
    expect(csvText([['a\rb', 'c']])).toEqual({ text: '"a\rb",c\n', lineBreaks: true });
  });
});
