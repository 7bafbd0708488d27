// The optimizers against PyTorch's update rules written out in float64, and the schedulers against PyTorch's
// closed forms: what the integration matrix (optim-matrix.test.ts) cannot see in a short real run.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerConfig, SchedulerConfig } from '../../shared/schemas/config';
import { Optimizer, Scheduler } from '../../main/engine/train/optim';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Loss Σ c_i·w_i² / 2 + Σ b_i·w_i: gradient c·w + b, different for every coordinate.
const C = [1, 3, 0.5];
const B = [0.2, -0.4, 1];
const W0 = [1, -2, 0.5];

/** torch.optim.SGD / Adam / AdamW's step, one coordinate array at a time (PyTorch's documented algorithms). */
function reference(name: 'sgd' | 'adam' | 'adamw', lrs: number[], wd: number, momentum = 0.9, coords = [0, 1, 2]): number[] {
  const grad = (w: number[]) => w.map((x, i) => C[coords[i]!]! * x + B[coords[i]!]!);
  let w = coords.map((i) => W0[i]!);
  let buf: number[] | null = null;
  let m = w.map(() => 0);
  let v = w.map(() => 0);
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  lrs.forEach((lr, k) => {
    const t = k + 1;
    let g = grad(w);
    if (name === 'adamw') w = w.map((x) => x * (1 - lr * wd));
    else g = g.map((x, i) => x + wd * w[i]!);
    if (name === 'sgd') {
      buf = buf === null ? g : buf.map((x, i) => momentum * x + g[i]!);
      w = w.map((x, i) => x - lr * buf![i]!);
      return;
    }
    m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
    v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! ** 2);
    w = w.map((x, i) => x - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps));
  });
  return w;
}

async function ours(name: 'sgd' | 'adam' | 'adamw', lrs: number[], wd: number): Promise<{ w: number[]; losses: number[] }> {
  const opt = new Optimizer(OptimizerConfig.parse({ name, args: { lr: lrs[0], weight_decay: wd } }));
  const w = tf.variable(tf.tensor1d(W0), true, `w_${name}_${wd}_${Math.random()}`);
  const losses: number[] = [];
  for (const lr of lrs) {
    opt.learningRate = lr;
    losses.push(
      await opt.step(
        () =>
          tf.tidy(() => tf.add(tf.sum(tf.mul(tf.mul(tf.square(w), tf.tensor1d(C)), 0.5)), tf.sum(tf.mul(w, tf.tensor1d(B))))) as tf.Scalar,
        [w],
      ),
    );
  }
  const out = Array.from(w.dataSync());
  w.dispose();
  return { w: out, losses };
}

describe('optimizers follow PyTorch', () => {
  // A changing learning rate as a scheduler sets it, so a stale cached rate shows.
  const lrs = [0.1, 0.05, 0.05, 0.02];
  for (const name of ['sgd', 'adam', 'adamw'] as const) {
    for (const wd of [0, 0.1]) {
      it(`${name} with weight_decay ${wd}`, async () => {
        const got = await ours(name, lrs, wd);
        const want = reference(name, lrs, wd);
        for (const [i, x] of got.w.entries()) expect(x).toBeCloseTo(want[i]!, 5);
        // The returned loss is the loss before each step, without any decay term in it.
        const l0 = W0.reduce((s, x, i) => s + (C[i]! * x * x) / 2 + B[i]! * x, 0);
        expect(got.losses[0]).toBeCloseTo(l0, 5);
        expect(got.losses.at(-1)!).toBeLessThan(l0);
      });
    }
  }

  it('adam with weight decay is L2 (through the moments), not adamw’s decoupled shrink', async () => {
    const adam = (await ours('adam', [0.1, 0.1, 0.1], 0.1)).w;
    const adamw = (await ours('adamw', [0.1, 0.1, 0.1], 0.1)).w;
    const plain = (await ours('adam', [0.1, 0.1, 0.1], 0)).w;
    expect(Math.max(...adam.map((x, i) => Math.abs(x - adamw[i]!)))).toBeGreaterThan(1e-3);
    // Adam normalises the L2 term away with the gradient's scale: it moves far less than adamw's shrink does.
    const gap = (a: number[]) => Math.max(...a.map((x, i) => Math.abs(x - plain[i]!)));
    expect(gap(adam)).toBeGreaterThan(0);
    expect(gap(adam)).toBeLessThan(gap(adamw) / 10);
  });
});

