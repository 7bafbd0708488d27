// firstOccurrences finds the same first occurrence a Map would, on inputs with many repeats, near-identical
// strings (one character apart, so their hashes collide in the low bits now and then), and skipped values.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/random';
import { firstOccurrences } from '../../main/dataset/repeats';

function reference(values: string[], counts: (i: number) => boolean = () => true): number[] {
  const first = new Map<string, number>();
  return values.map((v, i) => {
    if (!counts(i)) return -1;
    if (!first.has(v)) first.set(v, i);
    return first.get(v)!;
  });
}

describe('firstOccurrences', () => {
  it('agrees with a Map on 50k paths with repeats and near-identical names', () => {
    const rng = mulberry32(7);
    const values = Array.from({ length: 50_000 }, () => {
      const k = Math.floor(rng() * 20_000);
      return rng() < 0.5 ? `images/${k % 97}/${k}.jpg` : `Ïmages/${k}.jpg`;
    });
    const got = firstOccurrences(values);
    expect(Array.from(got)).toEqual(reference(values));
    // Repeats are found, and most values repeat here.
    expect(got.filter((f, i) => f !== i).length).toBeGreaterThan(10_000);
  });

  it('skips the values it is told not to count: they neither repeat nor are repeated', () => {
    const values = ['a', 'b', 'a', 'a', 'b', '', ''];
    const counts = (i: number) => i !== 0 && i !== 4;
    expect(Array.from(firstOccurrences(values, counts))).toEqual([-1, 1, 2, 2, -1, 5, 5]);
    expect(Array.from(firstOccurrences(values, counts))).toEqual(reference(values, counts));
  });

  it('handles no values and a single one', () => {
    expect(firstOccurrences([]).length).toBe(0);
    expect(Array.from(firstOccurrences(['x']))).toEqual([0]);
  });
});
