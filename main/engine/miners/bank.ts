import { type Rng, randInt, shuffled } from '../../random';
import { nHardFromDistances, type NHardTripletsMiner } from './hard-triplets';
import type { MinedTriplets, TripletMiner } from '../interfaces/miners';
import { MinerError, pairwiseDistances } from './types';

/** A ring buffer of detached features and labels, bank_size_in_batches × batch rows. */
class FeatureBank {
  features: Float32Array;
  labels: Int32Array;
  ptr = 0;
  constructor(
    readonly size: number,
    readonly dim: number,
  ) {
    this.features = new Float32Array(size * dim);
    this.labels = new Int32Array(size);
  }
  push(features: Float32Array, labels: Int32Array): void {
    this.features.set(features, this.ptr * this.dim);
    this.labels.set(labels, this.ptr);
    this.ptr = (this.ptr + labels.length) % this.size;
  }
}

function pool(batch: Float32Array, bank: FeatureBank): Float32Array {
  const out = new Float32Array(batch.length + bank.features.length);
  out.set(batch);
  out.set(bank.features, batch.length);
  return out;
}

function checkBankSize(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new MinerError(`bank_size_in_batches must be an integer >= 1, got ${n}`);
}

/**
 * OML's MinerWithBank: cross-batch memory. Until the bank is full it mines the batch alone; then positives and
 * negatives come from batch ∪ bank while anchors stay in the batch (they carry the gradients).
 */
export class MinerWithBank implements TripletMiner {
  readonly name = 'miner_with_bank';
  private bank: FeatureBank | null = null;
  private accumulated = false;

  constructor(
    readonly bankSizeInBatches: number,
    readonly miner: NHardTripletsMiner,
  ) {
    checkBankSize(bankSizeInBatches);
  }

  mine(features: Float32Array, dim: number, labels: Int32Array): MinedTriplets {
    const bs = labels.length;
    this.bank ??= new FeatureBank(this.bankSizeInBatches * bs, dim);
    const bank = this.bank;
    if (bank.size % bs !== 0 || dim !== bank.dim)
      throw new MinerError(`miner_with_bank needs a constant batch size (${bank.size / this.bankSizeInBatches}) and dimension`);
    let result: MinedTriplets;
    if (this.accumulated) {
      const all = pool(features, bank);
      const allLabels = Int32Array.from([...labels, ...bank.labels]);
      const ignore = new Uint8Array(allLabels.length).fill(1, bs);
      const t = nHardFromDistances(
        pairwiseDistances(all, allLabels.length, dim),
        allLabels,
        this.miner.positive,
        this.miner.negative,
        ignore,
      );
      result = { ...t, bank: { features: bank.features.slice(), count: bank.size }, logs: bankLogs(t, bs) };
    } else {
      const t = nHardFromDistances(pairwiseDistances(features, bs, dim), labels, this.miner.positive, this.miner.negative);
      result = { ...t, bank: null, logs: bankLogs(t, bs) };
    }
    if (!this.accumulated) this.accumulated = bank.ptr + bs >= bank.size;
    bank.push(features, labels);
    return result;
  }
}

function bankLogs(t: { a: Int32Array; p: Int32Array; n: Int32Array }, bs: number): Record<string, number> {
  const pos = new Map<number, Set<number>>();
  const neg = new Map<number, Set<number>>();
  t.a.forEach((a, i) => {
    if (!pos.has(a)) {
      pos.set(a, new Set());
      neg.set(a, new Set());
    }
    pos.get(a)!.add(t.p[i]!);
    neg.get(a)!.add(t.n[i]!);
  });
  const avg = (m: Map<number, Set<number>>, fromBank: boolean) => {
    if (m.size === 0) return 0;
    let s = 0;
    for (const ids of m.values()) s += [...ids].filter((x) => x >= bs === fromBank).length;
    return s / m.size;
  };
  return {
    positives_from_bank: avg(pos, true),
    positives_from_batch: avg(pos, false),
    negatives_from_bank: avg(neg, true),
    negatives_from_batch: avg(neg, false),
  };
}

/** Every ordered pair (a, p), a ≠ p, inside each group. */
function orderedPairs(groups: number[][]): [number, number][] {
  const out: [number, number][] = [];
  for (const g of groups)
    for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) out.push([g[i]!, g[j]!], [g[j]!, g[i]!]);
  return out;
}

