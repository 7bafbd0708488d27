/**
 * vitest globalSetup: every command a test runs without --data-dir (evaluate and search store embeddings there)
 * gets a throw-away data folder, never the developer's own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATA_DIR_ENV } from '../../main/paths';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-test-data-'));
  process.env[DATA_DIR_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
