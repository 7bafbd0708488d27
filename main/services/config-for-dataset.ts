/**
 * "Train on this dataset": a config made for the dataset, not the last one edited with its path swapped in. It starts
 * from the shipped from-scratch recipe and takes from the data what the recipe assumed of Fashion-MNIST: colour or
 * grey, the image size, and a balance sampler that fits the training labels; the run gets the dataset's name.
 */
import path from 'node:path';
import { imageInput } from '../file-guard';
import YAML from 'yaml';
import { forEachBounded } from '../dataset/files';
import { type DatasetTable, SPLIT_TRAIN } from '../dataset/table';

/** The recipe a dataset's config starts from: a small CNN with triplet loss, trained from scratch. */
export const BASE_RECIPE = 'fashion-mnist-mini-seen';
/** Images looked at (spread over the training rows): enough for a median, cheap on a slow disk. */
const SAMPLED = 40;
/** A small CNN trained from scratch on a CPU: past this side a step gets slow for what it learns (zoo models take 224). */
const MAX_SIDE = 128;

export interface DatasetFacts {
  /** 3 when any sampled image has colour, else 1. */
  channels: 1 | 3;
  /** The median shorter side of the sampled images, within 16–128 and a multiple of 4. */
  imageSize: number;
  trainLabels: number;
  /** The median number of training images per label. */
  medianInstances: number;
  sampled: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
};

/** An RGB file may hold a grey picture (Fashion-MNIST's PNGs do): its pixels say, on a 16×16 thumbnail. */
async function hasColour(file: string): Promise<boolean> {
  const got = await (await imageInput(file))
    .resize(16, 16, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(() => null);
  if (!got || got.info.channels < 3) return false;
  const { data, info } = got;
  for (let p = 0; p < data.length; p += info.channels)
    if (Math.abs(data[p]! - data[p + 1]!) > 8 || Math.abs(data[p + 1]! - data[p + 2]!) > 8) return true;
  return false;
}

export async function datasetFacts(t: DatasetTable): Promise<DatasetFacts> {
  const train: number[] = [];
  const perLabel = new Map<number, number>();
  for (let i = 0; i < t.size; i++)
    if (t.split[i] === SPLIT_TRAIN) {
      train.push(i);
      perLabel.set(t.label[i]!, (perLabel.get(t.label[i]!) ?? 0) + 1);
    }
  const rows = train.length ? train : Array.from({ length: t.size }, (_, i) => i);
  const step = Math.max(1, Math.floor(rows.length / SAMPLED));
  const picked = rows.filter((_, j) => j % step === 0).slice(0, SAMPLED);
  const sides: number[] = [];
  let colour = false;
  await forEachBounded(picked.length, 8, async (j) => {
    const file = path.resolve(t.root, t.path[picked[j]!]!);
    const meta = await imageInput(file)
      .then((img) => img.metadata())
      .catch(() => null);
    if (!meta?.width || !meta.height) return;
    sides.push(Math.min(meta.width, meta.height));
    if (!colour && meta.space !== 'b-w' && (meta.channels ?? 1) >= 3) colour = await hasColour(file);
  });
  const side = median(sides) || 28;
  return {
    channels: colour ? 3 : 1,
    imageSize: Math.min(MAX_SIDE, Math.max(16, Math.round(side / 4) * 4)),
    trainLabels: perLabel.size,
    medianInstances: median([...perLabel.values()]),
    sampled: sides.length,
  };
}

/** A slug of the dataset's name for the run's postfix: letters, digits and _ only. */
export function runPostfix(csvPath: string): string {
  const folder = path.basename(path.dirname(csvPath));
  const file = path.basename(csvPath).replace(/\.csv$/i, '');
  const name = file === 'df' ? folder : `${folder}_${file}`;
  return `${name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'dataset'}_small_cnn_triplet`;
}

/** The base recipe's settings, fitted to the dataset; the YAML says where each fitted value came from. */
export function configForDataset(baseYaml: string, csvPath: string, root: string, facts: DatasetFacts): string {
  const doc = YAML.parse(baseYaml) as Record<string, unknown>;
  const nLabels = Math.max(2, Math.min(5, facts.trainLabels));
  const nInstances = Math.max(2, Math.min(8, facts.medianInstances));
  const fitted: Record<string, unknown> = {
    ...doc,
    postfix: runPostfix(csvPath),
    dataset: csvPath,
    dataset_root: root,
    image_size: facts.imageSize,
    channels: facts.channels,
    sampler: { name: 'balance', args: { n_labels: nLabels, n_instances: nInstances } },
  };
  const header = [
    `Made for ${csvPath} from the ${BASE_RECIPE} recipe (a small CNN with triplet loss, trained from scratch).`,
    `From ${facts.sampled} of its training images: ${facts.channels === 3 ? 'colour' : 'grey'}, median shorter side ${facts.imageSize} px${facts.imageSize === MAX_SIDE ? ` (at most ${MAX_SIDE} for a network trained from scratch)` : ''};`,
    `${facts.trainLabels} training labels, ${facts.medianInstances} images for the median one: batches of ${nLabels} labels × ${nInstances}.`,
    'For photos, a zoo model (Zoo → Fine-tune) usually does better than training from scratch.',
  ];
  const out = new YAML.Document(fitted);
  out.commentBefore = header.map((l) => ` ${l}`).join('\n');
  return out.toString({ lineWidth: 0 });
}
