// ONNX zoo models (frozen embedders on ONNX Runtime) end to end: the runtime wrapper against PyTorch's own outputs
// for the fixture network (test/fixtures/make-tiny-onnx.py), a URL download checked against the server's published
// sha256 (as the Hugging Face hub publishes it) or pinned on first download, embedding in a worker, and importing a
// user's .onnx file.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZooCatalogEntry } from '../../shared/schemas/zoo';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { loadOnnxEmbedder } from '../../main/engine/embed/onnx';
import { train } from '../../main/engine/train/trainer';
import { loadDataset } from '../../main/services/datasets';
import { WorkerJobs } from '../../main/services/embedding';
import { Explorer, embedModelOf } from '../../main/services/explorer';
import { ZooService } from '../../main/services/zoo';
import { CATALOG_ENV } from '../../main/zoo/catalog';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';
import { SAMPLE_ROOT, smallConfig } from '../helpers/training';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/tiny-vit.onnx');
const EXPECTED = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/tiny-vit.expected.json'), 'utf8')) as {
  pooler_output: number[][];
  last_hidden_state_cls: number[][];
};
const model = readFileSync(FIXTURE);
const sha = createHash('sha256').update(model).digest('hex');
let served = model;

let dir: string;
let cleanup: () => void;
let server: http.Server;
let base: string;

const entry = (key: string, url: string, layer = 'pooler_output'): ZooCatalogEntry => ({
  key,
  name: `Tiny ViT (${key})`,
  description: 'ONNX test fixture',
  architecture: 'toy ViT',
  format: 'onnx',
  builder: null,
  inputSize: 32,
  channels: 3,
  normalisation: 'minus_one_one',
  embeddingLayer: layer,
  embeddingDim: 16,
  fineTuneFrom: null,
  licence: 'MIT',
  trainingData: 'none',
  reportedMetrics: {},
  source: { kind: 'url', url, sha256: null },
  sizeBytes: model.length,
  files: [{ from: 'model.onnx', to: 'model.onnx', encoding: 'raw' }],
});

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-zoo-onnx-'));
  // /hub/model.onnx: redirects to /store with the sha256 as X-Linked-ETag (the hub's LFS way); /plain: no digest.
  server = http.createServer((req, res) => {
    if (req.url === '/hub/model.onnx') return void res.writeHead(302, { location: '/store', 'x-linked-etag': `"${sha}"` }).end();
    if (req.url === '/store' || req.url === '/plain/model.onnx')
      return void res.writeHead(200, { 'content-length': served.length }).end(served);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const catalog = path.join(dir, 'catalog.json');
  writeFileSync(
    catalog,
    JSON.stringify({
      version: 1,
      entries: [entry('tiny_vit', `${base}/hub/model.onnx`), entry('tiny_vit_plain', `${base}/plain/model.onnx`, 'last_hidden_state')],
    }),
  );
  process.env[CATALOG_ENV] = catalog;
});
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanup();
});

/** The fixture's probe input (N×C×H×W, as make-tiny-onnx.py builds it) as the pipeline's N×H×W×C pixels. */
function probeNhwc(): Float32Array {
  const out = new Float32Array(2 * 32 * 32 * 3);
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 32 * 32; p++) out[(n * 32 * 32 + p) * 3 + c] = (((n * 3 + c) * 32 * 32 + p) % 17) / 8 - 1;
  return out;
}

