import path from 'node:path';
import { ApiError } from '../../shared/api';
import type { EmbedModel } from '../engine/worker-protocol';
import { defaultDataDir } from '../paths';
import { embedModelOf } from '../services/explorer';
import { EmbeddingSets } from '../services/embedding-sets';
import { ZooService } from '../services/zoo';
import { RunStore } from '../store/runs';
import { UsageError } from './args';

/** The flags of a command that embeds a dataset with a model: the dataset, and one model (or raw pixels). */
export const DATASET_MODEL_OPTIONS = {
  dataset: { type: 'string' },
  root: { type: 'string' },
  checkpoint: { type: 'string' },
  zoo: { type: 'string' },
  baseline: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** The model a command's flags name: --checkpoint DIR, --zoo KEY (installed under --data-dir), or raw pixels. */
export function cliEmbedModel(values: { checkpoint?: string; zoo?: string; 'data-dir'?: string }): EmbedModel {
  if (!values.zoo) return embedModelOf(values.checkpoint ? path.resolve(values.checkpoint) : undefined);
  const zoo = new ZooService(values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir());
  try {
    return embedModelOf(undefined, { key: values.zoo, dir: zoo.installedDir(values.zoo) });
  } catch (e) {
    throw e instanceof ApiError ? new UsageError(e.message, 1) : e;
  }
}

/**
 * Runs `fn` with the data folder's stored embeddings (--data-dir or the app's): a dataset and model embedded
 * before — by the app's explorer or an earlier command — are read back instead of embedded again.
 */
export async function withEmbeddingSets<T>(values: { 'data-dir'?: string }, fn: (sets: EmbeddingSets) => Promise<T>): Promise<T> {
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  const store = await RunStore.open(dataDir);
  try {
    return await fn(new EmbeddingSets(store, path.join(dataDir, 'embeddings')));
  } finally {
    await store.close();
  }
}
