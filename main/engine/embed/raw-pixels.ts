import { imageInput } from '../../file-guard';
import { forEachBounded } from '../../dataset/files';
import { imagePath, rowBox, type DatasetTable } from '../../dataset/table';

const SIDE = 28;
export const RAW_PIXELS_NAME = `raw pixels (${SIDE}×${SIDE} grey, L2-normalised)`;
export const RAW_PIXELS_DIM = SIDE * SIDE;

/** Raw pixels, L2-normalised: the baseline every trained model must beat, and a model-free explorer. */
export async function rawPixelVector(file: string, box: [number, number, number, number] | null): Promise<Float32Array> {
  let img = await imageInput(file);
  if (box) img = img.extract({ left: box[0], top: box[2], width: box[1] - box[0], height: box[3] - box[2] });
  const data = await img.greyscale().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer();
  const v = new Float32Array(RAW_PIXELS_DIM);
  let norm = 0;
  for (let j = 0; j < v.length; j++) {
    v[j] = data[j]! / 255;
    norm += v[j]! * v[j]!;
  }
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < v.length; j++) v[j]! /= norm;
  return v;
}

/** Raw-pixel vectors of dataset rows (boxes cropped as in training), count × 784. */
export async function rawPixelRows(
  t: DatasetTable,
  rows: readonly number[],
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(rows.length * RAW_PIXELS_DIM);
  let done = 0;
  await forEachBounded(rows.length, 8, async (j) => {
    out.set(await rawPixelVector(imagePath(t, rows[j]!), rowBox(t, rows[j]!)), j * RAW_PIXELS_DIM);
    if (++done % 256 === 0 || done === rows.length) onProgress?.(done, rows.length);
  });
  return out;
}
