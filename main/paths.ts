import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRODUCT_NAME = 'Metric Studio';
export const DATA_DIR_ENV = 'METRIC_STUDIO_DATA_DIR';

function here(): string {
  // The Electron main bundle is CommonJS (no import.meta); everything else runs as ESM.
  return typeof __dirname === 'string' ? __dirname : path.dirname(fileURLToPath(import.meta.url));
}

/** The folder holding package.json: samples, the built renderer and the zoo catalogue are found from it. */
export function appRoot(start = here()): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'metric-studio') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Metric Studio's package.json above ${start}`);
    dir = parent;
  }
}

export function appVersion(): string {
  return JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')).version;
}

/**
 * Where runs, checkpoints and downloads live. Same rule as Electron's app.getPath('userData') for our
 * product name, so the app, the CLI and web mode share one database; overridable for tests and servers.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = os.homedir()): string {
  if (env[DATA_DIR_ENV]) return path.resolve(env[DATA_DIR_ENV]);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), PRODUCT_NAME);
}

/**
 * A relative path of plain names ("a/b.jpg"): not absolute, no drive, no empty, "." or ".." segment. Resolved
 * against any folder it stays inside it and comes back unchanged from path.relative — so per-row code (a million
 * rows) can skip path.resolve for it.
 */
export function isPlainRelative(p: string): boolean {
  if (p === '' || path.isAbsolute(p) || /^[a-zA-Z]:/.test(p)) return false;
  return !EMPTY_OR_DOT_SEGMENT.test(p);
}
/** A segment that is empty, "." or "..": one test per path, where a split made an array per row of a table. */
const EMPTY_OR_DOT_SEGMENT = /(?:^|[\\/])\.{0,2}(?:[\\/]|$)/;

/** True when `target` is `folder` itself or lies below it (both resolved; compare realpaths for links). */
export function isInside(folder: string, target: string): boolean {
  const rel = path.relative(path.resolve(folder), path.resolve(target));
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Why a folder is too broad to be a dataset's root or a wizard source — the file system's root, the home folder
 * itself or the folder holding homes, or a system folder — or null. A root is what thumbnail requests may read
 * from, and a wizard walks all of its source: either over one of these would reach every file of the user.
 */
export function broadFolder(dir: string, home = os.homedir()): string | null {
  const d = path.resolve(dir);
  if (path.parse(d).root === d) return `${d} is the root of the file system`;
  if (home && d === path.resolve(home)) return `${d} is your home folder itself`;
  if (home && d === path.dirname(path.resolve(home))) return `${d} holds the home folders`;
  if (process.platform !== 'win32' && /^\/(etc|proc|sys|dev|bin|sbin|usr|var|boot|lib|lib64|run)$/.test(d))
    return `${d} is a system folder`;
  return null;
}
