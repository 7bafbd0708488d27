import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatIssues, type Issue, zodIssues } from '../../shared/issues';
import { ZooCatalog, type ZooCatalogEntry, ZooCatalogEntry as ZooCatalogEntrySchema } from '../../shared/schemas/zoo';
import { appRoot } from '../paths';
import { guardFileSync } from '../file-guard';
import { fileDigest } from '../file-digest';

/** Where the catalogue comes from: the shipped one, or an organisation's own (METRIC_STUDIO_ZOO_CATALOG). */
export const CATALOG_ENV = 'METRIC_STUDIO_ZOO_CATALOG';
export const CATALOG_FILE = () => process.env[CATALOG_ENV] || path.join(appRoot(), 'main', 'zoo', 'catalog.json');

/** The shipped catalogue, checked against its schema (a broken catalogue is a bug: it says where). */
export function readCatalog(file = CATALOG_FILE()): ZooCatalogEntry[] {
  guardFileSync(file, 'catalogue');
  const parsed = ZooCatalog.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${formatIssues(zodIssues(parsed.error))}`);
  return parsed.data.entries;
}

/** The folder of every zoo model and download under the data folder. */
export const zooRoot = (dataDir: string) => path.join(dataDir, 'zoo');
export const modelDir = (dataDir: string, key: string) => path.join(zooRoot(dataDir), 'models', key);
export const MANIFEST = 'manifest.json';

/** What an installed model folder says about itself (the loader needs nothing else). */
export interface InstalledManifest {
  entry: ZooCatalogEntry;
  /** The digest the download was checked against; null = none was known (unverified). */
  digest: string | null;
  verified: boolean;
  installedAt: string;
  /**
   * Every file of the folder as installed: its size, time and sha256. A file whose size differs, or whose time
   * differs and whose bytes then hash differently, was changed on disk after the download was verified.
   */
  files?: Record<string, InstalledFile>;
}

export interface InstalledFile {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The files of a finished model folder (the manifest aside), as `InstalledManifest.files` records them. */
export async function recordFiles(dir: string): Promise<Record<string, InstalledFile>> {
  const out: Record<string, InstalledFile> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === MANIFEST) continue;
    const info = statSync(path.join(dir, name));
    if (info.isFile()) out[name] = { size: info.size, mtimeMs: info.mtimeMs, sha256: await fileDigest(path.join(dir, name)) };
  }
  return out;
}

/** Cheaply (sizes and times only): whether any recorded file is not as installed — then it is not shown verified. */
export function changedOnDisk(dir: string, manifest: InstalledManifest): boolean {
  return Object.entries(manifest.files ?? {}).some(([name, want]) => {
    const file = path.join(dir, name);
    if (!existsSync(file)) return true;
    const info = statSync(file);
    return info.size !== want.size || info.mtimeMs !== want.mtimeMs;
  });
}

/**
 * Whether an installed model's files are the ones installed: by size, and by digest where the time moved (or always,
 * with `full`). Null when they are (or when the manifest predates recording); else what differs, in words.
 */
export async function damagedFiles(dir: string, manifest: InstalledManifest, full = false): Promise<string | null> {
  if (!manifest.files) return null;
  for (const [name, want] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    const info = existsSync(file) ? statSync(file) : null;
    const again = `download it again (metric-studio zoo download ${manifest.entry.key}, or the Zoo page)`;
    if (!info?.isFile()) return `${file} is missing: ${again}`;
    if (info.size !== want.size) return `${file} is ${info.size} bytes, not the ${want.size} installed: ${again}`;
    if ((full || info.mtimeMs !== want.mtimeMs) && (await fileDigest(file)) !== want.sha256)
      return `${file} has changed since it was installed (its sha256 differs): ${again}`;
  }
  return null;
}

export function readManifest(dir: string): InstalledManifest | null {
  const file = path.join(dir, MANIFEST);
  if (!existsSync(file)) return null;
  try {
    guardFileSync(file, 'manifest');
    const m = JSON.parse(readFileSync(file, 'utf8')) as InstalledManifest;
    return ZooCatalogEntrySchema.safeParse(m.entry).success ? m : null;
  } catch {
    return null;
  }
}

/**
 * A config's zoo backbone, checked against this machine: downloaded, and the config's images at its input size.
 * The one check the pre-flight (as an issue) and the training setup (as an error) both make.
 */
export function zooBackbone(
  dataDir: string,
  key: string,
  imageSize: number,
  channels: number,
): { dir: string; manifest: InstalledManifest } | { issue: Issue } {
  const dir = modelDir(dataDir, key);
  const manifest = readManifest(dir);
  if (!manifest)
    return {
      issue: {
        path: 'extractor.args.model',
        message: `zoo model "${key}" is not downloaded (Zoo page, or metric-studio zoo download ${key})`,
      },
    };
  const size = manifest.entry.inputSize;
  if (imageSize !== size || channels !== manifest.entry.channels)
    return {
      issue: { path: 'image_size', message: `zoo model "${key}" takes ${size}×${size} RGB: set image_size: ${size} and channels: 3` },
    };
  return { dir, manifest };
}
