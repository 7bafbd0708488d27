import { imageInput } from '../file-guard';
import { ApiError } from '../../shared/api';
import { isImageFile } from '../dataset/image-files';

/**
 * Thumbnails decoded at once: sharp works on libuv's four threads, which file reads share; a page of large images
 * decoding at once would leave every other request waiting.
 */
const MAX_DECODES = 2;
let decoding = 0;
const queue: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (decoding >= MAX_DECODES) await new Promise<void>((resolve) => queue.push(resolve));
  decoding++;
  try {
    return await work();
  } finally {
    decoding--;
    queue.shift()?.();
  }
}

/** Resizes a dataset image for display: `file` is what FileAccess allowed; only image types are opened. */
export async function thumbnail(file: string, shownAs: string, size: number): Promise<{ dataUrl: string; width: number; height: number }> {
  if (!isImageFile(file)) {
    throw new ApiError('invalid_input', `Not an image file type: ${shownAs}`);
  }
  try {
    const image = await imageInput(file);
    const { data, info } = await slot(() =>
      image
        // Transparent pixels (icons, product cut-outs) are shown on white, as a viewer shows them: their colour
        // values are often black, which a page drew as a black square.
        .flatten({ background: '#ffffff' })
        .resize(size, size, { fit: 'inside', kernel: size > 64 ? 'lanczos3' : 'nearest' })
        .png()
        .toBuffer({ resolveWithObject: true }),
    );
    return { dataUrl: `data:image/png;base64,${data.toString('base64')}`, width: info.width, height: info.height };
  } catch (err) {
    throw new ApiError('not_found', `Cannot read image ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
