/**
 * For each value, the index of its first occurrence (itself when it is the first; -1 where `counts(i)` is false:
 * such values are neither looked up nor found): how the dataset checks find rows that repeat a path. An open-addressing table over the strings' own hash: a Map of a million distinct paths cost
 * 0.8 s (its hashing and its growth), this a tenth of that.
 */
export function firstOccurrences(values: readonly string[], counts: (i: number) => boolean = () => true): Int32Array {
  const n = values.length;
  const first = new Int32Array(n);
  let size = 16;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  // Slot k is two int32s: 1 + the index of the first value that landed there (0: empty), and that value's hash,
  // side by side so a probe that meets another value rarely has to read its string.
  const slots = new Int32Array(2 * size);
  for (let i = 0; i < n; i++) {
    if (!counts(i)) {
      first[i] = -1;
      continue;
    }
    const v = values[i]!;
    const h = hash(v);
    let s = h & mask;
    for (;;) {
      const at = slots[2 * s]!;
      if (at === 0) {
        slots[2 * s] = i + 1;
        slots[2 * s + 1] = h;
        first[i] = i;
        break;
      }
      if (slots[2 * s + 1] === h && values[at - 1] === v) {
        first[i] = at - 1;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  return first;
}

/** FNV-1a over the UTF-16 code units, then a final mix so the low bits (the slot) depend on every character. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
