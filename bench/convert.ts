import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { convert } from '../main/dataset/convert/convert';
import { DEFAULT_SPLIT } from '../main/dataset/convert/plan';

/**
 * Table → OML CSV conversion of `rows` rows (image checks off: the table's own throughput), against the floor of
 * the same work — one csv-parse → csv-stringify pass over the same file — measured in the same run.
 */
export async function benchConvert(rows: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-convert-'));
  try {
    const src = path.join(dir, 'table.csv');
    const w = createWriteStream(src);
    w.write('file,class,category\n');
    for (let i = 0; i < rows; i++) {
      if (!w.write(`images/${i % 1000}/${i}.jpg,label_${Math.floor(i / 10)},cat_${i % 7}\n`)) await once(w, 'drain');
    }
    w.end();
    await once(w, 'finish');

    const t0 = performance.now();
    await pipeline(
      createReadStream(src),
      parse({ columns: true }),
      stringify({ header: true }),
      createWriteStream(path.join(dir, 'copy.csv')),
    );
    const floor = (performance.now() - t0) / 1000;

    const rss0 = process.memoryUsage().rss;
    const t1 = performance.now();
    const r = await convert({
      source: src,
      out: path.join(dir, 'df.csv'),
      mapping: { path: 'file', label: 'class', category: 'category' },
      split: { ...DEFAULT_SPLIT, valFraction: 0.2 },
      checkImages: false,
    });
    const ours = (performance.now() - t1) / 1000;
    const rss = (process.memoryUsage().rss - rss0) / 2 ** 20;
    return [
      `convert a ${rows.toLocaleString('en')}-row table to OML CSV (split, flags, validation with check's rules)`,
      `  Metric Studio convert: ${(rows / ours).toFixed(0)} rows/s (${ours.toFixed(1)} s, ${r.report.summary.labels} labels, +${rss.toFixed(0)} MB RSS)`,
      `  floor, csv-parse → csv-stringify of the same file: ${(rows / floor).toFixed(0)} rows/s (${floor.toFixed(1)} s)`,
      `  ratio (ours / floor): ${(floor / ours).toFixed(2)}×`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
