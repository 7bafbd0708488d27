import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { forEachBounded } from '../files';
import { THUMB_SIDE } from '../../quality/near-identical';
import type { ImageFacts, Progress, SourceItem } from './types';

/**
 * Reads every image once: content hash (to find duplicate files), size, and a full decode to a 16×16 grey thumbnail,
 * which catches truncated and corrupt files that a header read would pass and finds near-identical images. Bounded concurrency; cancellable.
 */
export async function inspectImages(
  root: string,
  items: SourceItem[],
  onProgress?: (p: Progress) => void,
  signal?: AbortSignal,
  concurrency = 8,
): Promise<ImageFacts[]> {
  const facts: ImageFacts[] = new Array(items.length);
  let done = 0;
  await forEachBounded(items.length, concurrency, async (i) => {
    if (signal?.aborted) {
      facts[i] = { ok: false, width: 0, height: 0, hash: '', error: 'cancelled' };
      return;
    }
    const file = path.resolve(root, items[i]!.path);
    try {
      const buf = await readFile(file);
      const hash = createHash('sha1').update(buf).digest('hex');
      const meta = await sharp(buf, { failOn: 'truncated' }).metadata();
      // The full decode doubles as the grey thumbnail near-identical images are found by (quality/near-identical.ts).
      const { data, info } = await sharp(buf, { failOn: 'truncated' })
        .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'fill' })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const thumb = new Uint8Array(THUMB_SIDE * THUMB_SIDE);
      for (let p = 0; p < thumb.length; p++) thumb[p] = data[p * info.channels]!;
      facts[i] = { ok: true, width: meta.width ?? 0, height: meta.height ?? 0, hash, thumb };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      facts[i] = { ok: false, width: 0, height: 0, hash: '', error: /ENOENT/.test(msg) ? `file not found (${file})` : msg.split('\n')[0] };
    }
    done++;
    if (done % 200 === 0 || done === items.length) onProgress?.({ phase: 'checking', done, total: items.length });
  });
  return facts;
}
