// Issue #31, item 10: transparent PNGs were drawn on black.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { thumbnail } from '../../main/services/images';
import { tempDir } from '../helpers/tmp';

const { dir, cleanup } = tempDir('ms-thumb-');
afterAll(cleanup);

describe('thumbnails', () => {
  it('show transparent pixels on white, opaque ones as they are', async () => {
    // A 16×16 icon: a red square in the middle of fully transparent black.
    const pixels = Buffer.alloc(16 * 16 * 4);
    for (let y = 4; y < 12; y++) for (let x = 4; x < 12; x++) pixels.set([255, 0, 0, 255], (y * 16 + x) * 4);
    const file = path.join(dir, 'icon.png');
    await sharp(pixels, { raw: { width: 16, height: 16, channels: 4 } })
      .png()
      .toFile(file);
    const t = await thumbnail(file, 'icon.png', 16);
    const { data, info } = await sharp(Buffer.from(t.dataUrl.split(',')[1]!, 'base64'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    expect(at(0, 0)).toEqual([255, 255, 255]);
    expect(at(8, 8)).toEqual([255, 0, 0]);
  });
});
