import { realpath, stat } from 'node:fs/promises';
import { imageInput, MAX_IMAGE_PIXELS } from '../file-guard';
import { isInside } from '../paths';
import { imagePath, OutsideRoot, rowBox, type DatasetTable } from './table';
import type { ProblemLog } from './problems';

/** Runs `fn` over 0..n-1 with at most `concurrency` in flight: a 100k-row check never opens 100k files at once. */
export async function forEachBounded(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

export interface FileCheckOptions {
  /** Decode each image's header (size, format): catches corrupt files and boxes outside the image. */
  images?: boolean;
  /** Also decode every pixel: a PNG cut short or with a bad CRC, which a header read does not see. */
  decode?: boolean;
  concurrency?: number;
}

/** OML asserts every path exists; we also report unreadable images and boxes outside the image. */
export async function checkFiles(t: DatasetTable, problems: ProblemLog, options: FileCheckOptions = {}): Promise<void> {
  const realRoot = await realpath(t.root).catch(() => t.root);
  const linkedOut = new OutsideRoot(t.root);
  await forEachBounded(t.size, options.concurrency ?? 16, async (i) => {
    if (t.path[i] === '') return;
    const file = imagePath(t, i);
    const row = t.rowNumber[i]!;
    try {
      const s = await stat(file);
      if (!s.isFile()) {
        problems.add('error', 'path_not_file', row, 'path', `"${t.path[i]}" is not a file (${file})`);
        return;
      }
    } catch {
      problems.add('error', 'path_missing', row, 'path', `file not found: "${t.path[i]}" (looked for ${file})`);
      return;
    }
    // A path written inside the root that a link takes outside it (the reader names written paths outside it).
    if (isInside(t.root, file)) {
      const real = await realpath(file).catch(() => file);
      if (!isInside(realRoot, real)) linkedOut.note(row, t.path[i]!);
    }
    if (!options.images) return;
    try {
      const image = await imageInput(file, { failOn: 'error' });
      const meta = await image.metadata();
      if (!meta.width || !meta.height) throw new Error(`it has no pixels (${meta.width ?? 0}×${meta.height ?? 0})`);
      if (meta.width * meta.height > MAX_IMAGE_PIXELS)
        throw new Error(`it is ${meta.width}×${meta.height} pixels, more than the ${MAX_IMAGE_PIXELS / 1e6} million an image may have`);
      if (options.decode)
        await image
          .raw()
          .toBuffer()
          .catch((e: Error) => {
            // libvips words a cut or damaged file as "Unknown error" or a codec's own terms: said plainly here.
            throw new Error(`its pixels cannot be decoded: the file is cut short or damaged (${e.message.split('\n')[0]})`);
          });
      const box = rowBox(t, i);
      if (box && meta.width && meta.height) {
        const [x1, x2, y1, y2] = box;
        if (x2 > meta.width || y2 > meta.height) {
          problems.add(
            'error',
            'bbox_outside_image',
            row,
            x2 > meta.width ? 'x_2' : 'y_2',
            `box (${x1},${y1})–(${x2},${y2}) reaches outside the ${meta.width}×${meta.height} image`,
          );
        }
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.add('error', 'image_unreadable', row, 'path', `"${t.path[i]}" is not a readable image: ${message}`);
    }
  });
  linkedOut.report(problems, 'links');
}
