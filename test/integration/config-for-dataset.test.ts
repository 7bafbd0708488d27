// "Train on this dataset" makes a config for the dataset (issue #31, item 2: an RGB icon dataset got 28 px, 1 channel,
// the previous run's name and the sample's comments): colour and image size from the images, a sampler that fits
// its training labels, the dataset's name; it validates against the dataset and trains.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Core, startCore } from '../../main/services/core';
import { SAMPLE_ROOT } from '../helpers/training';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let core: Core;

async function call<T>(method: string, input: unknown): Promise<T> {
  const res = await core.dispatch(method as never, input as never);
  if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
  return res.result as T;
}

/** Coloured 40×48 pictures: 4 train labels × 3, 3 validation labels × 3; each label its own hue, each image its own shade. */
async function colourDataset(root: string): Promise<string> {
  const lines = ['label,path,split,is_query,is_gallery'];
  for (let label = 0; label < 7; label++)
    for (let i = 0; i < 3; i++) {
      const rel = `icons/${label}/${i}.png`;
      mkdirSync(path.join(root, 'icons', String(label)), { recursive: true });
      const hue = [(label * 70) % 256, (label * 130 + i * 20) % 256, (255 - label * 30) % 256];
      await sharp({ create: { width: 40, height: 48, channels: 3, background: { r: hue[0]!, g: hue[1]!, b: hue[2]! } } })
        .png()
        .toFile(path.join(root, rel));
      lines.push(label < 4 ? `${label},${rel},train,,` : `${label},${rel},validation,True,True`);
    }
  const csv = path.join(root, 'df.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  return csv;
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-config-for-'));
  core = await startCore(path.join(dir, 'data'), 'web', () => {});
});
afterAll(async () => {
  await core.close();
  cleanup();
});

describe('a config made for the dataset', () => {
  it('takes colour, image size, sampler and name from an RGB dataset, validates against it and trains', async () => {
    const root = path.join(dir, 'my icons');
    const csv = await colourDataset(root);
    await call('datasets.inspect', { csvPath: csv });
    const made = await call<{ yaml: string; facts: Record<string, number> }>('train.configFor', { csvPath: csv });
    expect(made.facts).toEqual({ channels: 3, imageSize: 40, trainLabels: 4, medianInstances: 3, sampled: 12 });
    const doc = YAML.parse(made.yaml);
    expect(doc).toMatchObject({
      postfix: 'my_icons_small_cnn_triplet',
      dataset: csv,
      dataset_root: root,
      image_size: 40,
      channels: 3,
      sampler: { name: 'balance', args: { n_labels: 4, n_instances: 3 } },
    });
    // Says where the values came from, and nothing of the sample.
    expect(made.yaml).toMatch(/^# Made for .*df\.csv from the fashion-mnist-mini-seen recipe/);
    expect(made.yaml).toContain('colour, median shorter side 40 px');
    expect(made.yaml).not.toMatch(/Start here|df_seen|labels 5-9/);
    const checked = await call<{ issues: unknown[] }>('train.validate', { yaml: made.yaml });
    expect(checked.issues).toEqual([]);
    // It trains: two epochs on the colour images.
    const short = YAML.stringify({ ...doc, max_epochs: 2, valid_period: 2 });
    const { runId } = await call<{ runId: number }>('train.start', { yaml: short, baseDir: root });
    for (let i = 0; i < 900; i++) {
      const r = await call<{ status: string }>('runs.get', { id: runId });
      if (!['queued', 'running'].includes(r.status)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const run = await call<{ status: string; name: string; error: string | null }>('runs.get', { id: runId });
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(run.name).toBe('my_icons_small_cnn_triplet');
  }, 120_000);

  it('keeps a grey dataset grey at its own size, and refuses an unregistered one', async () => {
    await call('datasets.inspect', { csvPath: SAMPLE_CSV, root: SAMPLE_ROOT });
    const made = await call<{ yaml: string; facts: { channels: number; imageSize: number; trainLabels: number } }>('train.configFor', {
      csvPath: SAMPLE_CSV,
      root: SAMPLE_ROOT,
    });
    expect(made.facts).toMatchObject({ channels: 1, imageSize: 28, trainLabels: 5 });
    expect(YAML.parse(made.yaml)).toMatchObject({ postfix: 'fashion_mnist_mini_small_cnn_triplet', channels: 1, image_size: 28 });
    const res = await core.dispatch('train.configFor', { csvPath: path.join(dir, 'nowhere.csv') });
    expect(res).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
