// A copy of the shipped sample with known problems planted: labels flipped on 5 % of rows (30), half of label 7's
// rows renamed to 11 (two names for one identity), and 10 training images copied into validation after a resize
// and a JPEG re-encode (leaks). Rows are spreadsheet rows (header = 1).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import sharp from 'sharp';
import { mulberry32, shuffled } from '../../main/random';
import { SAMPLE_CSV } from './tmp';

export const PLANTED_ROOT = path.dirname(SAMPLE_CSV);

export interface Planted {
  csv: string;
  /** [training row, its copy's validation row] */
  leaks: [number, number][];
  flipped: Set<number>;
}

export async function plantProblems(dir: string): Promise<Planted> {
  const planted: Planted = { csv: path.join(dir, 'df.csv'), leaks: [], flipped: new Set() };
  const [header, ...rows] = parse(readFileSync(SAMPLE_CSV)) as string[][];
  const col = Object.fromEntries(header!.map((h, i) => [h, i])) as Record<string, number>;
  const rng = mulberry32(11);
  const out = rows.map((r) => [...r]);
  const labelsOf = (split: string) => [...new Set(rows.filter((r) => r[col.split!] === split).map((r) => r[col.label!]!))];
  for (const i of shuffled(
    rows.map((_, i) => i),
    rng,
  ).slice(0, 30)) {
    const own = out[i]![col.label!]!;
    const others = labelsOf(out[i]![col.split!]!).filter((l) => l !== own && l !== '7');
    out[i]![col.label!] = others[Math.floor(rng() * others.length)]!;
    planted.flipped.add(i + 2);
  }
  const sevens = out.map((r, i) => (r[col.label!] === '7' && !planted.flipped.has(i + 2) ? i : -1)).filter((i) => i >= 0);
  for (const i of sevens.slice(0, sevens.length / 2)) out[i]![col.label!] = '11';
  const train = out.map((r, i) => (r[col.split!] === 'train' && !planted.flipped.has(i + 2) ? i : -1)).filter((i) => i >= 0);
  for (const [n, i] of shuffled(train, rng).slice(0, 10).entries()) {
    const copy = path.join(dir, `leak-${n}.jpg`);
    await sharp(path.join(PLANTED_ROOT, out[i]![col.path!]!)).resize(26, 26).resize(28, 28).jpeg({ quality: 85 }).toFile(copy);
    const row = [...out[i]!];
    row[col.path!] = copy;
    row[col.split!] = 'validation';
    row[col.is_query!] = 'True';
    row[col.is_gallery!] = 'True';
    out.push(row);
    planted.leaks.push([i + 2, out.length + 1]);
  }
  writeFileSync(planted.csv, stringify([header!, ...out]));
  return planted;
}
