/**
 * The shipped sample's second table, df_seen.csv: the same 600 images, every label in both splits (each label's
 * first 30 images train, its other 30 validate, 1-vs-rest). Training on labels it will be validated on is the
 * first thing that shows what metric learning does on 600 small images: a new user's first run gets better than
 * the untrained network and than raw pixels (README: "Your first run"). The unseen-labels table, df.csv, is the
 * harder protocol OML's benchmarks use.
 *
 *   node bin/run-ts.mjs scripts/seen-split.ts [SAMPLE_DIR]   (also run by `npm run sample`)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { appRoot } from '../main/paths';
import { FASHION_MNIST_CLASSES } from '../main/dataset/idx';
import { summaryPathOf } from '../main/dataset/convert/write';

/** Writes `dir/df_seen.csv` from `dir/df.csv`: each label's first half of its rows trains, the rest validates. */
export async function writeSeenSplit(dir: string): Promise<number> {
  const rows = parse(await readFile(path.join(dir, 'df.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const total = new Map<string, number>();
  for (const r of rows) total.set(r.label!, (total.get(r.label!) ?? 0) + 1);
  const seen = new Map<string, number>();
  const out: Record<string, string>[] = rows.map((r) => {
    const n = seen.get(r.label!) ?? 0;
    seen.set(r.label!, n + 1);
    const validation = n >= Math.floor(total.get(r.label!)! / 2);
    return { ...r, split: validation ? 'validation' : 'train', is_query: validation ? 'True' : '', is_gallery: validation ? 'True' : '' };
  });
  out.sort((a, b) => Number(a.split === 'validation') - Number(b.split === 'validation') || Number(a.label) - Number(b.label));
  await writeFile(path.join(dir, 'df_seen.csv'), stringify(out, { header: true, columns: Object.keys(rows[0]!) }));
  await writeSampleSummary(path.join(dir, 'df_seen.csv'), out.length);
  return out.length;
}

/**
 * The summary the app keeps beside a CSV it writes (`df.summary.json`): here only what the sample needs — the
 * label names, which OML's CSV cannot hold, so the app shows "Dress (3)" instead of "label 3".
 */
export async function writeSampleSummary(csv: string, rows: number): Promise<void> {
  const labelNames = Object.fromEntries(FASHION_MNIST_CLASSES.map((name, id) => [id, name]));
  const summary = { createdAt: new Date(0).toISOString(), source: 'Fashion-MNIST (scripts/make-sample.ts)', rows, labelNames };
  await writeFile(summaryPathOf(csv), `${JSON.stringify(summary, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? path.join(appRoot(), 'samples', 'fashion-mnist-mini');
  console.log(`wrote ${await writeSeenSplit(dir)} rows to ${path.join(dir, 'df_seen.csv')}`);
  await writeSampleSummary(path.join(dir, 'df.csv'), 600);
}
