import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { forEachBounded } from '../files';
import type { ImageFacts, Progress, SourceItem } from './types';

/**
 * Reads every image once: content hash (to find duplicate files), size, and a full decode at a tiny size, which
 * catches truncated and corrupt files that a header read would pass. Bounded concurrency; cancellable.
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
      await sharp(buf, { failOn: 'truncated' }).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
      facts[i] = { ok: true, width: meta.width ?? 0, height: meta.height ?? 0, hash };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      facts[i] = { ok: false, width: 0, height: 0, hash: '', error: /ENOENT/.test(msg) ? `file not found (${file})` : msg.split('\n')[0] };
    }
    done++;
    if (done % 200 === 0 || done === items.length) onProgress?.({ phase: 'checking', done, total: items.length });
  });
  return facts;
}
