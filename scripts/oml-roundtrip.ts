/**
 * `npm run oml:roundtrip` — a model trained with OML comes back: a small OML-style extractor (scripts/oml-roundtrip.py,
 * Debian's python3-torch) is exported to ONNX, imported with `zoo import --oml` from an experiment `export-oml` wrote,
 * and embeds the shipped sample's validation images here as PyTorch did (the max abs difference is printed); then it
 * stands on the dataset's leaderboard beside raw pixels. Both sides read the same pixels: the images are resized once,
 * by sharp, before either embeds them. Not part of `npm test` (CI has no PyTorch).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import YAML from 'yaml';
import { readDatasetCsv, imagePath, validationRows } from '../main/dataset/table';
import { appRoot } from '../main/paths';
import { cli } from './results-cli';

const root = appRoot();
const SIZE = 64;
const work = path.join(os.tmpdir(), `metric-studio-oml-roundtrip-${process.pid}`);
const dataDir = path.join(work, 'data');
rmSync(work, { recursive: true, force: true });
const images = path.join(work, 'images');
mkdirSync(images, { recursive: true });

// The sample's validation images at the model's size, RGB, as PNG: the pixels both sides embed.
const sample = path.join(root, 'samples', 'fashion-mnist-mini', 'df.csv');
const { table } = await readDatasetCsv(sample);
const rows = validationRows(table);
const csvRows = [['label', 'path', 'split', 'is_query', 'is_gallery']];
const names: string[] = [];
const pixels: Buffer[] = [];
for (const r of rows) {
  const name = `${String(r).padStart(4, '0')}.png`;
  const file = path.join(images, name);
  await sharp(imagePath(table, r)).resize(SIZE, SIZE, { fit: 'fill' }).toColourspace('srgb').removeAlpha().png().toFile(file);
  // What the PNG decodes to is what both sides embed (PNG is lossless).
  pixels.push(await sharp(file).removeAlpha().raw().toBuffer());
  names.push(file);
  csvRows.push([String(table.label[r]), `images/${name}`, 'validation', 'True', 'True']);
}
writeFileSync(path.join(work, 'pixels.bin'), Buffer.concat(pixels));
writeFileSync(path.join(work, 'names.json'), JSON.stringify(names));
const csv = path.join(work, 'df.csv');
writeFileSync(csv, `${csvRows.map((r) => r.join(',')).join('\n')}\n`);

// Debian's python3-torch lives under /usr/bin/python3 (a python3 earlier on PATH may lack it).
const py = spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'oml-roundtrip.py'), work, String(SIZE)], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(`PyTorch side failed (apt-get install python3-torch):\n${py.stderr}`);
console.log(py.stdout.trim());

// An experiment exported at this size: zoo import --oml reads its size and normalisation.
const config = path.join(work, 'config.yaml');
writeFileSync(
  config,
  YAML.stringify({
    postfix: 'oml_roundtrip',
    dataset: csv,
    image_size: SIZE,
    channels: 3,
    sampler: { name: 'balance', args: { n_labels: 2, n_instances: 2 } },
    max_epochs: 1,
    extractor: { name: 'resnet18' },
    criterion: { name: 'triplet_with_miner', args: { margin: 0.2 } },
    optimizer: { name: 'adam', args: { lr: 0.001 } },
  }),
);
cli(['export-oml', config, '--out', path.join(work, 'exp'), '--data-dir', dataDir]);
console.log(
  cli([
    'zoo',
    'import',
    path.join(work, 'extractor.onnx'),
    '--key',
    'oml_roundtrip',
    '--oml',
    path.join(work, 'exp'),
    '--data-dir',
    dataDir,
  ]).out.trim(),
);
const predictions = path.join(work, 'predictions.json');
cli(['predict', '--zoo', 'oml_roundtrip', '--app-data-dir', dataDir, '--data-dir', images, '--out', predictions]);
const ours = JSON.parse(readFileSync(predictions, 'utf8')) as Record<string, number[]>;
const theirs = JSON.parse(readFileSync(path.join(work, 'torch-predictions.json'), 'utf8')) as Record<string, number[]>;
let worst = 0;
let compared = 0;
for (const [file, v] of Object.entries(theirs)) {
  const mine = ours[file] ?? ours[path.relative(images, file)];
  if (!mine) throw new Error(`no embedding of ${file} from metric-studio predict`);
  for (let j = 0; j < v.length; j++) worst = Math.max(worst, Math.abs(v[j]! - mine[j]!));
  compared++;
}
console.log(
  `${compared} images, ${Object.values(theirs)[0]!.length}-d: max abs difference between PyTorch and Metric Studio ${worst.toExponential(2)}`,
);
console.log(cli(['leaderboard', '--dataset', csv, '--data-dir', dataDir]).out.trim());
rmSync(work, { recursive: true, force: true });
