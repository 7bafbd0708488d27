import * as tf from '@tensorflow/tfjs';
import { mulberry32, type Rng } from '../../random';
import type { Criterion, LossOutput } from '../interfaces/criterions';
import type { TripletMiner } from '../interfaces/miners';
import { AllTripletsMiner } from '../miners/all-triplets';
import { elementwiseDist, pairwiseDist, reduce, type Reduction } from './common';
import { pendingLogs } from './logs';

export interface TripletOptions {
  /** > 0: relu(margin + d(a,p) − d(a,n)); null: the soft margin log(1 + exp(d(a,p) − d(a,n))). */
  margin: number | null;
  reduction?: Reduction;
}

export function checkMargin(margin: number | null): void {
  if (margin !== null && !(margin > 0)) throw new Error(`Triplet margin must be > 0 or null (soft margin), got ${margin}`);
}

/**
 * OML's TripletLoss on already-formed triplets. Like every criterion here it leaves its intermediate tensors to
 * the caller's tf.tidy (the training step): disposing them early would break the backward pass. Logs active_tri (share of triplets with loss > 0), pos_dist and
 * neg_dist (mean distances).
 */
export function tripletLoss(anchor: tf.Tensor2D, positive: tf.Tensor2D, negative: tf.Tensor2D, options: TripletOptions): LossOutput {
  return tripletLossFromDistances(elementwiseDist(anchor, positive), elementwiseDist(anchor, negative), options);
}

/** The same loss from the anchor–positive and anchor–negative distances of each triplet. */
export function tripletLossFromDistances(dPos: tf.Tensor1D, dNeg: tf.Tensor1D, options: TripletOptions): LossOutput {
  checkMargin(options.margin);
  const perTriplet = tf.tidy(() => {
    const diff = tf.sub(dPos, dNeg);
    return options.margin === null ? tf.softplus(diff) : tf.relu(tf.add(diff, options.margin));
  });
  const loss = reduce(perTriplet, options.reduction ?? 'mean');
  const pending = pendingLogs([perTriplet, dPos, dNeg], ([perT, pos, neg]) => ({
    active_tri: countPositive(perT!) / Math.max(1, perT!.length),
    pos_dist: mean(pos!),
    neg_dist: mean(neg!),
  }));
  return { loss, logs: {}, pending };
}

function countPositive(xs: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > 0) n++;
  return n;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length === 0 ? 0 : s / xs.length;
}

/**
 * OML's TripletLossWithMiner: the miner picks triplets on detached features (and its memory bank), the loss is
 * computed on rows gathered from [batch features; bank] so gradients flow into the batch rows only.
 */
export class TripletLossWithMiner implements Criterion {
  readonly name = 'triplet';
  readonly trainableVariables: tf.Variable[] = [];
  private rng: Rng;

  constructor(
    readonly options: TripletOptions,
    readonly miner: TripletMiner = new AllTripletsMiner(),
    seed = 0,
  ) {
    checkMargin(options.margin);
    this.rng = mulberry32(seed);
  }

  reseed(seed: number): void {
    this.rng = mulberry32(seed);
  }

  compute(features: tf.Tensor2D, labels: Int32Array, values?: Float32Array): LossOutput {
    const dim = features.shape[1];
    const mined = this.miner.mine(values ?? (features.dataSync() as Float32Array), dim, labels, this.rng);
    if (mined.a.length === 0) throw new Error('The miner found no triplets in this batch (need ≥ 2 labels with ≥ 2 instances each)');
    const pool = mined.bank ? tf.concat([features, tf.tensor2d(mined.bank.features, [mined.bank.count, dim])]) : features;
    // All-triplets yields tens of thousands of triplets over a few dozen rows: gathering distances from the
    // pool's distance matrix is far cheaper than gathering (and back-propagating through) 3 × T feature rows.
    const n = pool.shape[0];
    const flat = tf.reshape(pairwiseDist(pool as tf.Tensor2D, pool as tf.Tensor2D), [n * n]);
    const pick = (rows: Int32Array, cols: Int32Array) =>
      tf.gather(
        flat,
        tf.tensor1d(
          Int32Array.from(rows, (r, i) => r * n + cols[i]!),
          'int32',
        ),
      ) as tf.Tensor1D;
    const dPos = pick(mined.a, mined.p);
    const dNeg = pick(mined.a, mined.n);
    const out = tripletLossFromDistances(dPos, dNeg, this.options);
    const { isOriginal } = mined;
    const pending = out.pending!;
    if (isOriginal) {
      const base = pending.logs;
      // pending's tensors are [perTriplet, dPos, dNeg]
      pending.logs = (values) => ({ ...base(values), ...splitLogs(values[1]!, values[2]!, isOriginal, this.options.margin) });
    }
    return { loss: out.loss, logs: mined.logs, pending };
  }
}

/** triplets_with_memory: active share and distances for the batch's own triplets and for the bank's. */
function splitLogs(P: ArrayLike<number>, N: ArrayLike<number>, isOriginal: Uint8Array, margin: number | null): Record<string, number> {
  const part = (orig: boolean) => {
    const ids = [...isOriginal.keys()].filter((i) => (isOriginal[i] === 1) === orig);
    const active = ids.filter((i) => (margin === null ? true : margin + P[i]! - N[i]! > 0)).length;
    return { active: ids.length ? active / ids.length : 0, pos: mean(ids.map((i) => P[i]!)), neg: mean(ids.map((i) => N[i]!)) };
  };
  const o = part(true);
  const b = part(false);
  return {
    orig_active_tri: o.active,
    bank_active_tri: b.active,
    pos_dist_orig: o.pos,
    neg_dist_orig: o.neg,
    pos_dist_bank: b.pos,
    neg_dist_bank: b.neg,
  };
}