describe('parameter groups: a backbone at its own rate, joining after freeze_n_epochs', () => {
  // PyTorch's param_groups: the head [w1] at lr, the backbone [w0, w2] at lr × 0.1, frozen (no grad, no state) for
  // the first two steps; a warm-up factor over the first three steps on both. Each coordinate's update is its own,
  // so the float64 reference runs per group, the backbone's state starting at its first step.
  for (const name of ['sgd', 'adam', 'adamw'] as const) {
    it(`${name}: each group follows its own rate and its own state`, async () => {
      const lr = 0.05;
      const warm = (t: number) => Math.min(1, (t + 1) / 3);
      const opt = new Optimizer(OptimizerConfig.parse({ name, args: { lr, weight_decay: 0.01 } }), {
        backboneScale: 0.1,
        isBackbone: (v) => v.name.startsWith('wb_'),
      });
      const wb = tf.variable(tf.tensor1d([W0[0]!, W0[2]!]), true, `wb_${name}_${Math.random()}`);
      const wh = tf.variable(tf.tensor1d([W0[1]!]), true, `wh_${name}_${Math.random()}`);
      // The loss above, its coordinates split between the backbone [w0, w2] and the head [w1].
      const lossOf = (b: tf.Variable, h: tf.Variable) => () =>
        tf.tidy(() => {
          const half = (w: tf.Tensor, c: number[], k: number[]) =>
            tf.add(tf.sum(tf.mul(tf.mul(tf.square(w), tf.tensor1d(c)), 0.5)), tf.sum(tf.mul(w, tf.tensor1d(k))));
          return tf.add(half(b, [C[0]!, C[2]!], [B[0]!, B[2]!]), half(h, [C[1]!], [B[1]!]));
        }) as tf.Scalar;
      const loss = lossOf(wb, wh);
      for (let t = 0; t < 5; t++) {
        opt.warmupFactor = warm(t);
        expect(opt.effectiveLearningRate).toBeCloseTo(lr * warm(t), 15);
        await opt.step(loss, t < 2 ? [wh] : [wb, wh]);
      }
      const head = reference(
        name,
        [0, 1, 2, 3, 4].map((t) => lr * warm(t)),
        0.01,
        0.9,
        [1],
      );
      const backbone = reference(
        name,
        [2, 3, 4].map((t) => 0.1 * lr * warm(t)),
        0.01,
        0.9,
        [0, 2],
      );
      const got = [...wb.dataSync(), ...wh.dataSync()];
      for (const [i, x] of [...backbone, ...head].entries()) expect(got[i]).toBeCloseTo(x, 5);
      // Its state travels in a checkpoint: a restored optimiser takes the same next step.
      const again = new Optimizer(OptimizerConfig.parse({ name, args: { lr, weight_decay: 0.01 } }), {
        backboneScale: 0.1,
        isBackbone: (v) => v.name.startsWith('wb_'),
      });
      const saved = await opt.getWeights();
      expect(saved.some((w) => w.name.startsWith('backbone_group/'))).toBe(true);
      await again.setWeights(saved);
      const [wb2, wh2] = [tf.variable(wb.clone(), true, `wb_2${Math.random()}`), tf.variable(wh.clone(), true, `wh_2${Math.random()}`)];
      await opt.step(loss, [wb, wh]);
      await again.step(lossOf(wb2, wh2), [wb2, wh2]);
      // To float32 rounding: tfjs restores Adam's β powers as pow(β, t) where the run multiplied them step by step.
      const [x, y] = [
        [...wb2.dataSync(), ...wh2.dataSync()],
        [...wb.dataSync(), ...wh.dataSync()],
      ];
      for (const [i, v] of x.entries()) expect(Math.abs(v - y[i]!)).toBeLessThan(1e-6);
      tf.dispose([wb, wh, wb2, wh2]);
    });
  }
});

describe('optimizer state', () => {
  it('round-trips through getWeights/setWeights: a restored Adam takes the same next step', async () => {
    const make = () => new Optimizer(OptimizerConfig.parse({ name: 'adam', args: { lr: 0.1 } }));
    const loss = (w: tf.Variable) => () => tf.tidy(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d([3, -1]))))) as tf.Scalar;
    const a = make();
    const wa = tf.variable(tf.tensor1d([0, 0]), true, `wa_${Math.random()}`);
    for (let i = 0; i < 3; i++) await a.step(loss(wa), [wa]);
    // A fresh optimiser given a's slots (renamed to its variable, as a resumed run's are) and a's weights.
    const b = make();
    const wb = tf.variable(wa.clone(), true, `wb_${Math.random()}`);
    const slots = (await a.getWeights()).map((x) => ({ name: x.name.replace(wa.name, wb.name), tensor: x.tensor }));
    await b.setWeights(slots);
    await a.step(loss(wa), [wa]);
    await b.step(loss(wb), [wb]);
    expect(Array.from(wb.dataSync())).toEqual(Array.from(wa.dataSync()));
    // Without the slots the next step differs (Adam's first step is lr·sign(g)).
    const c = make();
    const wc = tf.variable(wa.clone(), true, `wc_${Math.random()}`);
    await c.step(loss(wc), [wc]);
    await b.step(loss(wb), [wb]);
    expect(Array.from(wc.dataSync())).not.toEqual(Array.from(wb.dataSync()));
  });
});

