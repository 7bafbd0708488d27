import path from 'node:path';
import { ApiError } from '../../shared/api';
import type { EmbedModel } from '../engine/worker-protocol';
import { defaultDataDir } from '../paths';
import { embedModelOf } from '../services/explorer';
import { ZooService } from '../services/zoo';
import { UsageError } from './args';

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
