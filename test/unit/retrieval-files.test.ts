// The embeddings file that carries vectors between processes: its exact layout, a bit-exact round trip, and a
// clear error for every way a file can be wrong.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingFileError, readEmbeddingFile, writeEmbeddingFile } from '../../main/retrieval/embedding-file';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('ms-embfile-')));
afterAll(() => cleanup());

describe('embeddings file', () => {
  it('round-trips vectors bit for bit, with keys and model, in the documented layout', async () => {
    // Values float32 cannot hold in fewer bits, negative zero and subnormals: a lossy path would change them.
    const data = Float32Array.from([Math.PI, -0, 1e-40, -3.5, 65504.25, 1 / 3]);
    const file = path.join(dir, 'a.emb');
    await writeEmbeddingFile(file, { data, count: 3, dim: 2 }, 'checkpoint x (epoch 3, 2-d)', [4, 'img/é 1.png', 0]);
    const { header, embeddings } = await readEmbeddingFile(file);
    expect(header).toEqual({
      count: 3,
      dim: 2,
      model: 'checkpoint x (epoch 3, 2-d)',
      keys: [4, 'img/é 1.png', 0],
      crc32: expect.any(Number),
    });
    expect(embeddings.count).toBe(3);
    expect(embeddings.dim).toBe(2);
    expect(new Uint8Array(embeddings.data.buffer)).toEqual(new Uint8Array(data.buffer));
    expect(Object.is(embeddings.data[1], -0)).toBe(true);

    const raw = readFileSync(file);
    expect(raw.subarray(0, 7).toString()).toBe('MSEMB1\n');
    const headerLength = raw.readUInt32LE(7);
    expect((7 + 4 + headerLength) % 4).toBe(0); // the floats start 4-byte aligned
    expect(raw.length).toBe(7 + 4 + headerLength + 6 * 4);
    expect(raw.readFloatLE(7 + 4 + headerLength)).toBe(Math.fround(Math.PI));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // written atomically, nothing left over
  });

  it('writes only count × dim values of a longer buffer, and zero rows', async () => {
    const file = path.join(dir, 'b.emb');
    await writeEmbeddingFile(file, { data: Float32Array.from([1, 2, 3, 4, 5]), count: 2, dim: 2 }, 'm', ['x', 'y']);
    expect(Array.from((await readEmbeddingFile(file)).embeddings.data)).toEqual([1, 2, 3, 4]);
    await writeEmbeddingFile(file, { data: new Float32Array(0), count: 0, dim: 8 }, 'empty', []);
    const empty = await readEmbeddingFile(file);
    expect([empty.embeddings.count, empty.embeddings.dim, empty.embeddings.data.length]).toEqual([0, 8, 0]);
  });

  it('refuses keys that do not match the rows, and every malformed file, naming the file', async () => {
    await expect(writeEmbeddingFile(path.join(dir, 'c.emb'), { data: new Float32Array(4), count: 2, dim: 2 }, 'm', [1])).rejects.toThrow(
      '1 keys for 2 embeddings',
    );
    const good = path.join(dir, 'good.emb');
    await writeEmbeddingFile(good, { data: Float32Array.from([1, 2, 3, 4]), count: 2, dim: 2 }, 'm', [0, 1]);
    const bytes = readFileSync(good);
    const headerLength = bytes.readUInt32LE(7);
    const cases: [string, Buffer, string][] = [
      ['not ours', Buffer.from('{"count": 1}'), 'is not an embeddings file'],
      ['too short', Buffer.from('MSEMB1\n'), 'is not an embeddings file'],
      ['truncated', bytes.subarray(0, bytes.length - 3), 'is truncated or its header does not match its size'],
      ['one value too many', Buffer.concat([bytes, Buffer.alloc(4)]), 'is truncated'],
      ['broken header', Buffer.concat([bytes.subarray(0, 11), Buffer.from('X'), bytes.subarray(12)]), 'has a broken header'],
      [
        'negative count',
        (() => {
          const b = Buffer.from(bytes);
          const h = b
            .subarray(11, 11 + headerLength)
            .toString()
            .replace('"count":2', '"count":-2');
          b.write(h.padEnd(headerLength, ' '), 11);
          return b;
        })(),
        'is truncated',
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, `${name}.emb`);
      writeFileSync(file, content);
      const err = await readEmbeddingFile(file).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(EmbeddingFileError);
      expect((err as Error).message.startsWith(`${file} ${message}`), `${name}: ${(err as Error).message}`).toBe(true);
    }
  });
});
