import path from 'node:path';
import { existsSync } from 'node:fs';
import type { SampleDataset } from '../../shared/schemas/dataset';
import { appRoot } from '../paths';

/** The dataset shipped in the repository, so a fresh install has something real to open. */
export function sampleDatasets(): SampleDataset[] {
  const dir = path.join(appRoot(), 'samples', 'fashion-mnist-mini');
  const csvPath = path.join(dir, 'df.csv');
  if (!existsSync(csvPath)) return [];
  return [
    {
      id: 'fashion-mnist-mini',
      name: 'Fashion-MNIST mini',
      csvPath,
      root: dir,
      description: 'Fashion-MNIST images (MIT, Zalando Research): train on labels 0–4, validate 1-vs-rest on unseen labels 5–9.',
    },
  ];
}
