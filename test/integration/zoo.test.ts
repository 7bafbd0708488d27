// The zoo end to end against a mock npm registry on 127.0.0.1: resolve through the user's registry setting,
// download with progress, verify, unpack UMD-wrapped files as data, embed with the model in a worker (explorer,
// evaluate --zoo, predict --zoo), remove; and the archives that must be refused.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../shared/schemas/events';
import type { ZooCatalogEntry } from '../../shared/schemas/zoo';
import { EventHub } from '../../main/api/dispatch';
import { loadDataset } from '../../main/services/datasets';
import { WorkerJobs } from '../../main/services/embedding';
import { Explorer, embedModelOf } from '../../main/services/explorer';
import { ZooService } from '../../main/services/zoo';
import { ArchiveError } from '../../main/zoo/archive';
import { CATALOG_ENV, modelDir } from '../../main/zoo/catalog';
import { installZooModel } from '../../main/zoo/install';
import { npmRegistry } from '../../main/zoo/registry';
import type * as tf from '@tensorflow/tfjs';
import { TrainConfig } from '../../shared/schemas/config';
import { loadCheckpoint } from '../../main/engine/train/checkpoint';
import { train } from '../../main/engine/train/trainer';
import { loadZooNetwork } from '../../main/engine/zoo-model';
import { cli } from '../helpers/cli';
import { trainCollecting } from '../helpers/train-run';
import { metricPoints, SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';
import { makeTgz, sri512, startMockRegistry, tinyZooPackage } from '../helpers/zoo-fixture';

let dir: string;
let cleanup: () => void;
let registry: Awaited<ReturnType<typeof startMockRegistry>>;
let entry: ZooCatalogEntry;
let catalogFile: string;
const env = () => ({ [CATALOG_ENV]: catalogFile, npm_config_registry: registry.url });

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-zoo-'));
  const tiny = await tinyZooPackage();
  entry = tiny.entry;
  const evil = makeTgz([
    { name: 'package/../../evil.js', data: Buffer.from('x') },
    { name: entry.files[0]!.from, data: Buffer.from('{}') },
  ]);
  const linked = makeTgz([
    { name: entry.files[0]!.from, type: '2', link: '/etc/passwd' },
    { name: entry.files[1]!.from, data: Buffer.from('"AA=="') },
  ]);
  registry = await startMockRegistry(
    new Map([
      ['tiny-zoo', tiny.tgz],
      ['evil-zoo', evil],
      ['linked-zoo', linked],
    ]),
  );
  catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify({ version: 1, entries: [entry] }));
  Object.assign(process.env, env());
});
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  delete process.env.npm_config_registry;
  await registry.close();
  cleanup();
});

