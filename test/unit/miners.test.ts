import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { AllTripletsMiner, countAllTriplets } from '../../main/engine/miners/all-triplets';
import { HardTripletsMiner, NHardTripletsMiner } from '../../main/engine/miners/hard-triplets';
import { MinerWithBank, TripletMinerWithMemory } from '../../main/engine/miners/bank';

// 1-d features make hardness readable: labels 0 at 0, 1, 5; labels 1 at 2, 3, 10.
const features = Float32Array.from([0, 1, 5, 2, 3, 10]);
const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
const rng = () => mulberry32(1);
const asTriples = (t: { a: Int32Array; p: Int32Array; n: Int32Array }) =>
  Array.from(t.a, (a, i): [number, number, number] => [a, t.p[i]!, t.n[i]!]);

describe('all_triplets', () => {
  it('yields every ordered anchor/positive pair × negative: Σ c(c−1)(N−c)', () => {
    const t = new AllTripletsMiner().mine(features, 1, labels, rng());
    expect(countAllTriplets(labels)).toBe(2 * (3 * 2 * 3));
    expect(t.a).toHaveLength(36);
    for (const [a, p, n] of asTriples(t)) {
      expect(a).not.toBe(p);
      expect(labels[a]).toBe(labels[p]);
      expect(labels[a]).not.toBe(labels[n]);
    }
    expect(new Set(asTriples(t).map((x) => x.join())).size).toBe(36);
  });

  it('keeps a random subset of max_output_triplets', () => {
    const t = new AllTripletsMiner(10).mine(features, 1, labels, rng());
    expect(t.a).toHaveLength(10);
    expect(new Set(asTriples(t).map((x) => x.join())).size).toBe(10);
  });

  it('refuses batches OML refuses', () => {
    expect(() => new AllTripletsMiner().mine(features, 1, Int32Array.from([0, 0, 0, 0, 0, 0]), rng())).toThrow('at least 2 labels');
    expect(() => new AllTripletsMiner().mine(features, 1, Int32Array.from([0, 0, 0, 1, 1, 2]), rng())).toThrow('label 2 has 1');
  });
});

describe('hard miners', () => {
  it('hard_triplets: farthest positive, nearest negative per anchor', () => {
    const t = new HardTripletsMiner().mine(features, 1, labels);
    expect(asTriples(t)).toEqual([
      [0, 2, 3], // value 0: positives 1 (d1), 5 (d5) → idx 2; negatives 2 (d2), 3, 10 → idx 3
      [1, 2, 3], // value 1: positives 0 (d1), 5 (d4) → idx 2; nearest negative 2 (d1) → idx 3
      [2, 0, 4], // value 5: positives 0 (d5), 1 (d4) → idx 0; nearest negative 3 (d2) → idx 4
      [3, 5, 1], // value 2: positives 3 (d1), 10 (d8) → idx 5; nearest negative 1 (d1) → idx 1
      [4, 5, 1], // value 3: farthest positive 10 → idx 5; negatives 1 and 5 tie at d2 → lower index 1
      [5, 3, 2], // value 10: farthest positive 2 → idx 3; nearest negative 5 → idx 2
    ]);
  });

  it('n_hard_triplets with a [from, to] range skips the hardest (label-noise guard)', () => {
    const t = new NHardTripletsMiner([2, 2], [1, 2]).mine(features, 1, labels);
    // anchor 0: second-hardest positive = 1 (idx 1); two nearest negatives = idx 3 (d2), idx 4 (d3)
    expect(asTriples(t).filter((x) => x[0] === 0)).toEqual([
      [0, 1, 3],
      [0, 1, 4],
    ]);
    expect(() => new NHardTripletsMiner([0, 2])).toThrow('n_positive');
    expect(() => new NHardTripletsMiner(1, [3, 2])).toThrow('n_negative');
  });

  it('(1,1) equals hard_triplets and a huge n equals all_triplets', () => {
    expect(asTriples(new NHardTripletsMiner(1, 1).mine(features, 1, labels))).toEqual(
      asTriples(new HardTripletsMiner().mine(features, 1, labels)),
    );
    const all = new NHardTripletsMiner(100, 100).mine(features, 1, labels);
    expect(all.a).toHaveLength(countAllTriplets(labels));
  });
});

