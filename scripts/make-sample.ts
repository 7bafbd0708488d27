/**
 * Exports Fashion-MNIST (Debian's dataset-fashion-mnist, MIT licence, Zalando Research) to an OML dataset:
 * PNG files plus df.csv. Default: the small sample shipped in samples/fashion-mnist-mini.
 *
 *   npm run sample                                   # regenerate the shipped sample
 *   npm run sample -- --out DIR --per-label 0        # the full set (70k images)
 *   --protocol unseen  train on labels 0–4 (train file), validate on labels 5–9 (test file)   [default]
 *   --protocol seen    train on all labels (train file), validate 1-vs-rest on the test file
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { stringify } from 'csv-stringify/sync';
import { forEachBounded } from '../main/dataset/files';
import { FASHION_MNIST_CATEGORY, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, readIdxImages, readIdxLabels } from '../main/dataset/idx';
import { appRoot } from '../main/paths';
import { writeSampleSummary, writeSeenSplit } from './seen-split';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: FASHION_MNIST_DIR },
    out: { type: 'string', default: path.join(appRoot(), 'samples', 'fashion-mnist-mini') },
    'per-label': { type: 'string', default: '60' },
    protocol: { type: 'string', default: 'unseen' },
  },
});
const perLabel = Number(values['per-label']); // 0 = every image
const protocol = values.protocol;
if (protocol !== 'seen' && protocol !== 'unseen') throw new Error('--protocol must be seen or unseen');

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

async function exportPart(file: 'train' | 't10k', split: 'train' | 'validation', labels: Set<number>) {
  const images = await readIdxImages(path.join(values.source!, `${file}-images-idx3-ubyte.gz`));
  const ys = await readIdxLabels(path.join(values.source!, `${file}-labels-idx1-ubyte.gz`));
  const taken = new Map<number, number>();
  const picks: number[] = [];
  for (let i = 0; i < images.count; i++) {
    const y = ys[i]!;
    if (!labels.has(y)) continue;
    const n = taken.get(y) ?? 0;
    if (perLabel > 0 && n >= perLabel) continue;
    taken.set(y, n + 1);
    picks.push(i);
  }
  const size = images.rows * images.cols;
  const rows: (string | number)[][] = [];
  await forEachBounded(picks.length, 16, async (j) => {
    const i = picks[j]!;
    const y = ys[i]!;
    const rel = path.join('images', split, slug(FASHION_MNIST_CLASSES[y]!), `${file}-${String(i).padStart(5, '0')}.png`);
    const abs = path.join(values.out!, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    const pixels = Buffer.from(images.pixels.subarray(i * size, (i + 1) * size));
    await writeFile(
      abs,
      await sharp(pixels, { raw: { width: images.cols, height: images.rows, channels: 1 } })
        .png({ compressionLevel: 9 })
        .toBuffer(),
    );
    const flag = split === 'validation' ? 'True' : '';
    rows[j] = [y, rel.split(path.sep).join('/'), split, flag, flag, FASHION_MNIST_CATEGORY[y]!];
  });
  return rows;
}

const all = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
const trainLabels = protocol === 'unseen' ? new Set([0, 1, 2, 3, 4]) : all;
const valLabels = protocol === 'unseen' ? new Set([5, 6, 7, 8, 9]) : all;

await mkdir(values.out!, { recursive: true });
const rows = [...(await exportPart('train', 'train', trainLabels)), ...(await exportPart('t10k', 'validation', valLabels))];
const csv = stringify(rows, { header: true, columns: ['label', 'path', 'split', 'is_query', 'is_gallery', 'category'] });
await writeFile(path.join(values.out!, 'df.csv'), csv);
await writeFile(
  path.join(values.out!, 'README.md'),
  `# Fashion-MNIST in OML format (${protocol} labels protocol)

${rows.length} images exported by \`scripts/make-sample.ts\` from Fashion-MNIST
(Han Xiao, Kashif Rasul, Roland Vollgraf, Zalando Research, 2017; MIT licence; https://github.com/zalandoresearch/fashion-mnist).

- train: ${[...trainLabels].map((l) => `${l} ${FASHION_MNIST_CLASSES[l]}`).join(', ')} (from the training file)
- validation (1-vs-rest, every row both query and gallery): ${[...valLabels].map((l) => `${l} ${FASHION_MNIST_CLASSES[l]}`).join(', ')} (from the test file)
- ${perLabel > 0 ? `${perLabel} images per label per split` : 'every image'}; \`category\` groups labels into clothing, footwear and bags.
${protocol === 'unseen' ? "\n`df_seen.csv`: the same images with every label in both splits (each label's first half trains, the other half validates) — the start-here recipe `recipes/fashion-mnist-mini-seen.yaml`.\n" : ''}`,
);
await writeSampleSummary(path.join(values.out!, 'df.csv'), rows.length);
if (protocol === 'unseen') await writeSeenSplit(values.out!);
console.log(`wrote ${rows.length} rows to ${path.join(values.out!, 'df.csv')}`);
