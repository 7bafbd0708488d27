import sharp from 'sharp';
import { ApiError } from '../../shared/api';
import { isImageFile } from '../dataset/image-files';

/** Resizes a dataset image for display: `file` is what FileAccess allowed; only image types are opened. */
export async function thumbnail(file: string, shownAs: string, size: number): Promise<{ dataUrl: string; width: number; height: number }> {
  if (!isImageFile(file)) {
    throw new ApiError('invalid_input', `Not an image file type: ${shownAs}`);
  }
  try {
    const { data, info } = await sharp(file)
      .resize(size, size, { fit: 'inside', kernel: size > 64 ? 'lanczos3' : 'nearest' })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { dataUrl: `data:image/png;base64,${data.toString('base64')}`, width: info.width, height: info.height };
  } catch (err) {
    throw new ApiError('not_found', `Cannot read image ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
