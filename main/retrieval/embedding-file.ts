import { open, readFile, rename, rm } from 'node:fs/promises';
import type { Embeddings } from './knn';

/**
 * A compact binary file of embeddings: `MSEMB1\n`, a little-endian uint32 header length, a JSON header
 * (count, dim, which model made them, one key per row — a dataset row index or an image path), padding to a
 * 4-byte boundary, then count × dim float32 values, little-endian. Written by the worker that embeds, read by
 * the process that searches or evaluates: vectors cross processes bit-exactly and without a JSON blow-up.
 */
const MAGIC = Buffer.from('MSEMB1\n');

export interface EmbeddingFileHeader {
  count: number;
  dim: number;
  /** Human-readable: which model and weights made these vectors. */
  model: string;
  keys: (number | string)[];
}

export class EmbeddingFileError extends Error {}

/** Writes atomically (a temporary file renamed into place): a reader never sees half a file. */
export async function writeEmbeddingFile(file: string, embeddings: Embeddings, model: string, keys: (number | string)[]): Promise<void> {
  if (keys.length !== embeddings.count) throw new EmbeddingFileError(`${keys.length} keys for ${embeddings.count} embeddings`);
  const header = Buffer.from(JSON.stringify({ count: embeddings.count, dim: embeddings.dim, model, keys } satisfies EmbeddingFileHeader));
  const prefix = MAGIC.length + 4 + header.length;
  const pad = Buffer.alloc((4 - (prefix % 4)) % 4, 0x20);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length + pad.length);
  const data = embeddings.data.subarray(0, embeddings.count * embeddings.dim);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(Buffer.concat([MAGIC, len, header, pad]));
    await fh.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file).catch(async (e) => {
    await rm(tmp, { force: true });
    throw e;
  });
}

export async function readEmbeddingFile(file: string): Promise<{ header: EmbeddingFileHeader; embeddings: Embeddings }> {
  const buf = await readFile(file);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new EmbeddingFileError(`${file} is not an embeddings file`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerLength;
  let header: EmbeddingFileHeader;
  try {
    header = JSON.parse(buf.subarray(MAGIC.length + 4, start).toString('utf8'));
  } catch {
    throw new EmbeddingFileError(`${file} has a broken header`);
  }
  const { count, dim } = header;
  if (!Number.isInteger(count) || !Number.isInteger(dim) || count < 0 || dim < 0 || buf.length !== start + count * dim * 4) {
    throw new EmbeddingFileError(`${file} is truncated or its header does not match its size`);
  }
  // Copy into a fresh, aligned buffer: the file buffer may sit at any offset of Node's pool.
  const data = new Float32Array(count * dim);
  new Uint8Array(data.buffer).set(buf.subarray(start));
  return { header, embeddings: { data, count, dim } };
}
