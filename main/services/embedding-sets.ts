/**
 * Embeddings stored once per (dataset file, model) in the data folder and registered in the run store's
 * `embedding_sets`: the explorer, `evaluate` and `search` reuse them instead of embedding again, and a set whose
 * dataset file or model files changed since is deleted and made anew.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readEmbeddingFile, writeEmbeddingFile } from '../retrieval/embedding-file';
import type { Embeddings } from '../retrieval/knn';
import type { EmbedModel } from '../engine/worker-protocol';
import type { RunStore } from '../store/runs';
import { fileDigest } from '../file-digest';

/** The validation rows of a dataset embedded by one model: row i of `embeddings` is dataset row `rows[i]`. */
export interface ValidationEmbeddings {
  name: string;
  rows: readonly number[];
  embeddings: Embeddings;
}

/** Where a set belongs and what it was made from: equal fingerprints, equal inputs. */
export interface EmbeddingStamp {
  csvPath: string;
  modelKey: string;
  fingerprint: string;
}

/** Bumped when raw-pixel embedding changes (it has no files to fingerprint). */
const RAW_PIXELS_VERSION = 'raw-pixels/1';

export const modelKeyOf = (m: EmbedModel): string => (m.kind === 'raw-pixels' ? 'raw-pixels' : `${m.kind}:${path.resolve(m.dir)}`);

/** Every file under a model's folder by name, size and modification time (weights are replaced, not edited). */
async function folderListing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const lines = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f);
      return `${path.relative(dir, f)}\t${s.size}\t${s.mtimeMs}`;
    }),
  );
  return lines.sort();
}

/** The dataset file's content hash and the model's files; the images a CSV names are not read (see docs). */
export async function stampOf(csvPath: string, model: EmbedModel): Promise<EmbeddingStamp> {
  const hash = createHash('sha256');
  hash.update(`csv\t${await fileDigest(csvPath)}\n`);
  if (model.kind === 'raw-pixels') hash.update(RAW_PIXELS_VERSION);
  else for (const line of await folderListing(model.dir)) hash.update(`${line}\n`);
  return { csvPath: path.resolve(csvPath), modelKey: modelKeyOf(model), fingerprint: hash.digest('hex') };
}

export class EmbeddingSets {
  constructor(
    private readonly store: RunStore,
    private readonly dir: string,
  ) {}

  /** The stored vectors of these rows, or null; a set that is stale or unreadable is deleted on the way. */
  async find(stamp: EmbeddingStamp, rows: readonly number[]): Promise<ValidationEmbeddings | null> {
    const row = await this.store.embeddingSet(stamp.csvPath, stamp.modelKey);
    if (!row) return null;
    if (row.fingerprint === stamp.fingerprint) {
      try {
        const { header, embeddings } = await readEmbeddingFile(row.path);
        if (header.keys.length === rows.length && header.keys.every((k, i) => k === rows[i]))
          return { name: header.model, rows, embeddings };
      } catch {
        // Missing or damaged: made again below.
      }
    }
    await this.store.forgetEmbeddingSet(row.id);
    await rm(row.path, { force: true });
    return null;
  }

  /** Stores a set in its place (atomically), replacing and deleting the one that was there. */
  async keep(stamp: EmbeddingStamp, v: ValidationEmbeddings): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const place = createHash('sha256').update(`${stamp.csvPath}\n${stamp.modelKey}`).digest('hex').slice(0, 16);
    const file = path.join(this.dir, `${place}-${stamp.fingerprint.slice(0, 16)}.emb`);
    await writeEmbeddingFile(file, v.embeddings, v.name, [...v.rows]);
    const replaced = await this.store.saveEmbeddingSet({ ...stamp, path: file, dim: v.embeddings.dim, count: v.embeddings.count });
    if (replaced) await rm(replaced, { force: true });
    return file;
  }
}
