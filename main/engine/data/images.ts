import { imageInput } from '../../file-guard';
import { forEachBounded } from '../../dataset/files';
import { imagePath, rowBox, type DatasetTable } from '../../dataset/table';
import type { TransformConfig } from '../../../shared/schemas/config';
import type { Rng } from '../../random';

export interface ImageSpec {
  size: number;
  channels: 1 | 3;
}

/** x_1, x_2, y_1, y_2 */
export type Box = [number, number, number, number];

/** Decodes an image to size × size × channels bytes: bbox crop first (OML's order), then a square resize. */
export async function decodeImage(file: string, box: Box | null, spec: ImageSpec): Promise<Uint8Array> {
  let img = await imageInput(file, { failOn: 'error' });
  if (box) img = img.extract({ left: box[0], top: box[2], width: box[1] - box[0], height: box[3] - box[2] });
  img = img.resize(spec.size, spec.size, { fit: 'fill' });
  img = spec.channels === 1 ? img.greyscale() : img.removeAlpha().toColourspace('srgb');
  const data = await img.raw().toBuffer();
  if (data.length !== spec.size * spec.size * spec.channels)
    throw new Error(`decoded ${data.length} bytes, expected ${spec.size * spec.size * spec.channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Decodes one dataset row; a failure names the row and path. */
export async function decodeRow(t: DatasetTable, i: number, spec: ImageSpec): Promise<Uint8Array> {
  const file = imagePath(t, i);
  try {
    return await decodeImage(file, rowBox(t, i), spec);
  } catch (err) {
    throw new Error(
      `Cannot read image at row ${t.rowNumber[i]} ("${t.path[i]}", ${file}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * Decoded images by row index. With `cache` every image is decoded once and kept (bytes, not floats: 60k
 * Fashion-MNIST images take 47 MB); without it only the requested rows are held.
 */
export class ImageStore {
  private readonly cache = new Map<number, Uint8Array>();
  constructor(
    readonly table: DatasetTable,
    readonly spec: ImageSpec,
    readonly keep: boolean,
  ) {}

  async get(rows: readonly number[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = new Array(rows.length);
    await forEachBounded(rows.length, 8, async (k) => {
      const i = rows[k]!;
      let img = this.cache.get(i);
      if (!img) {
        img = await decodeRow(this.table, i, this.spec);
        if (this.keep) this.cache.set(i, img);
      }
      out[k] = img;
    });
    return out;
  }

  /** Decodes rows ahead of time, reporting progress (the first epoch then never waits on the disk). */
  async preload(rows: readonly number[], onProgress?: (done: number, total: number) => void): Promise<void> {
    const chunk = 512;
    for (let s = 0; s < rows.length; s += chunk) {
      await this.get(rows.slice(s, s + chunk));
      onProgress?.(Math.min(rows.length, s + chunk), rows.length);
    }
  }
}

/**
 * Bytes → normalised floats ((x/255 − 0.5)/0.5, so [−1, 1]) with the train-time augmentations: horizontal flip,
 * pad-and-crop (a random shift of up to `pad_crop` pixels) and brightness jitter.
 */
export function toFloatBatch(images: Uint8Array[], spec: ImageSpec, transform: TransformConfig | null, rng: Rng | null): Float32Array {
  const { size: S, channels: C } = spec;
  const per = S * S * C;
  const out = new Float32Array(images.length * per);
  images.forEach((img, b) => {
    const aug = transform?.name === 'augs' && rng ? transform.args : null;
    const flip = aug?.hflip ? rng!() < 0.5 : false;
    const pad = aug?.pad_crop ?? 0;
    const dy = pad ? Math.floor(rng!() * (2 * pad + 1)) - pad : 0;
    const dx = pad ? Math.floor(rng!() * (2 * pad + 1)) - pad : 0;
    const gain = aug?.brightness ? 1 + (rng!() * 2 - 1) * aug.brightness : 1;
    const base = b * per;
    for (let y = 0; y < S; y++) {
      const sy = y + dy;
      for (let x = 0; x < S; x++) {
        const sxRaw = x + dx;
        const sx = flip ? S - 1 - sxRaw : sxRaw;
        for (let c = 0; c < C; c++) {
          const v = sy < 0 || sy >= S || sx < 0 || sx >= S ? 0 : img[(sy * S + sx) * C + c]!;
          out[base + (y * S + x) * C + c] = (Math.min(255, v * gain) / 255 - 0.5) / 0.5;
        }
      }
    }
  });
  return out;
}
