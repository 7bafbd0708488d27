// A weights-only zoo model — face-api's face-recognition net, whose architecture face-api writes in code — through
// the zoo: a scoped npm package from a mock registry on 127.0.0.1, uint8-quantised weights as face-api ships them,
// built as a layers model that must give face-api's own forward pass, then embedded in a worker like any zoo model.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../main/engine/backends';
import { loadZooEmbedder, loadZooNetwork } from '../../main/engine/zoo-model';
import { loadDataset } from '../../main/services/datasets';
import { WorkerJobs } from '../../main/services/embedding';
import { Explorer, embedModelOf } from '../../main/services/explorer';
import { ZooService } from '../../main/services/zoo';
import { CATALOG_ENV } from '../../main/zoo/catalog';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';
import { faceApiForward, faceNetPackage, startMockRegistry } from '../helpers/zoo-fixture';

let dir: string;
let cleanup: () => void;
let registry: Awaited<ReturnType<typeof startMockRegistry>>;
let face: ReturnType<typeof faceNetPackage>;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-zoo-face-'));
  await useBackend('wasm');
  face = faceNetPackage();
  registry = await startMockRegistry(new Map([[face.entry.source.kind === 'npm' ? face.entry.source.package : '', face.tgz]]));
  const catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify({ version: 1, entries: [face.entry] }));
  Object.assign(process.env, { [CATALOG_ENV]: catalogFile, npm_config_registry: registry.url });
});
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  delete process.env.npm_config_registry;
  await registry.close();
  cleanup();
});

describe('a weights-only zoo model (face recognition)', () => {
  it("downloads from a scoped package and builds a network that gives face-api's own descriptors", async () => {
    const zoo = new ZooService(path.join(dir, 'data'));
    await zoo.download('tiny_face').done;
    expect(zoo.list()).toMatchObject([{ key: 'tiny_face', installed: true, verified: true, format: 'tfjs-weights' }]);
    expect(readdirSync(zoo.installedDir('tiny_face')).sort()).toEqual([
      'face_recognition_model.bin',
      'manifest.json',
      'weights_manifest.json',
    ]);

    const { network } = await loadZooNetwork(zoo.installedDir('tiny_face'));
    const rgb = tf.tidy(() => tf.randomUniform([3, 150, 150, 3], 0, 255, 'float32', 5).round()) as tf.Tensor4D;
    const reference = faceApiForward(face.weights, rgb);
    const ours = network.predict(tf.div(tf.sub(rgb, tf.tensor1d([122.782, 117.001, 104.298])), 255)) as tf.Tensor2D;
    expect(ours.shape).toEqual([3, 128]);
    const ref = reference.dataSync();
    const got = ours.dataSync();
    const scale = Math.max(...ref.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3); // a live network, not zeros
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
    expect(worst / scale).toBeLessThan(1e-4);
    // The descriptors differ between images: the comparison is not between two constants.
    expect(Math.abs(ref[0]! - ref[128]!) + Math.abs(ref[1]! - ref[129]!)).toBeGreaterThan(1e-4);

    // The zoo embedder takes the pipeline's [-1, 1] pixels and applies the catalogue's normalisation itself.
    const { model } = await loadZooEmbedder(zoo.installedDir('tiny_face'));
    const embedded = (model.predict(tf.sub(tf.div(rgb, 127.5), 1)) as tf.Tensor2D).arraySync();
    const expected = (tf.tidy(() => tf.div(reference, tf.norm(reference, 2, 1, true))) as tf.Tensor2D).arraySync();
    for (let r = 0; r < 3; r++) for (let i = 0; i < 128; i += 17) expect(embedded[r]![i]!).toBeCloseTo(expected[r]![i]!, 4);
  });

  it('embeds a dataset with it in a worker (grey images become 3 channels at 150 px)', async () => {
    const zoo = new ZooService(path.join(dir, 'data'));
    const table = await loadDataset(SAMPLE_CSV);
    const model = embedModelOf(undefined, { key: 'tiny_face', dir: zoo.installedDir('tiny_face') });
    const v = await new Explorer(new WorkerJobs(path.join(dir, 'cache'))).embeddings(table, model);
    expect(v.name).toBe('zoo tiny_face (fc, 128-d)');
    expect(v.embeddings.dim).toBe(128);
    expect(Math.hypot(...v.embeddings.data.subarray(0, 128))).toBeCloseTo(1, 5);
  }, 60_000);
});
