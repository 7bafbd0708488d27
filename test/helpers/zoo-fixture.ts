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
  const model = tf.model({ inputs: input, outputs: out });
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
  const tgz = makeTgz([
    { name: 'package/package.json', data: Buffer.from('{"name":"tiny-zoo","version":"1.0.0"}') },
    { name: 'package/models/tiny/model.min.js', data: Buffer.from(umd(json)) },
    { name: 'package/models/tiny/group1-shard1of1.min.js', data: Buffer.from(umd(`"${weights.toString('base64')}"`)) },
  ]);
  const entry: ZooCatalogEntry = {
    key: 'tiny_cnn',
    name: 'Tiny CNN (test fixture)',
    description: 'A seeded two-layer CNN packed like nsfwjs',
    architecture: 'conv-conv',
    format: 'tfjs-layers',
    inputSize: 32,
    channels: 3,
    normalisation: 'zero_one',
    embeddingLayer: 'features',
    embeddingDim: 16,
    licence: 'MIT',
    trainingData: 'none',
    reportedMetrics: {},
    source: { kind: 'npm', package: 'tiny-zoo', version: '1.0.0', integrity: sri512(tgz) },
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