const scheduler = (config: unknown, lr = 0.1) => new Scheduler(SchedulerConfig.parse(config), lr);

describe('schedulers follow PyTorch’s closed forms', () => {
  it('step, multi_step and cosine_annealing', () => {
    const step = scheduler({ name: 'step', args: { step_size: 3, gamma: 0.5 } });
    expect([0, 2, 3, 5, 6, 9].map((t) => step.lrAt(t))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    const multi = scheduler({ name: 'multi_step', args: { milestones: [2, 5], gamma: 0.1 } });
    const m = [0, 1, 2, 4, 5, 9].map((t) => multi.lrAt(t));
    for (const [i, x] of [0.1, 0.1, 0.01, 0.01, 0.001, 0.001].entries()) expect(m[i]).toBeCloseTo(x, 12);
    const cos = scheduler({ name: 'cosine_annealing', args: { T_max: 4, eta_min: 0.02 } });
    for (const t of [0, 1, 2, 3, 4, 6]) expect(cos.lrAt(t)).toBeCloseTo(0.02 + (0.08 * (1 + Math.cos((Math.PI * t) / 4))) / 2, 12);
    expect(cos.lrAt(4)).toBeCloseTo(0.02, 12);
    expect(cos.lrAt(8)).toBeCloseTo(0.1, 12); // past T_max it climbs back, as CosineAnnealingLR's closed form does
  });

  it('one_cycle: cosine warm-up to max_lr at pct_start, cosine down to max_lr / (div · final_div) at the end', () => {
    const oc = scheduler({
      name: 'one_cycle',
      args: { max_lr: 1, total_steps: 11, pct_start: 0.3, div_factor: 25, final_div_factor: 1e4 },
    });
    const up = 0.3 * 11 - 1; // 2.3: PyTorch's end of phase 1
    const anneal = (from: number, to: number, p: number) => to + ((from - to) / 2) * (Math.cos(Math.PI * p) + 1);
    expect(oc.lrAt(0)).toBeCloseTo(1 / 25, 12);
    expect(oc.lrAt(1)).toBeCloseTo(anneal(1 / 25, 1, 1 / up), 12);
    expect(oc.lrAt(2)).toBeCloseTo(anneal(1 / 25, 1, 2 / up), 12);
    expect(oc.lrAt(3)).toBeCloseTo(anneal(1, 1 / 25 / 1e4, (3 - up) / (10 - up)), 12);
    expect(oc.lrAt(10)).toBeCloseTo(1 / 25 / 1e4, 12);
    // pct_start · total_steps = 1 leaves no warm-up: max_lr at t = 0, not 0/0 = NaN.
    const short = scheduler({ name: 'one_cycle', args: { max_lr: 1, total_steps: 10, pct_start: 0.1 } });
    expect(short.lrAt(0)).toBe(1);
    for (let t = 0; t < 10; t++) expect(Number.isFinite(short.lrAt(t))).toBe(true);
    expect(short.lrAt(9)).toBeLessThan(short.lrAt(1));
  });

  it('reduce_on_plateau: cuts by factor after more than `patience` bad epochs, floors at min_lr, in either mode', () => {
    const max = scheduler({ name: 'reduce_on_plateau', args: { patience: 1, factor: 0.5, min_lr: 0.03, mode: 'max' } });
    const seen = [0.5, 0.6, 0.6, 0.55, 0.7, 0.6, 0.6, 0.6, 0.6].map((metric) => {
      max.observe(metric);
      return max.lrAt(0);
    });
    // bad epochs: 0.6 (=, not better) 1, 0.55 2 > 1 → 0.05; 0.7 best; then two bad → 0.03 (floor); two more → 0.03
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03]);
    const min = scheduler({ name: 'reduce_on_plateau', args: { patience: 0, factor: 0.1, mode: 'min' } });
    min.observe(1);
    min.observe(0.5);
    expect(min.lrAt(0)).toBe(0.1);
    min.observe(0.5); // a tie is not an improvement in min mode either
    expect(min.lrAt(0)).toBeCloseTo(0.01, 12);
    min.observe(Number.NaN); // a metric that could not be computed changes nothing
    expect(min.lrAt(0)).toBeCloseTo(0.01, 12);
    // Its state round-trips: a restored scheduler continues the same schedule.
    const restored = scheduler({ name: 'reduce_on_plateau', args: { patience: 0, factor: 0.1, mode: 'min' } });
    restored.loadState(JSON.parse(JSON.stringify(min.state())));
    for (const s of [min, restored]) s.observe(0.6);
    expect(restored.lrAt(0)).toBe(min.lrAt(0));
    expect(restored.lrAt(0)).toBeCloseTo(0.001, 12);
  });
});