describe('memory-bank miners', () => {
  it('miner_with_bank mines the batch alone until the bank is full, then anchors stay in the batch', () => {
    const miner = new MinerWithBank(2, new NHardTripletsMiner(1, 1));
    const first = miner.mine(features, 1, labels);
    expect(first.bank).toBeNull();
    miner.mine(Float32Array.from([20, 21, 22, 23, 24, 25]), 1, labels);
    const third = miner.mine(features, 1, labels);
    expect(third.bank!.count).toBe(12);
    expect(Math.max(...third.a)).toBeLessThan(6);
    // With bank copies of the same batch, the nearest negative of anchor 0 (value 0) is a value-2 item.
    expect(third.logs.negatives_from_bank! + third.logs.negatives_from_batch!).toBe(1);
  });

  it('miner_with_bank takes a negative from the bank when the bank holds a harder one than the batch', () => {
    // Batch A has each label's negatives 0.1 away; batch B spreads labels 10 apart. Once A fills the bank, B's
    // anchors 0 (value 0) and 1 (value 1) find their nearest negatives in the bank (0.1 and 1.1, label 1).
    const bLabels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const A = Float32Array.from([0, 1, 0.1, 1.1, 0.2, 1.2]);
    const B = Float32Array.from([0, 1, 10, 11, 20, 21]);
    const miner = new MinerWithBank(1, new NHardTripletsMiner(1, 1));
    expect(miner.mine(A, 1, bLabels).bank).toBeNull();
    const t = miner.mine(B, 1, bLabels);
    expect(Array.from(t.bank!.features)).toEqual(Array.from(A));
    const negOf = (anchor: number) => t.n[t.a.indexOf(anchor)]!;
    expect(negOf(0)).toBe(6 + 2); // pool row 6 + k is bank row k: value 0.1
    expect(negOf(1)).toBe(6 + 3); // value 1.1
    // Label 2's anchors (20, 21) are nearer batch label 1 (11) than anything in the bank (≤ 1.2).
    expect(negOf(4)).toBe(3);
    expect(negOf(5)).toBe(3);
    expect(negOf(2)).toBe(6 + 5); // value 10: bank 1.2 (8.8 away) beats batch 1 (9)
    expect(negOf(3)).toBe(4); // value 11: batch 20 (9 away) beats bank 1.2 (9.8)
    expect(t.logs.negatives_from_bank).toBeCloseTo(3 / 6, 12);
    // Mining the batch alone would pick batch negatives only: the same call with the bank ignored differs.
    expect(asTriples(new NHardTripletsMiner(1, 1).mine(B, 1, bLabels)).every(([, , n]) => n < 6)).toBe(true);
  });

  it('triplets_with_memory adds ≈(k−1)/2 × n bank triplets each way and flags the originals', () => {
    const miner = new TripletMinerWithMemory(2, 3);
    const r = mulberry32(9);
    miner.mine(features, 1, labels, r);
    const t = miner.mine(features, 1, labels, r);
    const original = t.isOriginal!.reduce((s, x) => s + x, 0);
    expect(original).toBe(countAllTriplets(labels));
    const extra = t.a.length - original;
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(2 * original);
    // Pool = batch (6) + bank (12): the bank's first 6 rows hold the first batch, the rest its fake labels −1…−6.
    const lab = (k: number) => (k < 6 ? labels[k]! : k < 12 ? labels[k - 6]! : -(k - 12 + 1));
    for (let i = 0; i < t.a.length; i++) {
      expect(lab(t.a[i]!)).toBe(lab(t.p[i]!));
      expect(lab(t.a[i]!)).not.toBe(lab(t.n[i]!));
    }
  });
});

