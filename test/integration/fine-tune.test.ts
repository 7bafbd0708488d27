// Fine-tuning a zoo backbone from a layer: the layers below it run once per image (and view) and are cached, the
// layers above train on the cache; the same run with the whole network live gives the same numbers. Against a
// mock npm registry serving a small residual network with batch norms (test/helpers/zoo-fixture.ts).
import { readFileSync, utimesSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig, TransformConfig } from '../../shared/schemas/config';
import { useBackend } from '../../main/engine/backends';
import { toFloatBatch } from '../../main/engine/data/images';
import { embedBatches } from '../../main/engine/embed/batches';
import { cutPoints } from '../../main/engine/models/cut';
import { buildZooExtractor } from '../../main/engine/models/zoo-extractor';
import { EventSink } from '../../main/engine/train/event-sink';
import { type FrozenCacheRequest, frozenOutputs } from '../../main/engine/train/frozen-cache';
import { loadZooNetwork } from '../../main/engine/zoo-model';
import { readDatasetCsv } from '../../main/dataset/table';
import { ImageStore } from '../../main/engine/data/images';
import { ZooService } from '../../main/services/zoo';
import { CATALOG_ENV } from '../../main/zoo/catalog';
import { metricPoints, SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';
import { trainCollecting } from '../helpers/train-run';
import { relDiff } from '../helpers/gradient-checks';
import { startMockRegistry, tinyResidualZooPackage } from '../helpers/zoo-fixture';

let dir: string;
let cleanup: () => void;
let registry: Awaited<ReturnType<typeof startMockRegistry>>;
let dataDir: string;
let seen: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-finetune-'));
  const tiny = await tinyResidualZooPackage();
  registry = await startMockRegistry(new Map([[tiny.entry.source.kind === 'npm' ? tiny.entry.source.package : '', tiny.tgz]]));
  const catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify({ version: 1, entries: [tiny.entry] }));
  Object.assign(process.env, { [CATALOG_ENV]: catalogFile, npm_config_registry: registry.url });
  dataDir = path.join(dir, 'data');
  await new ZooService(dataDir).download('tiny_resnet').done;
  seen = seenLabelsCsv(dir);
  await useBackend('wasm', 1);
}, 60_000);
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  await registry.close();
  cleanup();
});

const modelDir = () => new ZooService(dataDir).installedDir('tiny_resnet');
const config = (args: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  TrainConfig.parse(
    smallConfig(seen, {
      image_size: 32,
      channels: 3,
      max_epochs: 6,
      valid_period: 2,
      sampler: { name: 'balance', args: { n_labels: 2, n_instances: 5 } },
      extractor: { name: 'zoo', args: { model: 'tiny_resnet', emb_dim: 16, head: 'linear', normalise_features: true, ...args } },
      optimizer: { name: 'adam', args: { lr: 0.003 } },
      ...over,
    }),
  );

async function run(name: string, cfg: TrainConfig) {
  const { result, events, logs } = await trainCollecting({
    config: cfg,
    baseDir: dir,
    outDir: path.join(dir, name),
    dataDir,
    eventIntervalMs: 0,
  });
  const series = (key: string) => metricPoints(events).flatMap((p) => (key in p.values ? [[p.step, p.values[key]!] as const] : []));
  return { result, logs, series };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));

