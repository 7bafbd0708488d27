// One measured training run (a child process): the same step as bench/reference/torch_train.py, on the engine's
// backend. usage: training-run.ts tiny|cnn64|mnv2 STEPS [THREADS|auto] [BACKEND|auto] → one JSON line; `embed BATCHES` times inference of
// MobileNetV2-1.0 at 224 px (batch 32) through the batch loop every embedding uses.
import * as tf from '@tensorflow/tfjs';
import { ExtractorConfig } from '../shared/schemas/config';
import { useBackend } from '../main/engine/backends';
import { buildExtractor } from '../main/engine/models/extractor';
import { TripletLossWithMiner } from '../main/engine/losses/triplet';
import { HardTripletsMiner } from '../main/engine/miners/hard-triplets';
import { Optimizer } from '../main/engine/train/optim';
import { trainStep } from '../main/engine/train/step';
import { BackendName } from '../shared/schemas/engine';
import { trainableWeights } from '../main/engine/models/extractor';
import { embedBatches } from '../main/engine/embed/batches';

const [kind = 'tiny', stepsArg = '20', threadsArg = 'auto', backendArg = 'auto'] = process.argv.slice(2);
const backend = await useBackend(
  backendArg === 'auto' ? 'auto' : BackendName.parse(backendArg),
  threadsArg === 'auto' ? 'auto' : Number(threadsArg),
);
if (kind === 'embed') {
  const model = buildExtractor(ExtractorConfig.parse({ name: 'mobilenet_v2', args: { emb_dim: 128, alpha: 1 } }), [224, 224, 3], 0);
  const batch = 32;
  const item = new Float32Array(224 * 224 * 3).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
  const load = async (start: number, end: number) => {
    const out = new Float32Array((end - start) * item.length);
    for (let i = 0; i < end - start; i++) out.set(item, i * item.length);
    return out;
  };
  await embedBatches(model, batch, load, batch);
  const batches = Number(stepsArg);
  const t0 = performance.now();
  await embedBatches(model, batches * batch, load, batch);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ img_per_s: (batches * batch) / seconds, backend: backend.name, threads: backend.threads }));
  process.exit(0);
}
const cnn = kind === 'tiny' || kind === 'cnn64';
const cfg = ExtractorConfig.parse(
  cnn ? { name: 'small_cnn', args: { emb_dim: 128 } } : { name: 'mobilenet_v2', args: { emb_dim: 128, alpha: 0.35 } },
);
const shape: [number, number, number] = kind === 'tiny' ? [28, 28, 1] : kind === 'cnn64' ? [64, 64, 1] : [64, 64, 3];
const bs = kind === 'tiny' ? 64 : kind === 'cnn64' ? 128 : 32;
const perLabel = kind === 'mnv2' ? 4 : kind === 'cnn64' ? 4 : 8;
const model = buildExtractor(cfg, shape, 0);
const criterion = new TripletLossWithMiner({ margin: 0.2 }, new HardTripletsMiner());
const optimizer = new Optimizer({ name: 'adam', args: { lr: 1e-3, weight_decay: 0, momentum: 0.9 } });
const vars = trainableWeights(model, false);
const labels = Int32Array.from({ length: bs }, (_, i) => Math.floor(i / perLabel));
const x = tf.randomUniform([bs, ...shape], -1, 1, 'float32', 1);
const step = () => trainStep(model, x, labels, criterion, optimizer, vars);
for (let i = 0; i < 3; i++) await step();
const steps = Number(stepsArg);
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ img_per_s: (steps * bs) / seconds, backend: backend.name, threads: backend.threads }));
