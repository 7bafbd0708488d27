import { existsSync } from 'node:fs';
import path from 'node:path';

// No TensorFlow.js here: the training supervisor (which must not load it) asks where a run's checkpoint is.

/** The folder to read: `dir`, or the `.old` copy a kill between two renames left behind. */
export function checkpointDir(dir: string): string | null {
  if (existsSync(path.join(dir, 'meta.json'))) return dir;
  if (existsSync(path.join(`${dir}.old`, 'meta.json'))) return `${dir}.old`;
  return null;
}

/** A run's `last` checkpoint folder (what a resume starts from), or null when it has none yet. */
export function lastCheckpointOf(outDir: string): string | null {
  return checkpointDir(path.join(outDir, 'checkpoints', 'last'));
}