describe('zoo', () => {
  it("resolves the registry from the user's npm configuration, environment first", async () => {
    expect(await npmRegistry({ npm_config_registry: 'https://mirror.example/npm/' }, dir)).toBe('https://mirror.example/npm');
    writeFileSync(path.join(dir, '.npmrc'), 'registry = https://corp.example/registry/\n');
    expect(await npmRegistry({ NPM_CONFIG_USERCONFIG: path.join(dir, 'none') }, dir)).toBe('https://corp.example/registry');
  });

  it('downloads a model as a background job with progress, verifies it, and lists it installed', async () => {
    const dataDir = path.join(dir, 'data');
    const hub = new EventHub();
    const progress: JobProgress[] = [];
    hub.subscribe((e, p) => e === 'jobs.progress' && progress.push(p as JobProgress));
    const zoo = new ZooService(dataDir, hub);
    expect(zoo.list()).toMatchObject([{ key: 'tiny_cnn', installed: false, verified: false }]);
    const job = zoo.download('tiny_cnn');
    expect(zoo.download('tiny_cnn').jobId).toBe(job.jobId); // one download per model
    await job.done;
    expect(progress[0]).toMatchObject({ jobId: job.jobId, state: 'running', label: 'Downloading Tiny CNN (test fixture)' });
    expect(progress.at(-1)).toMatchObject({ state: 'done', done: entry.sizeBytes, total: entry.sizeBytes });
    expect(zoo.list()).toMatchObject([{ key: 'tiny_cnn', installed: true, verified: true }]);
    const files = readdirSync(zoo.installedDir('tiny_cnn')).sort();
    expect(files).toEqual(['group1-shard1of1', 'manifest.json', 'model.json']);
    const model = JSON.parse(readFileSync(path.join(zoo.installedDir('tiny_cnn'), 'model.json'), 'utf8'));
    expect(model.modelTopology.config.layers.map((l: { name: string }) => l.name)).toContain('features');
  });

  it('embeds with the zoo model in a worker: explorer, evaluate --zoo and predict --zoo agree', async () => {
    const dataDir = path.join(dir, 'data');
    const zoo = new ZooService(dataDir);
    const table = await loadDataset(SAMPLE_CSV);
    const model = embedModelOf(undefined, { key: 'tiny_cnn', dir: zoo.installedDir('tiny_cnn') });
    const v = await new Explorer(new WorkerJobs(path.join(dir, 'cache'))).embeddings(table, model);
    expect(v.name).toMatch(/^zoo tiny_cnn \(features, 16-d\)$/);
    expect(v.embeddings.dim).toBe(16);
    const norm = Math.hypot(...v.embeddings.data.subarray(0, 16));
    expect(norm).toBeCloseTo(1, 5);

    const predictions = path.join(dir, 'zoo-predictions.json');
    const p = cli(
      ['predict', '--zoo', 'tiny_cnn', '--app-data-dir', dataDir, '--data-dir', path.dirname(SAMPLE_CSV), '--out', predictions],
      env(),
    );
    expect(p.code, p.stderr).toBe(0);
    const byPath = JSON.parse(readFileSync(predictions, 'utf8')) as Record<string, number[]>;
    const row = v.rows[0]!;
    expect(Array.from(v.embeddings.data.subarray(0, 16))).toEqual(byPath[table.path[row]!]);

    const viaZoo = cli(['evaluate', '--dataset', SAMPLE_CSV, '--zoo', 'tiny_cnn', '--data-dir', dataDir, '--json'], env());
    const viaFile = cli(['evaluate', '--dataset', SAMPLE_CSV, '--embeddings', predictions, '--json']);
    expect(viaZoo.code, viaZoo.stderr).toBe(0);
    expect(JSON.parse(viaZoo.stdout)).toEqual(JSON.parse(viaFile.stdout));
    // A worker and three CLI processes, each compiling the CLI: 17 s alone, 20-27 s beside another test file on
    // two cores, and once over the default 30 s. Like the CLI test below, it checks agreement, not speed.
  }, 90_000);

  it('the CLI lists, refuses unknown keys, and removes only the model folder', () => {
    const dataDir = path.join(dir, 'data');
    const list = cli(['zoo', 'list', '--json', '--data-dir', dataDir], env());
    expect(JSON.parse(list.stdout)).toMatchObject([{ key: 'tiny_cnn', installed: true, verified: true, origin: 'catalogue' }]);
    const unknown = cli(['zoo', 'download', 'nope', '--data-dir', dataDir], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No zoo model "nope" \(known: tiny_cnn\)/);
    const missing = cli(['evaluate', '--dataset', SAMPLE_CSV, '--zoo', 'tiny_cnn', '--data-dir', path.join(dir, 'empty')], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not downloaded yet/);
    // A user's own TF.js layers folder (here: the installed model's) becomes a local zoo model, checked first.
    const src = modelDir(dataDir, 'tiny_cnn');
    const imported = cli(['zoo', 'import', src, '--key', 'my_net', '--layer', 'conv1', '--data-dir', dataDir], env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/my_net: imported \(32×32 RGB → 8-d from conv1\)/);
    const both = JSON.parse(cli(['zoo', 'list', '--json', '--data-dir', dataDir], env()).stdout);
    expect(both.find((e: { key: string }) => e.key === 'my_net')).toMatchObject({
      origin: 'local',
      installed: true,
      verified: false,
      embeddingDim: 8,
    });
    const viaImported = cli(['evaluate', '--dataset', SAMPLE_CSV, '--zoo', 'my_net', '--data-dir', dataDir, '--json'], env());
    expect(viaImported.code, viaImported.stderr).toBe(0);
    const bad = cli(['zoo', 'import', dir, '--key', 'nothing', '--data-dir', dataDir], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/model\.json: not a readable TF\.js model/);
    const badLayer = cli(['zoo', 'import', src, '--key', 'x', '--layer', 'nope', '--data-dir', dataDir], env());
    expect(badLayer.stderr).toMatch(/no layer "nope" \(the last ones are .*features/);
    expect(existsSync(modelDir(dataDir, 'x'))).toBe(false);

    const removed = cli(['zoo', 'remove', 'tiny_cnn', '--data-dir', dataDir], env());
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(modelDir(dataDir, 'tiny_cnn'))).toBe(false);
    // The verified tarball stays in the download cache: a re-install needs no network.
    expect(readdirSync(path.join(dataDir, 'zoo', 'downloads'))).toEqual(['tiny-zoo-1.0.0.tgz']);
  }, 90_000);

  it('refuses a registry whose digest differs from the catalogue, a traversal archive and a link', async () => {
    const dataDir = path.join(dir, 'data-bad');
    const registryUrl = async () => registry.url;
    const pinnedElsewhere = { ...entry, source: { ...entry.source, integrity: sri512(Buffer.from('other')) } } as ZooCatalogEntry;
    await expect(installZooModel(pinnedElsewhere, dataDir, { registry: registryUrl })).rejects.toThrow(
      /the registry publishes sha512-.*, the catalogue pins sha512-.*; not downloaded/,
    );
    const evil = { ...entry, source: { kind: 'npm', package: 'evil-zoo', version: '1.0.0', integrity: '' } } as ZooCatalogEntry;
    const evilPublished = await (await fetch(`${registry.url}/evil-zoo/1.0.0`)).json();
    (evil.source as { integrity: string }).integrity = evilPublished.dist.integrity;
    await expect(installZooModel(evil, dataDir, { registry: registryUrl })).rejects.toThrow(ArchiveError);
    await expect(installZooModel(evil, dataDir, { registry: registryUrl })).rejects.toThrow(/would be written outside its folder/);
    const linked = { ...entry, source: { kind: 'npm', package: 'linked-zoo', version: '1.0.0', integrity: '' } } as ZooCatalogEntry;
    (linked.source as { integrity: string }).integrity = (await (await fetch(`${registry.url}/linked-zoo/1.0.0`)).json()).dist.integrity;
    await expect(installZooModel(linked, dataDir, { registry: registryUrl })).rejects.toThrow(/is a SymbolicLink, not a file/);
    expect(existsSync(modelDir(dataDir, 'tiny_cnn'))).toBe(false);
    expect(existsSync(path.join(dir, 'evil.js'))).toBe(false);
  });
});

