import { lstat, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunStore } from '../store/runs';

/** The one folder a run's files may be deleted from: `DATA/runs/<id>`, a real folder (not a link) at that place. */
async function ownFolder(dataDir: string, runId: number, stored: string | null): Promise<string | null> {
  if (stored === null) return null;
  const expected = path.join(dataDir, 'runs', String(runId));
  try {
    const info = await lstat(expected);
    if (!info.isDirectory() || info.isSymbolicLink()) return null;
    // The stored path must name that very folder (after links and `..` are resolved), nothing above or beside it.
    const [real, own] = await Promise.all([realpath(stored), realpath(expected)]);
    return real === own ? own : null;
  } catch {
    return null;
  }
}

/**
 * Deletes a run's rows and, when asked, its output folder — only `DATA/runs/<id>` itself, checked after resolving
 * links: a tampered out_dir (the runs folder, the database, a link out of the data folder) deletes nothing.
 * Returns the folder removed, if any.
 */
export async function deleteRunAndFiles(store: RunStore, dataDir: string, runId: number, deleteFiles: boolean): Promise<string | null> {
  const stored = await store.outDir(runId);
  const own = deleteFiles ? await ownFolder(dataDir, runId, stored) : null;
  await store.deleteRun(runId);
  if (!own) return null;
  await rm(own, { recursive: true, force: true });
  return own;
}
