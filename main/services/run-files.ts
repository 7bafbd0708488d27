import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunStore } from '../store/runs';

/**
 * Deletes a run's rows and, when asked, its output folder — but only a folder inside the data folder, so a
 * tampered out_dir can never point the deletion elsewhere. Returns the folder removed, if any.
 */
export async function deleteRunAndFiles(store: RunStore, dataDir: string, runId: number, deleteFiles: boolean): Promise<string | null> {
  const dir = await store.deleteRun(runId);
  const inside = dir !== null && path.resolve(dir).startsWith(path.resolve(dataDir) + path.sep);
  if (!deleteFiles || !inside) return null;
  await rm(dir, { recursive: true, force: true });
  return dir;
}
