import { open, rename, rm } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
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
  /** CRC-32 of the vectors' bytes, written with them and checked on every read (files written before have none). */
  crc32?: number;
}

export class EmbeddingFileError extends Error {}

/** CRC-32 in steps of 1 GB (a cache of activations may pass what one call takes). */
function crcOf(bytes: Uint8Array): number {
  let crc = 0;
  for (let at = 0; at < bytes.length; at += 1 << 30) crc = crc32(bytes.subarray(at, at + (1 << 30)), crc);
  return crc;
}

/** Writes atomically (a temporary file renamed into place): a reader never sees half a file. */
export async function writeEmbeddingFile(file: string, embeddings: Embeddings, model: string, keys: (number | string)[]): Promise<void> {
  if (keys.length !== embeddings.count) throw new EmbeddingFileError(`${keys.length} keys for ${embeddings.count} embeddings`);
  const data = embeddings.data.subarray(0, embeddings.count * embeddings.dim);
  const crc = crcOf(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const header = Buffer.from(
    JSON.stringify({ count: embeddings.count, dim: embeddings.dim, model, keys, crc32: crc } satisfies EmbeddingFileHeader),
  );
  const prefix = MAGIC.length + 4 + header.length;
  const pad = Buffer.alloc((4 - (prefix % 4)) % 4, 0x20);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length + pad.length);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(Buffer.concat([MAGIC, len, header, pad]));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // One write call takes at most 2 GB.
    for (let at = 0; at < bytes.length; at += 1 << 30) await fh.write(bytes.subarray(at, at + (1 << 30)));
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
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(MAGIC.length + 4);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < head.length || !head.subarray(0, MAGIC.length).equals(MAGIC))
      throw new EmbeddingFileError(`${file} is not an embeddings file`);
    const headerLength = head.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4 + headerLength;
    if (start > size) throw new EmbeddingFileError(`${file} has a broken header`);
    const text = Buffer.alloc(headerLength);
    await fh.read(text, 0, headerLength, head.length);
    let header: EmbeddingFileHeader;
    try {
      header = JSON.parse(text.toString('utf8'));
    } catch {
      throw new EmbeddingFileError(`${file} has a broken header`);
    }
    const { count, dim } = header;
    if (!Number.isInteger(count) || !Number.isInteger(dim) || count < 0 || dim < 0 || size !== start + count * dim * 4) {
      throw new EmbeddingFileError(`${file} is truncated or its header does not match its size`);
    }
    // Read straight into a fresh, aligned array: a cache of activations can be gigabytes, and must not be held twice.
    const data = new Float32Array(count * dim);
    const bytes = new Uint8Array(data.buffer);
    for (let at = 0; at < bytes.length; ) {
      const { bytesRead: n } = await fh.read(bytes, at, Math.min(bytes.length - at, 1 << 30), start + at);
      if (n === 0) throw new EmbeddingFileError(`${file} is truncated or its header does not match its size`);
      at += n;
    }
    // Bytes changed on disk (a bit flip, a value written into it) are refused here; callers that keep these files
    // as caches make them again.
    if (header.crc32 !== undefined && crcOf(bytes) !== header.crc32)
      throw new EmbeddingFileError(`${file} was changed on disk after it was written (its checksum differs)`);
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]!))
        throw new EmbeddingFileError(
          `${file} holds ${data[i]} at row ${Math.floor(i / dim)}, column ${i % dim}: not an embedding (a model that diverged, or a damaged file)`,
        );
    return { header, embeddings: { data, count, dim } };
  } finally {
    await fh.close();
  }
}