describe('triplets_with_memory, part by part', () => {
  // bs 4 (labels 0,0,1,1), 3-d features, a bank of 2 batches, tri_expand_k 3: 8 batch triplets, nBank = 8.
  const labels4 = Int32Array.from([0, 0, 1, 1]);
  const X1 = Float32Array.from([0.1, 0.2, 0.3, 1, 1, 1, 5, 5, 5, 6, 6, 7]);
  const X2 = Float32Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0]);
  const split = (t: ReturnType<TripletMinerWithMemory['mine']>) => {
    const rows = asTriples(t).map((x, i) => ({ a: x[0], p: x[1], n: x[2], orig: t.isOriginal![i] }));
    const extra = rows.filter((r) => !r.orig);
    return { rows, part3: extra.filter((r) => r.a < 4), part2: extra.filter((r) => r.a >= 4), orig: rows.filter((r) => r.orig) };
  };

  it('first batch: the bank holds fake labels −1…−bs on one-hot rows; nBank triplets each way, in the order part 3, 2, 1', () => {
    const miner = new TripletMinerWithMemory(2, 3);
    expect(miner.name).toBe('triplets_with_memory');
    const t = miner.mine(X1, 3, labels4, mulberry32(4));
    // Bank row i: label −(i mod 4 + 1), a 1 at index min(i mod 4 + 1, dim − 1).
    const hot = [1, 2, 2, 2, 1, 2, 2, 2];
    expect(Array.from(t.bank!.features)).toEqual(hot.flatMap((h) => [0, 1, 2].map((k) => (k === h ? 1 : 0))));
    expect(t.bank!.count).toBe(8);
    const { rows, part2, part3, orig } = split(t);
    expect([part3.length, part2.length, orig.length]).toEqual([8, 8, 8]);
    expect(rows.map((r) => r.orig)).toEqual([...Array(16).fill(0), ...Array(8).fill(1)]);
    expect(rows.slice(0, 8).every((r) => r.a < 4)).toBe(true); // part 3 first
    const bankLabel = (i: number) => -(((i - 4) % 4) + 1);
    for (const r of part3) {
      expect(labels4[r.a]).toBe(labels4[r.p]);
      expect(r.a).not.toBe(r.p);
      expect(r.n).toBeGreaterThanOrEqual(4);
    }
    for (const r of part2) {
      expect(r.p).toBeGreaterThanOrEqual(4);
      expect(bankLabel(r.a)).toBe(bankLabel(r.p));
      expect(r.a).not.toBe(r.p);
      expect(r.n).toBeLessThan(4);
    }
    // The anchors of part 2 come from shuffled pairs, not the first groups in order: more than one bank label.
    expect(new Set(part2.map((r) => bankLabel(r.a))).size).toBeGreaterThan(1);
  });

  it('second batch: the bank holds the first batch (ring buffer rows), and label clashes are dropped', () => {
    const miner = new TripletMinerWithMemory(2, 3);
    const rng = mulberry32(4);
    miner.mine(X1, 3, labels4, rng);
    const t = miner.mine(X2, 3, labels4, rng);
    const bank = Array.from(t.bank!.features);
    expect(bank.slice(0, 12)).toEqual(Array.from(X1));
    expect(bank.slice(12)).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1]); // rows 4–7 still the fake ones
    const lab = (k: number) => (k < 4 ? labels4[k]! : k < 8 ? labels4[k - 4]! : -(k - 8 + 1));
    const { part2, part3 } = split(t);
    // Part 2 needs a bank label with two rows: only 0 and 1 (the first batch's) have them now.
    expect(part2.length).toBeGreaterThan(0);
    for (const r of [...part2, ...part3]) {
      expect(lab(r.a)).toBe(lab(r.p));
      expect(lab(r.a)).not.toBe(lab(r.n));
    }
    for (const r of part2) expect([0, 1]).toContain(lab(r.a));
    // Draws whose labels clash are dropped, so fewer than nBank of each survive here.
    expect(part2.length + part3.length).toBeLessThan(16);
    // A third batch wraps the ring: rows 0–3 keep X1, rows 4–7 now hold X2.
    const third = miner.mine(X1, 3, labels4, rng);
    expect(Array.from(third.bank!.features)).toEqual([...X1, ...X2]);
  });

  it('tri_expand_k 1 adds nothing; bad sizes are refused', () => {
    const t = new TripletMinerWithMemory(1, 1).mine(X1, 3, labels4, mulberry32(1));
    expect(t.a).toHaveLength(countAllTriplets(labels4));
    expect(() => new TripletMinerWithMemory(1, 0.5)).toThrow('tri_expand_k must be >= 1, got 0.5');
    expect(() => new TripletMinerWithMemory(0, 2)).toThrow('bank_size_in_batches must be an integer >= 1, got 0');
    expect(() => new TripletMinerWithMemory(1.5, 2)).toThrow('bank_size_in_batches must be an integer >= 1, got 1.5');
    const m = new TripletMinerWithMemory(1, 2);
    m.mine(X1, 3, labels4, mulberry32(1));
    expect(() => m.mine(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, Int32Array.from([0, 0]), mulberry32(1))).toThrow(
      'triplets_with_memory needs a constant batch size',
    );
  });
});

