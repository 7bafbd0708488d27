import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major. */
  pixels: Uint8Array;
}

function readIdxBuffer(buf: Buffer, file: string): { dims: number[]; data: Uint8Array } {
  // IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then big-endian sizes.
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file`);
  const nd = buf[3]!;
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * nd;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buf.length - offset !== expected) throw new Error(`${file}: expected ${expected} bytes of data, found ${buf.length - offset}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, expected) };
}

async function load(file: string): Promise<Buffer> {
  const raw = await readFile(file);
  return file.endsWith('.gz') ? gunzipSync(raw) : raw;
}

export async function readIdxImages(file: string): Promise<IdxImages> {
  const { dims, data } = readIdxBuffer(await load(file), file);
  if (dims.length !== 3) throw new Error(`${file}: expected 3 dimensions (images), found ${dims.length}`);
  return { count: dims[0]!, rows: dims[1]!, cols: dims[2]!, pixels: data };
}

export async function readIdxLabels(file: string): Promise<Uint8Array> {
  const { dims, data } = readIdxBuffer(await load(file), file);
  if (dims.length !== 1) throw new Error(`${file}: expected 1 dimension (labels), found ${dims.length}`);
  return data;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
/** Coarse groups, so the sample exercises OML's per-category metrics and category samplers. */
export const FASHION_MNIST_CATEGORY = [
  'clothing',
  'clothing',
  'clothing',
  'clothing',
  'clothing',
  'footwear',
  'clothing',
  'footwear',
  'bags',
  'footwear',
] as const;
