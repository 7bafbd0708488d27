import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** File types the app shows and embeds as images. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

/** File types a new dataset may hold: animated GIFs have no single frame to train on, so the converter skips them. */
export const DATASET_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([...IMAGE_EXTENSIONS].filter((e) => e !== '.gif'));

export const isImageFile = (file: string): boolean => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());

/** Every image under `dir`, recursively, as paths relative to it with forward slashes, sorted. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}
