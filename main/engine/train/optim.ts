import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, SchedulerConfig } from '../../../shared/schemas/config';

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** A tfjs optimiser plus what tfjs lacks: a settable learning rate for every kind and AdamW's decoupled decay. */
export class Optimizer {
  readonly inner: tf.Optimizer;
  private lr: number;

  constructor(readonly config: OptimizerConfig) {
    const { lr, momentum } = config.args;
    this.lr = lr;
    this.inner = config.name === 'sgd' ? tf.train.momentum(lr, momentum) : tf.train.adam(lr);
  }

  get learningRate(): number {
    return this.lr;
  }
  set learningRate(lr: number) {
    this.lr = lr;
    // tfjs optimisers override Symbol.hasInstance (every optimiser is `instanceof SGDOptimizer`): go by our own
    // config. SGD/momentum cache -lr in a tensor; Adam reads its learningRate field at every step.
    if (this.config.name === 'sgd') (this.inner as tf.SGDOptimizer).setLearningRate(lr);
    else (this.inner as unknown as { learningRate: number }).learningRate = lr;
  }

  /**
   * One step: minimise `loss` over `vars`; returns the loss value. Weight decay follows PyTorch: sgd and adam add
   * wd·w to the gradient (L2, so Adam scales it with the moments), adamw shrinks the weights w ← w·(1 − lr·wd)
   * before the update (decoupled).
   */
  async step(loss: () => tf.Scalar, vars: tf.Variable[]): Promise<number> {
    return this.apply(tf.variableGrads(loss, vars), vars);
  }

  /**
   * Applies a step's gradients, then reads its loss: the update is queued before the read, so a GPU backend is not
   * kept waiting for it.
   */
  async apply({ value, grads }: { value: tf.Scalar; grads: tf.NamedTensorMap }, vars: tf.Variable[]): Promise<number> {
    const wd = this.config.args.weight_decay;
    if (wd > 0 && this.config.name === 'adamw') {
      tf.tidy(() => {
        for (const v of vars) v.assign(tf.mul(v, 1 - this.lr * wd));
      });
    } else if (wd > 0) {
      for (const v of vars) {
        const g = grads[v.name];
        if (!g) continue;
        grads[v.name] = tf.tidy(() => tf.add(g, tf.mul(v, wd)));
        g.dispose();
      }
    }
    this.inner.applyGradients(grads);
    tf.dispose(grads);
    const cost = (await value.data())[0]!;
    value.dispose();
    return cost;
  }

  async getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }
  async setWeights(weights: NamedTensor[]): Promise<void> {
    await this.inner.setWeights(weights);
  }
}

/** Learning rate schedules with PyTorch's formulas (OML's registry names). `t` counts epochs or steps. */
export class Scheduler {
  private bestMetric: number | null = null;
  private badEpochs = 0;
  private plateauLr: number;

  constructor(
    readonly config: SchedulerConfig,
    readonly baseLr: number,
  ) {
    this.plateauLr = baseLr;
  }

  lrAt(t: number): number {
    const c = this.config;
    switch (c.name) {
      case 'step':
        return this.baseLr * c.args.gamma ** Math.floor(t / c.args.step_size);
      case 'multi_step':
        return this.baseLr * c.args.gamma ** c.args.milestones.filter((m) => m <= t).length;
      case 'cosine_annealing':
        // PyTorch's closed form: past T_max the rate climbs back (a cosine period of 2·T_max), as CosineAnnealingLR does.
        return c.args.eta_min + ((this.baseLr - c.args.eta_min) * (1 + Math.cos((Math.PI * t) / c.args.T_max))) / 2;
      case 'one_cycle': {
        const { max_lr, total_steps, pct_start, div_factor, final_div_factor } = c.args;
        const initial = max_lr / div_factor;
        const final = initial / final_div_factor;
        const up = pct_start * total_steps - 1;
        const cos = (from: number, to: number, p: number) => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, p))))) / 2;
        // With one warm-up step or less (pct_start · total_steps ≤ 1) the peak is at t = 0: no 0/0.
        if (t <= up) return up > 0 ? cos(initial, max_lr, t / up) : max_lr;
        return cos(max_lr, final, (t - up) / Math.max(1, total_steps - 1 - up));
      }
      case 'reduce_on_plateau':
        return this.plateauLr;
    }
  }

  /** reduce_on_plateau's memory, saved in the `last` checkpoint so a resumed run continues the same schedule. */
  state(): { bestMetric: number | null; badEpochs: number; plateauLr: number } {
    return { bestMetric: this.bestMetric, badEpochs: this.badEpochs, plateauLr: this.plateauLr };
  }
  loadState(state: unknown): void {
    ({ bestMetric: this.bestMetric, badEpochs: this.badEpochs, plateauLr: this.plateauLr } = state as ReturnType<Scheduler['state']>);
  }

  /** reduce_on_plateau: called after each validation with the monitored metric. */
  observe(metric: number): void {
    const c = this.config;
    if (c.name !== 'reduce_on_plateau' || Number.isNaN(metric)) return;
    const better = this.bestMetric === null || (c.args.mode === 'max' ? metric > this.bestMetric : metric < this.bestMetric);
    if (better) {
      this.bestMetric = metric;
      this.badEpochs = 0;
    } else if (++this.badEpochs > c.args.patience) {
      this.plateauLr = Math.max(c.args.min_lr, this.plateauLr * c.args.factor);
      this.badEpochs = 0;
    }
  }
}