describe('fine-tuning from a layer on cached activations', () => {
  it('names the layers where a network can be cut, and refuses a cut that a skip connection spans', async () => {
    const { network } = await loadZooNetwork(modelDir());
    const points = cutPoints(network);
    expect(points.slice(0, 7)).toEqual(['conv1', 'bn1', 'relu1', 'block_conv', 'conv3', 'bn3', 'features_relu']);
    // Inside the residual block the skip tensor crosses too; at the add both of its inputs do.
    expect(points).not.toContain('block_bn');
    expect(points).not.toContain('add');
    const z = await buildZooExtractor(config({ train_from: 'block_bn' }).extractor, modelDir(), 1);
    expect(z.cut).toBeNull();
    expect(z.uncached).toMatch(
      /^tiny_resnet cannot be cut at "block_bn": 2 tensors cross there \(block_conv, relu1; a skip connection spans it\).*nearby: .*block_conv, conv3, bn3/,
    );
  });

  it('trains to the same losses and metrics as the whole network run live on images (no augmentation)', async () => {
    const cached = await run('cached', config({ train_from: 'conv3' }));
    const live = await run('live', config({ train_from: 'conv3', cache_activations: false }));
    expect(cached.logs.some((l) => /^activations entering conv3: 300 images → 16×16×8-d in .* \(computed once/.test(l))).toBe(true);
    expect(cached.logs.some((l) => /fine-tuning from conv3 on cached activations \(16×16×8 per image\)/.test(l))).toBe(true);
    expect(live.logs.some((l) => /activations entering/.test(l))).toBe(false);
    const [a, b] = [cached.series('loss'), live.series('loss')];
    expect(a.length).toBe(12);
    expect(a.map(([s]) => s)).toEqual(b.map(([s]) => s));
    for (const [i, [, v]] of a.entries()) expect(rel(v, b[i]![1]), `step ${a[i]![0]}`).toBeLessThan(1e-5);
    const [ma, mb] = [cached.series('OVERALL/cmc/1'), live.series('OVERALL/cmc/1')];
    expect(ma.length).toBe(4); // the untrained network, then every second epoch
    for (const [i, [, v]] of ma.entries()) expect(Math.abs(v - mb[i]![1])).toBeLessThan(1e-5);
    const [pa, pb] = [cached.series('OVERALL/map/5'), live.series('OVERALL/map/5')];
    for (const [i, [, v]] of pa.entries()) expect(Math.abs(v - pb[i]![1])).toBeLessThan(1e-5);
    // The layers below the cut did not move, the ones above did: batch norm's statistics included.
    const { network } = await loadZooNetwork(modelDir());
    const { loadCheckpoint } = await import('../../main/engine/train/checkpoint');
    const { model } = await loadCheckpoint(path.join(dir, 'cached', 'checkpoints', 'last'));
    const trunk = model.getLayer('trunk') as tf.LayersModel;
    const same = (name: string) =>
      trunk
        .getLayer(name)
        .getWeights()
        .every((w, i) => tf.equal(w, network.getLayer(name).getWeights()[i]!).all().dataSync()[0] === 1);
    expect(same('conv1') && same('bn1') && same('block_bn')).toBe(true);
    expect(same('conv3')).toBe(false);
    expect(same('bn3')).toBe(false);
  }, 120_000);

  it('bn_frozen keeps the trained part’s batch norms as they were; the two-pass step then equals the whole batch', async () => {
    const whole = await run('bn-frozen', config({ train_from: 'conv3', bn_frozen: true }));
    const chunked = await run('bn-frozen-chunks', config({ train_from: 'conv3', bn_frozen: true }, { micro_batch: 3 }));
    expect(
      chunked.logs.some((l) => /two-pass steps: the loss sees all 10 images of a batch, forward and backward run 3 at a time/.test(l)),
    ).toBe(true);
    const [a, b] = [whole.series('loss'), chunked.series('loss')];
    expect(a.length).toBe(12);
    // Twelve Adam steps on float32 sums taken in other orders (chunks of 3 against 10).
    for (const [i, [, v]] of a.entries()) expect(rel(v, b[i]![1])).toBeLessThan(1e-4);
    const { network } = await loadZooNetwork(modelDir());
    const { loadCheckpoint } = await import('../../main/engine/train/checkpoint');
    const { model } = await loadCheckpoint(path.join(dir, 'bn-frozen', 'checkpoints', 'last'));
    const trunk = model.getLayer('trunk') as tf.LayersModel;
    const bn3 = trunk.getLayer('bn3').getWeights();
    network
      .getLayer('bn3')
      .getWeights()
      .forEach((w, i) => {
        expect(Array.from(bn3[i]!.dataSync())).toEqual(Array.from(w.dataSync()));
      });
    expect(Array.from(trunk.getLayer('conv3').getWeights()[0]!.dataSync())).not.toEqual(
      Array.from(network.getLayer('conv3').getWeights()[0]!.dataSync()),
    );
  }, 120_000);

  it('freeze_n_epochs trains the head first, then the backbone at backbone_lr_scale, after a warm-up', async () => {
    const weightsOf = async (name: string) => {
      const { loadCheckpoint } = await import('../../main/engine/train/checkpoint');
      const { model } = await loadCheckpoint(path.join(dir, name, 'checkpoints', 'last'));
      const trunk = model.getLayer('trunk') as tf.LayersModel;
      return {
        conv3: Array.from(trunk.getLayer('conv3').getWeights()[0]!.dataSync()),
        head: Array.from(model.getLayer('head_net').getWeights()[0]!.dataSync()),
      };
    };
    const { network } = await loadZooNetwork(modelDir());
    const pretrained = Array.from(network.getLayer('conv3').getWeights()[0]!.dataSync());
    const over = { freeze_n_epochs: 2, backbone_lr_scale: 0.1, warmup_steps: 3 };
    const frozen = await run('freeze-2', config({ train_from: 'conv3' }, { ...over, max_epochs: 2 }));
    expect((await weightsOf('freeze-2')).conv3).toEqual(pretrained);
    const lrs = frozen.series('lr').map(([, v]) => v);
    for (const [i, f] of [1 / 3, 2 / 3, 1, 1].entries()) expect(lrs[i]).toBeCloseTo(0.003 * f, 9);
    // After the frozen epochs the backbone joins with its own Adam state (one list of slots would have handed it
    // the head's moments, by position).
    const joined = await run('freeze-2-then-4', config({ train_from: 'conv3' }, { ...over, max_epochs: 4 }));
    expect(joined.result.status).toBe('finished');
    const w = await weightsOf('freeze-2-then-4');
    expect(w.conv3).not.toEqual(pretrained);
    // Adam's steps are about lr each: over the same last 4 steps (both runs share their first 2 epochs) the backbone
    // moved about a tenth as far as the head.
    const moved = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    const headAfterFreeze = (await weightsOf('freeze-2')).head;
    expect(moved(w.conv3, pretrained)).toBeLessThan(0.25 * moved(w.head, headAfterFreeze));
  }, 120_000);

  it('a cut a skip connection spans falls back to the live network, and says why', async () => {
    const r = await run('fallback', config({ train_from: 'block_bn' }, { max_epochs: 1 }));
    expect(r.result.status).toBe('finished');
    expect(r.logs.some((l) => /fine-tuning on images, the whole network every step: .*cannot be cut at "block_bn"/.test(l))).toBe(true);
  }, 60_000);
});

describe('one step of the part above the cut against a float64 reference', () => {
  // The tiny network above conv3: 1×1 conv (8 → 12) → batch norm → ReLU → average pool → linear head (12 → 16) →
  // L2 normalisation → triplet loss over all triplets (margin 0.2). Written here in float64 and differentiated by
  // central differences; the engine's gradients and the batch norm's new averages must match it.
  const N = 12;
  const labels = Int32Array.from({ length: N }, (_, i) => Math.floor(i / 3));
  type Params = { w: Float64Array; gamma: Float64Array; beta: Float64Array; dw: Float64Array; db: Float64Array };
  function forward(x: Float64Array, p: Params, stats: { mean: Float64Array; variance: Float64Array } | null) {
    const [S, C, K, D] = [16 * 16, 8, 12, 16];
    const z = new Float64Array(N * S * K);
    for (let i = 0; i < N * S; i++)
      for (let k = 0; k < K; k++) {
        let v = 0;
        for (let c = 0; c < C; c++) v += x[i * C + c]! * p.w[c * K + k]!;
        z[i * K + k] = v;
      }
    // Training: the batch's mean and biased variance per channel; frozen: the moving statistics.
    const mean = new Float64Array(K);
    const variance = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let m = 0;
      for (let i = 0; i < N * S; i++) m += z[i * K + k]!;
      m /= N * S;
      let v = 0;
      for (let i = 0; i < N * S; i++) v += (z[i * K + k]! - m) ** 2;
      mean[k] = stats ? stats.mean[k]! : m;
      variance[k] = stats ? stats.variance[k]! : v / (N * S);
    }
    const emb: Float64Array[] = [];
    for (let n = 0; n < N; n++) {
      const pooled = new Float64Array(K);
      for (let s = 0; s < S; s++)
        for (let k = 0; k < K; k++) {
          const y = (p.gamma[k]! * (z[(n * S + s) * K + k]! - mean[k]!)) / Math.sqrt(variance[k]! + 1e-3) + p.beta[k]!;
          pooled[k]! += Math.max(0, y) / S;
        }
      const h = new Float64Array(D);
      for (let d = 0; d < D; d++) {
        h[d] = p.db[d]!;
        for (let k = 0; k < K; k++) h[d]! += pooled[k]! * p.dw[k * D + d]!;
      }
      const norm = Math.hypot(...h);
      emb.push(h.map((v) => v / norm));
    }
    let loss = 0;
    let count = 0;
    const dist = (a: number, b: number) => Math.hypot(...emb[a]!.map((v, j) => v - emb[b]![j]!));
    for (let a = 0; a < N; a++)
      for (let q = 0; q < N; q++)
        for (let m = 0; m < N; m++)
          if (q !== a && labels[q] === labels[a] && labels[m] !== labels[a]) {
            loss += Math.max(0, dist(a, q) - dist(a, m) + 0.2);
            count++;
          }
    return { loss: loss / count, mean, variance };
  }

  for (const bnFrozen of [false, true])
    it(`matches it with batch norms ${bnFrozen ? 'frozen (bn_frozen)' : 'training (OML’s default)'}`, async () => {
      const z = await buildZooExtractor(config({ train_from: 'conv3', bn_frozen: bnFrozen }).extractor, modelDir(), 5);
      const upper = z.cut!.upper;
      const trunk = upper.layers.find((l) => 'layers' in l) as tf.LayersModel;
      const [w, gamma, beta, movingMean, movingVariance] = [...trunk.getLayer('conv3').getWeights(), ...trunk.getLayer('bn3').getWeights()];
      const [dw, db] = (upper.getLayer('head_net') as tf.LayersModel).getLayer('head_projection').getWeights();
      const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());
      const params: Params = { w: f64(w!), gamma: f64(gamma!), beta: f64(beta!), dw: f64(dw!), db: f64(db!) };
      const stats = { mean: f64(movingMean!), variance: f64(movingVariance!) };
      const x = Float32Array.from({ length: N * 16 * 16 * 8 }, (_, i) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1);
      const x64 = Float64Array.from(x);
      const ref = forward(x64, params, bnFrozen ? stats : null);

      const { createCriterion } = await import('../../main/engine/train/factories');
      const { CriterionConfig } = await import('../../shared/schemas/config');
      const criterion = createCriterion(CriterionConfig.parse({ name: 'triplet_with_miner', args: { margin: 0.2 } }), 16, 4, new Map(), 1);
      const vars = z.model.trainableWeights.map((v) => v.read() as tf.Variable);
      const named = new Map(vars.map((v) => [v.name.replace(/_\d+$/, ''), v]));
      expect(vars.length).toBe(bnFrozen ? 3 : 5); // conv3, (γ, β,) head kernel and bias
      const { value, grads } = tf.variableGrads(() => {
        const f = upper.apply(tf.tensor(x, [N, 16, 16, 8]), { training: true }) as tf.Tensor2D;
        return criterion.compute(f, labels).loss as tf.Scalar;
      }, vars);
      expect(Math.abs(value.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);

      // Central differences of the float64 loss, per parameter.
      const numeric = (which: keyof Params) =>
        params[which].map((_, i) => {
          const h = 1e-6;
          const at = (d: number) => {
            const p = { ...params, [which]: params[which].slice() };
            p[which][i]! += d;
            return forward(x64, p, bnFrozen ? stats : null).loss;
          };
          return (at(h) - at(-h)) / (2 * h);
        });
      const check = (name: string, which: keyof Params) => {
        const v = [...named].find(([n]) => n.endsWith(name))?.[1];
        expect(v, name).toBeDefined();
        // float32 against float64: sums over 3,072 pixels and 108 triplets, a few near the hinge.
        expect(relDiff(grads[v!.name]!.dataSync(), numeric(which)), name).toBeLessThan(1e-3);
      };
      check('conv3/kernel', 'w');
      check('head_projection/kernel', 'dw');
      check('head_projection/bias', 'db');
      if (!bnFrozen) {
        check('bn3/gamma', 'gamma');
        check('bn3/beta', 'beta');
      } else {
        expect([...named.keys()].some((n) => n.includes('bn3'))).toBe(false);
      }
      // The averages after the training-mode forward: m ← m·0.9 + batch·0.1 (the fixture's momentum); frozen: unchanged.
      const after = trunk.getLayer('bn3').getWeights().slice(2).map(f64);
      const expectMean = bnFrozen ? stats.mean : stats.mean.map((m, k) => m * 0.9 + ref.mean[k]! * 0.1);
      const expectVar = bnFrozen
        ? stats.variance
        : stats.variance.map((m, k) => m * 0.9 + ((ref.variance[k]! * N * 256) / (N * 256 - 1)) * 0.1);
      expect(relDiff(after[0]!, expectMean)).toBeLessThan(1e-5);
      expect(relDiff(after[1]!, expectVar)).toBeLessThan(1e-5);
      tf.dispose([value, ...Object.values(grads)]);
    }, 60_000);
});

