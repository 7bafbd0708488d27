/**
 * The one way in for a file a user or another file names (a config, an image, a model and its weights, the zoo
 * catalogue, a predictions file): a regular file after links — never a FIFO, a device or a folder, which would hang
 * a read or never end it — within a size cap per kind that the refusal states. Images are decoded with limits on
 * pixels and frames in the same place (`imageInput`).
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Sharp, type SharpOptions } from 'sharp';

export type FileKind = 'config' | 'image' | 'model' | 'weights' | 'catalogue' | 'predictions' | 'manifest';

const MB = 2 ** 20;
/** Generous for real files of each kind, far below what would take the machine's memory. */
export const SIZE_CAPS: Record<FileKind, number> = {
  config: 1 * MB,
  manifest: 16 * MB,
  catalogue: 16 * MB,
  predictions: 512 * MB,
  image: 256 * MB,
  model: 64 * MB,
  weights: 4096 * MB,
};
const NAMES: Record<FileKind, string> = {
  config: 'a config',
  manifest: 'a manifest',
  catalogue: 'a catalogue',
  predictions: 'a predictions file',
  image: 'an image',
  model: 'a model description',
  weights: 'a weights file',
};

/** Pixels an image may have (sharp's own default is 268 M): 100 M is a 10,000 × 10,000 photo. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export class FileGuardError extends Error {}

const human = (bytes: number) => (bytes >= MB ? `${(bytes / MB).toFixed(0)} MB` : `${(bytes / 1024).toFixed(0)} KB`);

function verdict(file: string, kind: FileKind, info: { isFile(): boolean; size: number } | null): void {
  if (!info) throw new FileGuardError(`${file}: file not found`);
  if (!info.isFile()) throw new FileGuardError(`${file} is not a regular file (a folder, a pipe or a device): ${NAMES[kind]} must be one`);
  if (info.size > SIZE_CAPS[kind])
    throw new FileGuardError(`${file} is ${human(info.size)}, more than the ${human(SIZE_CAPS[kind])} ${NAMES[kind]} may be`);
}

/** Checks `file` (links followed) before anything opens it; returns its size. */
export async function guardFile(file: string, kind: FileKind): Promise<number> {
  const info = await stat(file).catch(() => null);
  verdict(file, kind, info);
  return info!.size;
}

export function guardFileSync(file: string, kind: FileKind): number {
  let info: ReturnType<typeof statSync> | null = null;
  try {
    info = statSync(file);
  } catch {
    info = null;
  }
  verdict(file, kind, info);
  return info!.size;
}

export async function readGuarded(file: string, kind: FileKind): Promise<Buffer<ArrayBuffer>>;
export async function readGuarded(file: string, kind: FileKind, encoding: 'utf8'): Promise<string>;
export async function readGuarded(file: string, kind: FileKind, encoding?: 'utf8'): Promise<Buffer<ArrayBuffer> | string> {
  await guardFile(file, kind);
  return encoding ? readFile(file, encoding) : readFile(file);
}

/**
 * An image for sharp, checked first: a path must be a regular file of at most the image cap (sharp opens a FIFO and
 * blocks a thread for good), and decoding stops at MAX_IMAGE_PIXELS and the first frame.
 */
export async function imageInput(file: string | Buffer, options: SharpOptions = {}): Promise<Sharp> {
  if (typeof file === 'string') await guardFile(file, 'image');
  return sharp(file, { limitInputPixels: MAX_IMAGE_PIXELS, pages: 1, ...options });
}