describe('training on a zoo backbone', () => {
  const zooConfig = (over: Record<string, unknown> = {}) =>
    TrainConfig.parse(
      smallConfig(seen, {
        image_size: 32,
        channels: 3,
        max_epochs: 60,
        valid_period: 30,
        sampler: { name: 'balance', args: { n_labels: 5, n_instances: 6 } },
        extractor: { name: 'zoo', args: { model: 'tiny_cnn', emb_dim: 32, head: 'linear', normalise_features: true } },
        optimizer: { name: 'adam', args: { lr: 0.01 } },
        ...over,
      }),
    );
  let dataDir: string;
  let seen: string;
  beforeAll(async () => {
    seen = seenLabelsCsv(dir);
    dataDir = path.join(dir, 'train-data');
    await new ZooService(dataDir).download('tiny_cnn').done;
  });

  it('frozen backbone: caches its features once, trains only the head, and its checkpoint embeds images to the same metric', async () => {
    const run = (name: string) => trainCollecting({ config: zooConfig(), baseDir: dir, outDir: path.join(dir, name), dataDir });
    const first = await run('zoo-frozen-a');
    expect(first.result.status).toBe('finished');
    expect(first.logs.some((l) => /^backbone features: 300 images → 16-d in .* \(computed once; only the head trains\)$/.test(l))).toBe(
      true,
    );
    // The head learns: the loss falls and retrieval beats the untrained head (on a random tiny backbone).
    const points = metricPoints(first.events);
    const losses = points.flatMap((p) => ('loss' in p.values ? [p.values.loss!] : []));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-8))).toBeLessThan(0.75 * mean(losses.slice(0, 8)));
    const cmc = points.flatMap((p) => ('OVERALL/cmc/1' in p.values ? [p.values['OVERALL/cmc/1']!] : []));
    expect(cmc.at(-1)!).toBeGreaterThan(cmc[0]! + 0.05);
    const again = await run('zoo-frozen-b');
    expect(again.logs.some((l) => /^backbone features: reusing 300 cached vectors \(16-d\)/.test(l))).toBe(true);
    expect(again.result.lastMetrics).toEqual(first.result.lastMetrics);

    // The best checkpoint is a whole image → embedding model: embedding the images reproduces the logged metric.
    const best = path.join(dir, 'zoo-frozen-a', 'checkpoints', 'best');
    const ev = cli(['evaluate', '--dataset', seen, '--root', SAMPLE_ROOT, '--checkpoint', best, '--cmc', '1', '--map', '5', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).OVERALL.cmc['1']).toBeCloseTo(first.result.bestMetric!, 4);
  }, 180_000);

  it('train_from fine-tunes the layers from there on (with augmentations), leaving those before it as they were', async () => {
    const cfg = zooConfig({ max_epochs: 2, valid_period: 2, transforms_train: { name: 'augs', args: { hflip: true } } });
    cfg.extractor.args.train_from = 'features';
    const outDir = path.join(dir, 'zoo-finetune');
    const result = await train({ config: cfg, baseDir: dir, outDir, runId: 2, dataDir, emit: () => {}, shouldStop: () => false });
    expect(result.status).toBe('finished');
    const { model } = await loadCheckpoint(path.join(outDir, 'checkpoints', 'last'));
    const { network } = await loadZooNetwork(new ZooService(dataDir).installedDir('tiny_cnn'));
    const trunk = model.getLayer('trunk') as tf.LayersModel;
    const same = (name: string) => {
      const a = trunk.getLayer(name).getWeights()[0]!.dataSync();
      const b = network.getLayer(name).getWeights()[0]!.dataSync();
      return a.every((v, i) => v === b[i]);
    };
    expect(same('conv1')).toBe(true);
    expect(same('features')).toBe(false);
  }, 120_000);

  it('says which image size a zoo model needs, and that frozen features turn augmentations off', async () => {
    const wrong = zooConfig({ image_size: 28 });
    await expect(
      train({
        config: wrong,
        baseDir: dir,
        outDir: path.join(dir, 'zoo-wrong'),
        runId: 3,
        dataDir,
        emit: () => {},
        shouldStop: () => false,
      }),
    ).rejects.toThrow(/zoo model "tiny_cnn" takes 32×32 RGB: set image_size: 32 and channels: 3/);
    const logs: string[] = [];
    const augs = zooConfig({ max_epochs: 1, valid_period: 1, transforms_train: { name: 'augs', args: { hflip: true } } });
    await train({
      config: augs,
      baseDir: dir,
      outDir: path.join(dir, 'zoo-augs'),
      runId: 4,
      dataDir,
      emit: (e) => e.type === 'log' && e.level === 'warn' && logs.push(e.message),
      shouldStop: () => false,
    });
    expect(logs.join('\n')).toMatch(/augmentations are off — the backbone is frozen/);
  }, 120_000);
});
