// One measured training run (a child process): the same step as bench/reference/torch_train.py, on the engine's
// backend. usage: training-run.ts tiny|mnv2 STEPS [THREADS|auto] → one JSON line.
import * as tf from '@tensorflow/tfjs';
import { ExtractorConfig } from '../shared/schemas/config';
import { useBackend } from '../main/engine/backends';
import { buildExtractor } from '../main/engine/models/extractor';
import { TripletLossWithMiner } from '../main/engine/losses/triplet';
import { HardTripletsMiner } from '../main/engine/miners/hard-triplets';
import { Optimizer } from '../main/engine/train/optim';
import { trainableWeights } from '../main/engine/models/extractor';

const [kind = 'tiny', stepsArg = '20', threadsArg = 'auto'] = process.argv.slice(2);
const backend = await useBackend('auto', threadsArg === 'auto' ? 'auto' : Number(threadsArg));
const tinyNet = kind === 'tiny';
const cfg = ExtractorConfig.parse(
  tinyNet ? { name: 'small_cnn', args: { emb_dim: 128 } } : { name: 'mobilenet_v2', args: { emb_dim: 128, alpha: 0.35 } },
);
const shape: [number, number, number] = tinyNet ? [28, 28, 1] : [64, 64, 3];
const bs = tinyNet ? 64 : 32;
const model = buildExtractor(cfg, shape, 0);
const criterion = new TripletLossWithMiner({ margin: 0.2 }, new HardTripletsMiner());
const optimizer = new Optimizer({ name: 'adam', args: { lr: 1e-3, weight_decay: 0, momentum: 0.9 } });
const vars = trainableWeights(model, false);
const labels = Int32Array.from({ length: bs }, (_, i) => Math.floor(i / (bs / 8)));
const x = tf.randomUniform([bs, ...shape], -1, 1, 'float32', 1);
const step = () =>
  optimizer.step(() => criterion.compute(model.apply(x, { training: true }) as tf.Tensor2D, labels).loss as tf.Scalar, vars);
for (let i = 0; i < 3; i++) step();
const steps = Number(stepsArg);
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ img_per_s: (steps * bs) / seconds, backend: backend.name, threads: backend.threads }));
