/**
 * `npm run quality:scale`: the data-quality report on all 70,000 Fashion-MNIST images (Debian's
 * dataset-fashion-mnist: 60,000 train rows, 10,000 validation rows) with raw pixels, through the real CLI — the
 * time it takes and the peak memory of the largest process (GNU time's maximum resident set), for the README.
 * The images are written once as PNGs under the system's temp folder and reused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { forEachBounded } from '../main/dataset/files';
import { FASHION_MNIST_DIR, readIdxImages, readIdxLabels } from '../main/dataset/idx';

const DIR = path.join(os.tmpdir(), 'metric-studio-fashion-mnist-70k');
const BIN = path.resolve(import.meta.dirname, '../bin/metric-studio.mjs');

async function writeDataset(): Promise<string> {
  const csv = path.join(DIR, 'df.csv');
  if (existsSync(csv)) return csv;
  const lines = ['label,path,split,is_query,is_gallery'];
  for (const [file, split] of [
    ['train', 'train'],
    ['t10k', 'validation'],
  ] as const) {
    const images = await readIdxImages(path.join(FASHION_MNIST_DIR, `${file}-images-idx3-ubyte.gz`));
    const labels = await readIdxLabels(path.join(FASHION_MNIST_DIR, `${file}-labels-idx1-ubyte.gz`));
    const size = images.rows * images.cols;
    await mkdir(path.join(DIR, file), { recursive: true });
    const rows: string[] = new Array(images.count);
    await forEachBounded(images.count, 16, async (i) => {
      const rel = `${file}/${String(i).padStart(5, '0')}.png`;
      const raw = { width: images.cols, height: images.rows, channels: 1 as const };
      await writeFile(
        path.join(DIR, rel),
        await sharp(Buffer.from(images.pixels.subarray(i * size, (i + 1) * size)), { raw })
          .png()
          .toBuffer(),
      );
      rows[i] = split === 'train' ? `${labels[i]},${rel},train,,` : `${labels[i]},${rel},validation,True,True`;
    });
    lines.push(...rows);
  }
  await writeFile(`${csv}.part`, `${lines.join('\n')}\n`);
  const { rename } = await import('node:fs/promises');
  await rename(`${csv}.part`, csv);
  return csv;
}

const t0 = performance.now();
const csv = await writeDataset();
console.log(`dataset: ${csv} (${((performance.now() - t0) / 1000).toFixed(0)} s to prepare)`);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ms-quality-scale-'));
try {
  const start = performance.now();
  const run = spawnSync(
    '/usr/bin/time',
    ['-v', process.execPath, BIN, 'quality', '--dataset', csv, '--baseline', 'raw-pixels', '--json', '--data-dir', dataDir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`quality failed:\n${run.stderr.slice(-4000)}`);
  // Again with another threshold: the embeddings are reused, so this is the kNN and the report alone.
  const again = performance.now();
  const second = spawnSync(
    process.execPath,
    [BIN, 'quality', '--dataset', csv, '--baseline', 'raw-pixels', '--json', '--dup-threshold', '0.05', '--data-dir', dataDir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  if (second.status !== 0) throw new Error(`quality failed:\n${second.stderr.slice(-4000)}`);
  const knnSeconds = (performance.now() - again) / 1000;
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? Number.NaN) / 1024;
  const r = JSON.parse(run.stdout);
  const leaks = r.near_duplicates.filter((d: { cross_split: boolean }) => d.cross_split).length;
  const conflicts = r.near_duplicates.filter((d: { cross_label: boolean }) => d.cross_label).length;
  console.log(
    [
      `rows ${r.rows}, ${r.neighbours} neighbours each, raw pixels`,
      `wall time ${seconds.toFixed(0)} s (of which ${knnSeconds.toFixed(0)} s the exact kNN over all rows and the report, timed again with the embeddings stored) on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), peak memory of the largest process ${peak.toFixed(0)} MB`,
      `near-duplicate threshold ${r.dup_threshold.toPrecision(3)} (${r.dup_threshold_rule})`,
      `near duplicates: ${r.near_duplicates.length} clusters, ${leaks} across train and validation, ${conflicts} across labels`,
      `suspected mislabels ${r.suspected_mislabels.length}, outliers ${r.outliers.length}, overlapping label pairs ${r.label_overlap.length}`,
    ].join('\n'),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