function groupsOf(labels: Int32Array, offset = 0): number[][] {
  const m = new Map<number, number[]>();
  labels.forEach((l, i) => {
    if (m.has(l)) m.get(l)!.push(i + offset);
    else m.set(l, [i + offset]);
  });
  return [...m.values()];
}

/**
 * OML's TripletMinerWithMemory (MoCo-inspired): all batch triplets, plus ≈(k−1)/2 × as many with anchor and
 * positive from the bank and the negative from the batch, and as many with anchor/positive from the batch and the
 * negative from the bank. The bank starts with fake labels −1…−bs and one-hot features.
 */
export class TripletMinerWithMemory implements TripletMiner {
  readonly name = 'triplets_with_memory';
  private bank: FeatureBank | null = null;

  constructor(
    readonly bankSizeInBatches: number,
    readonly triExpandK: number,
  ) {
    checkBankSize(bankSizeInBatches);
    if (!(triExpandK >= 1)) throw new MinerError(`tri_expand_k must be >= 1, got ${triExpandK}`);
  }

  private allocate(bs: number, dim: number): FeatureBank {
    const bank = new FeatureBank(this.bankSizeInBatches * bs, dim);
    for (let i = 0; i < bank.size; i++) {
      const fake = -((i % bs) + 1);
      bank.labels[i] = fake;
      bank.features[i * dim + Math.min(-fake, dim - 1)] = 1;
    }
    return bank;
  }

  mine(features: Float32Array, dim: number, labels: Int32Array, rng: Rng): MinedTriplets {
    const bs = labels.length;
    this.bank ??= this.allocate(bs, dim);
    const bank = this.bank;
    if (bank.size !== this.bankSizeInBatches * bs) throw new MinerError('triplets_with_memory needs a constant batch size');
    const bankLabel = (i: number) => bank.labels[i - bs]!;

    // part 1: anchor, positive and negative from the batch
    const a1: number[] = [],
      p1: number[] = [],
      n1: number[] = [];
    for (const [a, p] of orderedPairs(groupsOf(labels))) {
      for (let n = 0; n < bs; n++)
        if (labels[n] !== labels[a]) {
          a1.push(a);
          p1.push(p);
          n1.push(n);
        }
    }
    const nBank = Math.floor((a1.length * (this.triExpandK - 1)) / 2);

    // part 2: anchor + positive from the bank, negative from the batch
    const a2: number[] = [],
      p2: number[] = [],
      n2: number[] = [];
    const bankGroups = groupsOf(bank.labels, bs).filter((g) => g.length > 1);
    if (nBank > 0 && bankGroups.length > 0) {
      let pairs: [number, number][] = [];
      while (pairs.length < nBank) pairs = pairs.concat(orderedPairs([bankGroups[randInt(rng, bankGroups.length)]!]));
      for (const [a, p] of shuffled(pairs, rng).slice(0, nBank)) {
        const n = randInt(rng, bs);
        if (bankLabel(a) !== labels[n]) {
          a2.push(a);
          p2.push(p);
          n2.push(n);
        }
      }
    }

    // part 3: anchor + positive from the batch, negative from the bank
    const a3: number[] = [],
      p3: number[] = [],
      n3: number[] = [];
    const batchPairs = orderedPairs(groupsOf(labels));
    for (let k = 0; k < nBank && batchPairs.length > 0; k++) {
      const n = bs + randInt(rng, bank.size);
      const [a, p] = batchPairs[randInt(rng, batchPairs.length)]!;
      if (labels[a] !== bankLabel(n)) {
        a3.push(a);
        p3.push(p);
        n3.push(n);
      }
    }

    const result: MinedTriplets = {
      a: Int32Array.from([...a3, ...a2, ...a1]),
      p: Int32Array.from([...p3, ...p2, ...p1]),
      n: Int32Array.from([...n3, ...n2, ...n1]),
      isOriginal: Uint8Array.from([...a3.map(() => 0), ...a2.map(() => 0), ...a1.map(() => 1)]),
      bank: { features: bank.features.slice(), count: bank.size },
      logs: {},
    };
    bank.push(features, labels);
    return result;
  }
}