const normalised = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('ONNX zoo models', () => {
  it('embed what PyTorch computes: a vector output as is, a token output by its CLS token, L2-normalised', async () => {
    const zoo = new ZooService(path.join(dir, 'data'));
    await zoo.download('tiny_vit').done;
    await zoo.download('tiny_vit_plain').done;
    for (const [key, expected] of [
      ['tiny_vit', EXPECTED.pooler_output],
      ['tiny_vit_plain', EXPECTED.last_hidden_state_cls],
    ] as const) {
      const e = zoo.entry(key);
      const embedder = await loadOnnxEmbedder(zoo.installedDir(key), e, 2);
      const got = await embedder.embed(probeNhwc(), 2);
      for (let n = 0; n < 2; n++) {
        const want = normalised(expected[n]!);
        for (let i = 0; i < 16; i++) expect(got[n * 16 + i]!).toBeCloseTo(want[i]!, 5);
      }
      await embedder.session.release();
    }
  });

  it("are verified by the server's published sha256, else pinned on first download and refused when they change", async () => {
    const dataDir = path.join(dir, 'pins');
    const zoo = new ZooService(dataDir);
    await zoo.download('tiny_vit').done;
    await zoo.download('tiny_vit_plain').done;
    expect(zoo.list().map((e) => [e.key, e.installed, e.verified])).toEqual([
      ['tiny_vit', true, true],
      ['tiny_vit_plain', true, false],
    ]);
    const pins = JSON.parse(readFileSync(path.join(dataDir, 'zoo', 'pins.json'), 'utf8'));
    expect(pins.tiny_vit_plain).toEqual({ url: `${base}/plain/model.onnx`, sha256: sha, verified: false });
    expect(pins.tiny_vit).toEqual({ url: `${base}/hub/model.onnx`, sha256: sha, verified: true });
    // The server now serves other bytes: the pins refuse them.
    served = Buffer.concat([model, Buffer.from('tampered')]);
    try {
      await zoo.remove('tiny_vit_plain');
      await expect(zoo.download('tiny_vit_plain').done).rejects.toThrow(new RegExp(`but ${sha} was expected; the file was deleted`));
      await zoo.remove('tiny_vit');
      await expect(zoo.download('tiny_vit').done).rejects.toThrow(new RegExp(`but ${sha} was expected; the file was deleted`));
      expect(zoo.list().map((e) => e.installed)).toEqual([false, false]);
    } finally {
      served = model;
    }
  });

  it('embed a dataset in a worker process (grey images as 3 channels at the model size)', async () => {
    const zoo = new ZooService(path.join(dir, 'data'));
    const table = await loadDataset(SAMPLE_CSV);
    const v = await new Explorer(new WorkerJobs(path.join(dir, 'cache'))).embeddings(
      table,
      embedModelOf(undefined, { key: 'tiny_vit', dir: zoo.installedDir('tiny_vit') }),
    );
    expect(v.name).toBe('zoo tiny_vit (pooler_output, 16-d)');
    expect(v.embeddings.count).toBe(v.rows.length);
    expect(Math.hypot(...v.embeddings.data.subarray(0, 16))).toBeCloseTo(1, 5);
    // Different images, different vectors.
    expect(Array.from(v.embeddings.data.subarray(0, 16))).not.toEqual(Array.from(v.embeddings.data.subarray(16 * 40, 16 * 41)));
  }, 60_000);

  it('train a head on cached ONNX features; the checkpoint embeds images through the backbone and the head', async () => {
    const dataDir = path.join(dir, 'data');
    const events: TrainEvent[] = [];
    const config = TrainConfig.parse({
      ...smallConfig(SAMPLE_CSV, { max_epochs: 6, valid_period: 3 }),
      dataset_root: SAMPLE_ROOT,
      image_size: 32,
      channels: 3,
      extractor: { name: 'zoo', args: { model: 'tiny_vit', head: 'linear', emb_dim: 8, normalise_features: true } },
    });
    const outDir = path.join(dir, 'onnx-head-run');
    await train({
      config,
      baseDir: dir,
      outDir,
      runId: 1,
      dataDir,
      eventIntervalMs: 0,
      emit: (e) => events.push(e),
      shouldStop: () => false,
    });
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs.some((m) => /backbone features: \d+ images → 16-d/.test(m))).toBe(true);
    const best = events.filter((e) => e.type === 'checkpoint' && e.kind === 'best').at(-1) as Extract<TrainEvent, { type: 'checkpoint' }>;
    const meta = JSON.parse(readFileSync(path.join(best.path, 'meta.json'), 'utf8'));
    expect(meta.backbone).toEqual({ kind: 'onnx', key: 'tiny_vit', dir: path.join(dataDir, 'zoo', 'models', 'tiny_vit') });
    // The checkpoint, evaluated on images by the CLI (a worker: ONNX backbone, then the head), gives the metric
    // training logged for it from cached features.
    const ev = cli(['evaluate', '--dataset', SAMPLE_CSV, '--checkpoint', best.path, '--cmc', '1', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).OVERALL.cmc['1']).toBeCloseTo(best.metricValue!, 2);
    // Fine-tuning an ONNX model is refused with the reason.
    const refused = TrainConfig.parse({ ...config, extractor: { name: 'zoo', args: { model: 'tiny_vit', train_from: 'x' } } });
    await expect(
      train({
        config: refused,
        baseDir: dir,
        outDir: path.join(dir, 'refused'),
        runId: 2,
        dataDir,
        emit: () => {},
        shouldStop: () => false,
      }),
    ).rejects.toThrow(/tiny_vit is an ONNX model, frozen: remove train_from/);
  }, 90_000);

  it("import a user's .onnx file, checked: outputs named, input size tried", () => {
    const dataDir = path.join(dir, 'imports');
    const ok = cli([
      'zoo',
      'import',
      FIXTURE,
      '--key',
      'my_vit',
      '--input-size',
      '32',
      '--layer',
      'last_hidden_state',
      '--data-dir',
      dataDir,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('my_vit: imported (32×32 RGB → 16-d from last_hidden_state)');
    const bad = cli(['zoo', 'import', FIXTURE, '--key', 'x', '--input-size', '32', '--layer', 'logits', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no output "logits" (it has last_hidden_state, pooler_output)');
    const size = cli(['zoo', 'import', FIXTURE, '--key', 'y', '--input-size', '40', '--data-dir', dataDir]);
    expect(size.code).toBe(1);
    expect(size.stderr).toMatch(/does not run on 2×3×40×40 images .*--input-size/);
    expect(size.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    const list = cli(['zoo', 'list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.stdout).find((e: ZooCatalogEntry) => e.key === 'my_vit')).toMatchObject({ format: 'onnx', embeddingDim: 16 });
  });
});