describe('the frozen-output cache', () => {
  const table = async () => (await readDatasetCsv(seen, { root: SAMPLE_ROOT })).table;
  const request = async (over: Partial<FrozenCacheRequest> = {}): Promise<{ req: FrozenCacheRequest; logs: string[] }> => {
    const z = await buildZooExtractor(config({ train_from: 'conv3' }).extractor, modelDir(), 1);
    const logs: string[] = [];
    const t = await table();
    const events = new EventSink(1, (e) => e.type === 'log' && logs.push(e.message), 0);
    const req: FrozenCacheRequest = {
      kind: 'activations',
      label: 'activations entering conv3',
      net: z.cut!.lower,
      model: ['tiny_resnet', 'installed', 'features_relu', 'conv3'],
      table: t,
      spec: { size: 32, channels: 3 },
      trainRows: Array.from({ length: 20 }, (_, i) => i),
      otherRows: Array.from({ length: 10 }, (_, i) => 150 + i),
      views: 1,
      transform: TransformConfig.parse({ name: 'norm_resize' }),
      seed: 7,
      bs: 16,
      dataDir: path.join(dir, 'cache-data'),
      events,
      progress: () => {},
      ...over,
    };
    return { req, logs };
  };
  const computed = async (over: Partial<FrozenCacheRequest> = {}) => {
    const { req, logs } = await request(over);
    const out = await frozenOutputs(req);
    return { out, computed: logs.some((l) => / computing /.test(l)), reused: logs.some((l) => / reusing /.test(l)), logs };
  };

  it('is reused until the CSV, an image, the model, the layer or the view recipe changes', async () => {
    const first = await computed();
    expect(first.computed).toBe(true);
    expect(first.logs.some((l) => /computing 30 images × 16×16×8 floats = 240 KB/.test(l))).toBe(true);
    expect((await computed()).reused).toBe(true);
    // The CSV's bytes change, its size and time do not (a label fixed in place, the time put back).
    const csvStat = statSync(seen);
    const text = readFileSync(seen, 'utf8');
    const edited = text.replace('\n5,', '\n6,');
    expect(edited.length).toBe(text.length);
    writeFileSync(seen, edited);
    utimesSync(seen, csvStat.atime, csvStat.mtime);
    expect((await computed()).computed).toBe(true);
    writeFileSync(seen, text);
    utimesSync(seen, csvStat.atime, csvStat.mtime);
    expect((await computed()).reused).toBe(true);
    // An image replaced in place (a copy in the sample's folder would be shared with other tests: a new root).
    const t = await table();
    const image = path.join(SAMPLE_ROOT, t.path[3]!);
    const imgStat = statSync(image);
    utimesSync(image, imgStat.atime, new Date(imgStat.mtimeMs + 1000));
    try {
      expect((await computed()).computed).toBe(true);
    } finally {
      utimesSync(image, imgStat.atime, imgStat.mtime);
    }
    expect((await computed({ model: ['tiny_resnet', 'reinstalled', 'features_relu', 'conv3'] })).computed).toBe(true);
    expect((await computed({ model: ['tiny_resnet', 'installed', 'features_relu', 'add'] })).computed).toBe(true);
    const augs = TransformConfig.parse({ name: 'augs', args: { hflip: true } });
    expect((await computed({ views: 2, transform: augs })).computed).toBe(true);
    expect((await computed({ views: 2, transform: augs })).reused).toBe(true);
    expect((await computed({ views: 3, transform: augs })).computed).toBe(true);
    expect(
      (await computed({ views: 2, transform: TransformConfig.parse({ name: 'augs', args: { hflip: true, pad_crop: 2 } }) })).computed,
    ).toBe(true);
    expect((await computed({ views: 2, transform: augs, seed: 8 })).computed).toBe(true);
  }, 60_000);

  it('holds the plain image as view 0 and augmented draws as the other views of training rows', async () => {
    const augs = TransformConfig.parse({ name: 'augs', args: { hflip: true } });
    const { out } = await computed({ views: 4, transform: augs });
    const t = await table();
    const { req } = await request();
    const rows = [...req.trainRows, ...req.otherRows];
    const images = await new ImageStore(t, req.spec, false).get(rows);
    // Independently: each image plain and mirrored, through the frozen lower part.
    const mirror = (img: Uint8Array) => {
      const m = new Uint8Array(img.length);
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) m[(y * 32 + x) * 3 + c] = img[(y * 32 + 31 - x) * 3 + c]!;
      return m;
    };
    const embed = (imgs: Uint8Array[]) =>
      embedBatches(req.net, imgs.length, async (s, e) => toFloatBatch(imgs.slice(s, e), req.spec, null, null), 16);
    const plain = await embed(images);
    const flipped = await embed(images.map(mirror));
    const n = 16 * 16 * 8;
    const item = (k: number) => out.data.subarray(k * n, (k + 1) * n);
    const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);
    let mirrored = 0;
    for (const [i, row] of rows.entries()) {
      const views = out.views[row]!;
      expect(views).toBe(i < 20 ? 4 : 1);
      expect(close(item(out.slot[row]!), plain.subarray(i * n, (i + 1) * n))).toBe(true);
      for (let v = 1; v < views; v++) {
        const x = item(out.slot[row]! + v);
        const isPlain = close(x, plain.subarray(i * n, (i + 1) * n));
        const isFlipped = close(x, flipped.subarray(i * n, (i + 1) * n));
        expect(isPlain || isFlipped).toBe(true);
        if (isFlipped && !isPlain) mirrored++;
      }
    }
    // 60 augmented views with hflip at p = 0.5: both outcomes occur.
    expect(mirrored).toBeGreaterThan(10);
    expect(mirrored).toBeLessThan(50);
  }, 60_000);

  it('says its size first, and refuses with the number when it would not fit in memory', async () => {
    const { req } = await request({ views: 2, transform: TransformConfig.parse({ name: 'augs', args: { hflip: true } }) });
    await expect(frozenOutputs({ ...req, machine: { memoryBytes: 64 * 1024 } })).rejects.toThrow(
      /The activations cache would take 400 KB \(30 images \(20 of them × 2 views\) × 16×16×8 floats\), more than 50% of this machine's 64 KB of memory: lower extractor.args.cached_views/,
    );
  });
});
