// Embeddings stored once per (dataset file, model) in the data folder: reused by the explorer, evaluate and search,
// and made again when the dataset file or the model's files change.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectDataset } from '../../main/dataset/inspect';
import { readEmbeddingFile } from '../../main/retrieval/embedding-file';
import { WorkerJobs } from '../../main/services/embedding';
import { EmbeddingSets, stampOf } from '../../main/services/embedding-sets';
import { embedValidation } from '../../main/services/explorer';
import { forkNodeWorker } from '../../main/services/workers';
import { RunStore } from '../../main/store/runs';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let store: RunStore;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-sets-'));
  store = await RunStore.open(path.join(dir, 'data'));
});
afterAll(async () => {
  await store.close();
  cleanup();
});

const root = path.dirname(SAMPLE_CSV);
const table = async (csv: string) => (await inspectDataset(csv, { root, checkFiles: false })).table;
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('stored embedding sets', () => {
  it('embeds once, reads back bit-exactly, and embeds again when the CSV changes or the file is damaged', async () => {
    const csv = path.join(dir, 'df.csv');
    copyFileSync(SAMPLE_CSV, csv);
    let workers = 0;
    const jobs = new WorkerJobs(path.join(dir, 'jobs'), null, () => {
      workers++;
      return forkNodeWorker();
    });
    const sets = new EmbeddingSets(store, path.join(dir, 'data', 'embeddings'));
    const model = { kind: 'raw-pixels' as const };
    try {
      const first = await embedValidation(jobs, await table(csv), model, undefined, sets);
      expect(workers).toBe(1);
      const row = (await store.embeddingSet(path.resolve(csv), 'raw-pixels'))!;
      expect(row.count).toBe(first.embeddings.count);
      const onDisk = await readEmbeddingFile(row.path);
      expect(bytes(onDisk.embeddings.data).equals(bytes(first.embeddings.data))).toBe(true);

      const again = await embedValidation(jobs, await table(csv), model, undefined, sets);
      expect(workers).toBe(1);
      expect(bytes(again.embeddings.data).equals(bytes(first.embeddings.data))).toBe(true);
      expect(again.rows).toEqual(first.rows);

      // The same rows with Windows line ends: a different file, so the vectors are made again.
      writeFileSync(csv, readFileSync(csv, 'utf8').replace(/\r?\n/g, '\r\n'));
      await embedValidation(jobs, await table(csv), model, undefined, sets);
      expect(workers).toBe(2);
      const replaced = (await store.embeddingSet(path.resolve(csv), 'raw-pixels'))!;
      expect(replaced.fingerprint).not.toBe(row.fingerprint);
      expect(existsSync(row.path)).toBe(false);

      truncateSync(replaced.path, 100);
      const repaired = await embedValidation(jobs, await table(csv), model, undefined, sets);
      expect(workers).toBe(3);
      expect(bytes(repaired.embeddings.data).equals(bytes(first.embeddings.data))).toBe(true);
    } finally {
      jobs.shutdown();
    }
  });

  it("a model's fingerprint changes with any of its files (a better checkpoint written over the old one)", async () => {
    const ckpt = path.join(dir, 'ckpt');
    const weights = path.join(ckpt, 'weights.bin');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(weights, Buffer.alloc(64, 1));
    writeFileSync(path.join(ckpt, 'model.json'), '{}');
    const model = { kind: 'checkpoint' as const, dir: ckpt };
    const a = await stampOf(SAMPLE_CSV, model);
    expect((await stampOf(SAMPLE_CSV, model)).fingerprint).toBe(a.fingerprint);
    const t = statSync(weights).mtime;
    utimesSync(weights, t, new Date(t.getTime() + 5000));
    const b = await stampOf(SAMPLE_CSV, model);
    expect(b.fingerprint).not.toBe(a.fingerprint);
    expect(b.modelKey).toBe(a.modelKey);
    writeFileSync(path.join(ckpt, 'meta.json'), '{}');
    expect((await stampOf(SAMPLE_CSV, model)).fingerprint).not.toBe(b.fingerprint);
  });

  it('evaluate reuses what it stored in its data folder, with the same metrics', () => {
    const data = path.join(dir, 'cli-data');
    const args = [
      'evaluate',
      '--dataset',
      SAMPLE_CSV,
      '--baseline',
      'raw-pixels',
      '--data-dir',
      data,
      '--cmc',
      '1',
      '--map',
      '5',
      '--json',
    ];
    const first = cli(args);
    expect(first.code).toBe(0);
    const files = () => readdirSync(path.join(data, 'embeddings'));
    const made = files();
    expect(made).toHaveLength(1);
    const mtime = statSync(path.join(data, 'embeddings', made[0]!)).mtimeMs;
    const second = cli(args);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    expect(files()).toEqual(made);
    expect(statSync(path.join(data, 'embeddings', made[0]!)).mtimeMs).toBe(mtime);
  });
});