describe('miner_with_bank guards and logs', () => {
  it('mines the batch alone while the bank fills; counts where positives and negatives came from', () => {
    const bLabels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const A = Float32Array.from([0, 1, 0.1, 1.1, 0.2, 1.2]);
    const B = Float32Array.from([0, 1, 10, 11, 20, 21]);
    const miner = new MinerWithBank(2, new NHardTripletsMiner(1, 1));
    expect(miner.name).toBe('miner_with_bank');
    expect(miner.mine(A, 1, bLabels).bank).toBeNull();
    const second = miner.mine(A, 1, bLabels);
    expect(second.bank).toBeNull(); // the bank (2 batches) is full only after this one
    expect(second.logs).toEqual({ positives_from_bank: 0, positives_from_batch: 1, negatives_from_bank: 0, negatives_from_batch: 1 });
    const t = miner.mine(B, 1, bLabels);
    // Farthest positives: anchors 0, 1 in the batch (1 away, ties go to the lower index); 10, 11 and 20, 21
    // reach back to the bank's 0.1 and 0.2.
    expect(t.logs.positives_from_bank).toBeCloseTo(4 / 6, 12);
    expect(t.logs.positives_from_batch).toBeCloseTo(2 / 6, 12);
    expect(t.logs.negatives_from_bank! + t.logs.negatives_from_batch!).toBeCloseTo(1, 12);
  });

  it('refuses a batch of another size or dimension, and a bad bank size', () => {
    const miner = new MinerWithBank(1, new NHardTripletsMiner(1, 1));
    miner.mine(features, 1, labels);
    expect(() => miner.mine(Float32Array.from([1, 2, 3, 4]), 1, Int32Array.from([0, 0, 1, 1]))).toThrow(
      'miner_with_bank needs a constant batch size (6) and dimension',
    );
    expect(() => miner.mine(new Float32Array(12), 2, labels)).toThrow('needs a constant batch size (6) and dimension');
    for (const n of [0, -1, 2.5])
      expect(() => new MinerWithBank(n, new NHardTripletsMiner())).toThrow('bank_size_in_batches must be an integer >= 1');
  });

  it('hardness ranges must be whole numbers', () => {
    expect(() => new NHardTripletsMiner([1.5, 3])).toThrow('n_positive must be a positive int or a [from, to] range');
    expect(() => new NHardTripletsMiner(1, [1, 2.5])).toThrow('n_negative');
    expect(() => new NHardTripletsMiner(2.5)).toThrow('n_positive');
    expect(new HardTripletsMiner().name).toBe('hard_triplets');
    expect(new NHardTripletsMiner().name).toBe('n_hard_triplets');
    expect(new AllTripletsMiner().name).toBe('all_triplets');
  });
});
