import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, SchedulerConfig } from '../../../shared/schemas/config';

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Options of an optimiser with a backbone group (`backbone_lr_scale`, `freeze_n_epochs`). */
export interface GroupOptions {
  /** The backbone's learning rate relative to the head's. */
  backboneScale?: number;
  /** Which variables belong to the backbone group (every trainable layer outside the head). */
  isBackbone?: (v: tf.Variable) => boolean;
}

/** Checkpoint names of the backbone group's slots carry this prefix; the head group's are tfjs's own. */
const BACKBONE_GROUP = 'backbone_group/';

/**
 * A tfjs optimiser plus what tfjs lacks: a settable learning rate for every kind, AdamW's decoupled decay, a
 * warm-up factor, and a second parameter group for the backbone (PyTorch's param_groups) with its own rate.
 *
 * The backbone group is also what makes `freeze_n_epochs` sound: a tfjs optimiser keeps its slots by the position
 * of a variable in the gradients it is given, so a list that grows when the backbone unfreezes would hand the head's
 * Adam moments to backbone kernels. Each group always gets its own variables, in the same order.
 */
export class Optimizer {
  /** The head group (every variable when there is no backbone group). */
  readonly inner: tf.Optimizer;
  private readonly backbone: tf.Optimizer | null;
  private lr: number;
  private factor = 1;

  constructor(
    readonly config: OptimizerConfig,
    private readonly groups: GroupOptions = {},
  ) {
    this.lr = config.args.lr;
    this.inner = this.make(this.lr);
    this.backbone = groups.isBackbone ? this.make(this.lr * this.scale) : null;
  }

  private get scale(): number {
    return this.groups.backboneScale ?? 1;
  }

  private make(lr: number): tf.Optimizer {
    return this.config.name === 'sgd' ? tf.train.momentum(lr, this.config.args.momentum) : tf.train.adam(lr);
  }

  /** The scheduled rate (the head group's, before warm-up). */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(lr: number) {
    this.lr = lr;
    this.sync();
  }
  /** The rate the head group steps with now: the scheduled one times the warm-up factor. */
  get effectiveLearningRate(): number {
    return this.lr * this.factor;
  }
  /** Warm-up: a factor in (0, 1] on every group's rate. */
  set warmupFactor(f: number) {
    this.factor = f;
    this.sync();
  }

  private sync(): void {
    const set = (o: tf.Optimizer, lr: number) => {
      // tfjs optimisers override Symbol.hasInstance (every optimiser is `instanceof SGDOptimizer`): go by our own
      // config. SGD/momentum cache -lr in a tensor; Adam reads its learningRate field at every step.
      if (this.config.name === 'sgd') (o as tf.SGDOptimizer).setLearningRate(lr);
      else (o as unknown as { learningRate: number }).learningRate = lr;
    };
    set(this.inner, this.effectiveLearningRate);
    if (this.backbone) set(this.backbone, this.effectiveLearningRate * this.scale);
  }

  /**
   * One step: minimise `loss` over `vars`; returns the loss value. Weight decay follows PyTorch: sgd and adam add
   * wd·w to the gradient (L2, so Adam scales it with the moments), adamw shrinks the weights w ← w·(1 − lr·wd)
   * before the update (decoupled), each group with its own rate.
   */
  async step(loss: () => tf.Scalar, vars: tf.Variable[]): Promise<number> {
    return this.apply(tf.variableGrads(loss, vars), vars);
  }

  /**
   * Applies a step's gradients, then reads its loss: the update is queued before the read, so a GPU backend is not
   * kept waiting for it.
   */
  async apply({ value, grads }: { value: tf.Scalar; grads: tf.NamedTensorMap }, vars: tf.Variable[]): Promise<number> {
    const isBackbone = this.groups.isBackbone;
    const head = this.backbone && isBackbone ? vars.filter((v) => !isBackbone(v)) : vars;
    const backbone = this.backbone && isBackbone ? vars.filter(isBackbone) : [];
    this.update(this.inner, this.effectiveLearningRate, head, grads);
    if (backbone.length) this.update(this.backbone!, this.effectiveLearningRate * this.scale, backbone, grads);
    tf.dispose(grads);
    const cost = (await value.data())[0]!;
    value.dispose();
    return cost;
  }

  private update(o: tf.Optimizer, lr: number, vars: tf.Variable[], grads: tf.NamedTensorMap): void {
    const wd = this.config.args.weight_decay;
    const mine: tf.NamedTensorMap = {};
    for (const v of vars) if (grads[v.name]) mine[v.name] = grads[v.name]!;
    if (wd > 0 && this.config.name === 'adamw') {
      tf.tidy(() => {
        for (const v of vars) v.assign(tf.mul(v, 1 - lr * wd));
      });
    } else if (wd > 0) {
      for (const v of vars) {
        const g = mine[v.name];
        if (!g) continue;
        mine[v.name] = tf.tidy(() => tf.add(g, tf.mul(v, wd)));
        grads[v.name] = mine[v.name]!;
        g.dispose();
      }
    }
    o.applyGradients(mine);
  }

  async getWeights(): Promise<NamedTensor[]> {
    const head = await this.inner.getWeights();
    if (!this.backbone) return head;
    const backbone = await this.backbone.getWeights();
    return [...head, ...backbone.map((w) => ({ name: `${BACKBONE_GROUP}${w.name}`, tensor: w.tensor }))];
  }
  async setWeights(weights: NamedTensor[]): Promise<void> {
    const backbone = weights.filter((w) => w.name.startsWith(BACKBONE_GROUP));
    await this.inner.setWeights(weights.filter((w) => !w.name.startsWith(BACKBONE_GROUP)));
    if (this.backbone && backbone.length)
      await this.backbone.setWeights(backbone.map((w) => ({ name: w.name.slice(BACKBONE_GROUP.length), tensor: w.tensor })));
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
