import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { SAMPLE_CSV } from './tmp';

const NAMES = ['T-shirt top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle bööt'];
const CATEGORY = ['tops', 'bottoms', 'tops', 'dresses', 'tops', 'shoes', 'tops', 'shoes', 'bags', 'shoes'];

/**
 * A real image folder built from the shipped Fashion-MNIST sample: `perLabel` images per label in folders named
 * with spaces and non-ASCII letters (optionally under category folders), plus the trouble a user's folder has:
 * a truncated PNG, an empty file, a text file, a byte-identical duplicate and a label with a single image.
 */
export async function makeImageFolder(
  root: string,
  opts: { perLabel?: number; categories?: boolean } = {},
): Promise<{ root: string; good: number }> {
  const per = opts.perLabel ?? 6;
  const sampleDir = path.dirname(SAMPLE_CSV);
  const lines = readFileSync(SAMPLE_CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const taken = new Map<number, number>();
  let good = 0;
  for (const [labelCell, rel] of lines) {
    const label = Number(labelCell);
    const n = taken.get(label) ?? 0;
    if (n >= per) continue;
    taken.set(label, n + 1);
    const dir = opts.categories ? path.join(root, CATEGORY[label]!, NAMES[label]!) : path.join(root, NAMES[label]!);
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(sampleDir, rel!), path.join(dir, `img ${n} é.png`));
    good++;
  }
  const first = opts.categories ? path.join(root, CATEGORY[0]!, NAMES[0]!) : path.join(root, NAMES[0]!);
  const png = readFileSync(path.join(first, 'img 0 é.png'));
  writeFileSync(path.join(first, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  writeFileSync(path.join(first, 'empty.jpg'), '');
  writeFileSync(path.join(first, 'notes.txt'), 'not an image');
  copyFileSync(path.join(first, 'img 0 é.png'), path.join(first, 'copy of img 0.png'));
  const lonely = opts.categories ? path.join(root, 'misc', 'Lonely') : path.join(root, 'Lonely');
  mkdirSync(lonely, { recursive: true });
  // A distinct picture (the negative of one), so it is a single-instance label and not a duplicate.
  await sharp(path.join(first, 'img 1 é.png')).negate().png().toFile(path.join(lonely, 'only.png'));
  return { root, good };
}
