import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'ms-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a CSV from rows of cells (header first). */
export function writeCsv(file: string, rows: (string | number)[][]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${rows.map((r) => r.join(',')).join('\n')}\n`);
  return file;
}

/** A small real PNG (a grey gradient with a per-seed offset) at `file`. */
export async function writePng(file: string, width = 16, height = 16, seed = 0): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256;
  await sharp(data, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(file);
  return file;
}

export const SAMPLE_CSV = path.resolve(import.meta.dirname, '../../samples/fashion-mnist-mini/df.csv');
