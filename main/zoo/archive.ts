import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

/** An archive that must not be unpacked: an entry leaving its folder, a link, or more bytes than allowed. */
export class ArchiveError extends Error {}

export interface ArchiveLimits {
  /** Largest single file taken out of the archive. */
  maxFileBytes: number;
  /** Largest total of the files taken. */
  maxTotalBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = { maxFileBytes: 512 << 20, maxTotalBytes: 1536 << 20 };

/** A name that would leave the extraction folder: absolute, a drive letter, or with a `..` segment. */
export function unsafeEntryName(name: string): boolean {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || name.includes('\0')) return true;
  return name.split(/[\\/]+/).some((seg) => seg === '..');
}

/**
 * Reads the files named in `wanted` out of a .tgz, in memory, refusing the whole archive when any entry is
 * unsafe (path traversal, absolute names), when a wanted name is a link rather than a file, or past the size
 * caps. Nothing is written here: the caller decides where the bytes go, under names it chose.
 */
export async function readArchiveFiles(
  tgz: string,
  wanted: readonly string[],
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<Map<string, Buffer>> {
  const want = new Set(wanted);
  const found = new Map<string, Buffer>();
  let total = 0;
  let failure: Error | null = null;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path;
      if (failure) return entry.resume();
      if (unsafeEntryName(name))
        failure = new ArchiveError(`${tgz}: entry "${name}" would be written outside its folder; the archive is refused`);
      else if (want.has(name) && entry.type !== 'File') failure = new ArchiveError(`${tgz}: "${name}" is a ${entry.type}, not a file`);
      else if (want.has(name) && (entry.size > limits.maxFileBytes || total + entry.size > limits.maxTotalBytes)) {
        failure = new ArchiveError(`${tgz}: "${name}" (${entry.size} bytes) is over the size limit`);
      }
      if (failure || !want.has(name)) return entry.resume();
      total += entry.size;
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => found.set(name, Buffer.concat(chunks)));
    },
  });
  try {
    await pipeline(createReadStream(tgz), parser);
  } catch (e) {
    throw new ArchiveError(`${tgz} is not a readable .tgz archive: ${(e as Error).message}`);
  }
  if (failure) throw failure;
  const missing = wanted.filter((w) => !found.has(w));
  if (missing.length) throw new ArchiveError(`${tgz} does not contain ${missing.join(', ')}`);
  return found;
}
