// Every embedding job runs in a worker process through one implementation: predict (image files), evaluate
// --checkpoint and the explorer (a dataset's validation rows) must give the same vectors for the same images.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { JobProgress } from '../../shared/schemas/events';
import { EventHub } from '../../main/api/dispatch';
import { loadDataset } from '../../main/services/datasets';
import { WorkerJobs } from '../../main/services/embedding';
import { Explorer } from '../../main/services/explorer';
import { buildExtractor } from '../../main/engine/models/extractor';
import { saveCheckpoint } from '../../main/engine/train/checkpoint';
import { useBackend } from '../../main/engine/backends';
import { computeMetrics, flattenMetrics } from '../../main/metrics/embedding-metrics';
import { tableValidationSet } from '../../main/metrics/evaluate-dataset';
import { pickRows, sampleRows, UMAP_SAMPLE } from '../../main/retrieval/sample';
import { umap2 } from '../../main/retrieval/umap';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';
import { SAMPLE_ROOT, smallConfig } from '../helpers/training';

let dir: string;
let cleanup: () => void;
let checkpoint: string;
const hub = new EventHub();
const progress: JobProgress[] = [];
hub.subscribe((event, payload) => event === 'jobs.progress' && progress.push(payload as JobProgress));
let jobs: WorkerJobs;
const ckpt = () => ({ kind: 'checkpoint' as const, dir: checkpoint });

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-embed-'));
  // A real (seeded, untrained) network saved as a checkpoint: the vectors it gives are what is compared.
  await useBackend('wasm');
  const cfg = TrainConfig.parse(smallConfig(SAMPLE_CSV));
  const model = buildExtractor(cfg.extractor, [28, 28, 1], 11);
  checkpoint = path.join(dir, 'ckpt');
  await saveCheckpoint(checkpoint, {
    model,
    meta: {
      format: 'metric-studio-checkpoint/1',
      runId: null,
      epoch: 0,
      step: 0,
      config: cfg,
      inputShape: [28, 28, 1],
      labelMapping: [],
      metrics: {},
      backend: 'wasm',
      savedAt: new Date().toISOString(),
    },
    criterion: [],
  });
  jobs = new WorkerJobs(path.join(dir, 'cache'), hub);
});
afterAll(() => cleanup());

