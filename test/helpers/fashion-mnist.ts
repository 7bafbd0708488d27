import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { forEachBounded } from '../../main/dataset/files';
import { FASHION_MNIST_DIR, readIdxImages, readIdxLabels } from '../../main/dataset/idx';

/**
 * A real dataset of Fashion-MNIST's test file (Debian's dataset-fashion-mnist): the first `count` images as PNGs,
 * all in validation (1-vs-rest), plus 10 training images of two labels so the table passes the checker.
 */
export async function writeFashionMnistValidation(dir: string, count: number): Promise<string> {
  const images = await readIdxImages(path.join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
  const labels = await readIdxLabels(path.join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
  const size = images.rows * images.cols;
  const n = Math.min(count, images.count);
  const rows: string[] = new Array(n);
  await mkdir(path.join(dir, 'images'), { recursive: true });
  await forEachBounded(n, 16, async (i) => {
    const rel = `images/${String(i).padStart(5, '0')}.png`;
    const png = await sharp(Buffer.from(images.pixels.subarray(i * size, (i + 1) * size)), {
      raw: { width: images.cols, height: images.rows, channels: 1 },
    })
      .png()
      .toBuffer();
    await writeFile(path.join(dir, rel), png);
    rows[i] = `${labels[i]},${rel},validation,True,True`;
  });
  // Training rows reuse the first images of labels 100/101 (not in validation): only the checker needs them.
  const train = Array.from({ length: 10 }, (_, i) => `${100 + (i % 2)},images/${String(i).padStart(5, '0')}.png,train,,`);
  const csv = path.join(dir, 'df.csv');
  await writeFile(csv, `${['label,path,split,is_query,is_gallery', ...train, ...rows].join('\n')}\n`);
  return csv;
}