describe('embedding jobs in worker processes', () => {
  it('predict, evaluate --checkpoint and the explorer give identical vectors and metrics', async () => {
    const predictions = path.join(dir, 'predictions.json');
    const p = cli(['predict', '--checkpoint', checkpoint, '--data-dir', SAMPLE_ROOT, '--out', predictions]);
    expect(p.stderr).toContain('embedding 600 images');
    expect(p.code).toBe(0);
    const byPath = JSON.parse(readFileSync(predictions, 'utf8')) as Record<string, number[]>;

    const table = await loadDataset(SAMPLE_CSV);
    const v = await new Explorer(jobs).embeddings(table, ckpt());
    expect(v.rows).toHaveLength(300);
    expect(v.embeddings.dim).toBe(64);
    v.rows.forEach((row, i) => {
      expect(Array.from(v.embeddings.data.subarray(i * 64, (i + 1) * 64)), table.path[row]).toEqual(byPath[table.path[row]!]);
    });

    const fromCheckpoint = cli(['evaluate', '--dataset', SAMPLE_CSV, '--checkpoint', checkpoint, '--map', '10', '--json']);
    const fromFile = cli(['evaluate', '--dataset', SAMPLE_CSV, '--embeddings', predictions, '--map', '10', '--json']);
    expect(fromCheckpoint.code, fromCheckpoint.stderr).toBe(0);
    expect(JSON.parse(fromCheckpoint.stdout)).toEqual(JSON.parse(fromFile.stdout));
    // And the numbers are the ones the in-process metrics give on the explorer's vectors.
    const { tree } = computeMetrics(tableValidationSet(table, [...v.rows], v.embeddings), {
      cmc: [1, 5],
      precision: [5],
      map: [10],
      ndcg: [],
      fmr: [],
      pcf: [0.5],
    });
    expect(flattenMetrics(JSON.parse(fromCheckpoint.stdout))).toEqual(flattenMetrics(tree));
  }, 90_000);

  it('reports progress on the event hub, from 0 to every row, then done', async () => {
    const table = await loadDataset(SAMPLE_CSV);
    progress.length = 0;
    await new Explorer(jobs).embeddings(table, { kind: 'raw-pixels' });
    const states = progress.map((p) => p.state);
    expect(states[0]).toBe('running');
    expect(states.at(-1)).toBe('done');
    expect(progress.at(-1)).toMatchObject({ done: 300, total: 300 });
    expect(progress.at(-1)!.label).toMatch(/300 validation images of df\.csv with raw pixels/);
    expect(new Set(progress.map((p) => p.jobId)).size).toBe(1);
  });

  it('the explorer ranks as the metrics do: its top-k is the kNN of the evaluation', async () => {
    const table = await loadDataset(SAMPLE_CSV);
    const explorer = new Explorer(jobs);
    const v = await explorer.embeddings(table, ckpt());
    const { rr, queryIds } = computeMetrics(tableValidationSet(table, [...v.rows], v.embeddings), {
      cmc: [5],
      precision: [],
      map: [],
      ndcg: [],
      fmr: [],
      pcf: [],
    });
    for (const q of [0, 17, 123]) {
      const row = v.rows[queryIds[q]!]!;
      const hit = await explorer.search(table, table.rowNumber[row]!, 5, ckpt());
      const expected = Array.from(rr.retrieved.subarray(rr.offsets[q]!, rr.offsets[q + 1]!), (g) => v.galleryRows[g]!);
      expect(hit.results.map((r) => r.row)).toEqual(expected.map((i) => table.rowNumber[i]));
      // Label names come from the summary beside the CSV (the sample's, like the wizard's): id and name agree.
      const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
      for (const r of [hit.query, ...hit.results]) expect(r.labelName).toBe(names[r.label]);
    }
  });

  it('the UMAP map is laid out in a worker, exactly as in this process, with progress; PCA stays the default', async () => {
    const table = await loadDataset(SAMPLE_CSV);
    const explorer = new Explorer(jobs);
    const v = await explorer.embeddings(table, ckpt());
    const from = progress.length;
    const umap = await explorer.map(table, ckpt(), 5, 'umap');
    expect(umap).toMatchObject({ projection: 'umap', total: v.rows.length, explained: null });
    // Under UMAP_SAMPLE items: every one is on the map, in the set's order.
    expect(umap.rows).toEqual(v.rows.map((i) => table.rowNumber[i]));
    const here = umap2(pickRows(v.embeddings, sampleRows(v.rows.length, UMAP_SAMPLE)), 0);
    expect(umap.x).toEqual(Array.from({ length: v.rows.length }, (_, i) => here[2 * i]));
    expect(umap.y).toEqual(Array.from({ length: v.rows.length }, (_, i) => here[2 * i + 1]));
    const mine = progress.slice(from).filter((p) => /UMAP of 300 items/.test(p.label));
    expect(mine.some((p) => p.state === 'running' && p.total > 0)).toBe(true);
    expect(mine.at(-1)!.state).toBe('done');
    // Asked again: the same layout from the cache, no second job.
    expect((await explorer.map(table, ckpt(), 5, 'umap')).x).toEqual(umap.x);
    expect(progress.slice(from).filter((p) => /UMAP/.test(p.label) && p.state === 'done')).toHaveLength(1);
    const pca = await explorer.map(table, ckpt(), 5);
    expect(pca.projection).toBe('pca');
    expect(pca.explained![0]).toBeGreaterThan(0);
    expect(pca.x).not.toEqual(umap.x);
  }, 120_000);

  it('a failed job names what failed and leaves no file behind', async () => {
    const table = await loadDataset(SAMPLE_CSV);
    await expect(new Explorer(jobs).embeddings(table, { kind: 'checkpoint', dir: path.join(dir, 'nope') })).rejects.toThrow(/nope/);
    expect(progress.at(-1)!.state).toBe('failed');
    const left = (await import('node:fs')).readdirSync(path.join(dir, 'cache'));
    expect(left).toEqual([]);
  });
});
