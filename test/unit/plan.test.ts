// The conversion plan says when a whole label disappears (issue: a label whose only image duplicated another
// label's image vanished without a word).
import { describe, expect, it } from 'vitest';
import { labelAccount, problemSample } from '../../main/dataset/convert/label-account';
import { DEFAULT_SPLIT, labelIds, makePlan } from '../../main/dataset/convert/plan';
import type { ImageFacts, SourceItem } from '../../main/dataset/convert/types';
import { NEAR_IDENTICAL, nearIdenticalGroups } from '../../main/quality/near-identical';
import { mulberry32 } from '../../main/random';

const item = (labelName: string, i: number): SourceItem => ({
  path: `${labelName}/${i}.png`,
  labelName,
  category: null,
  sequence: null,
  bbox: null,
  split: null,
  isQuery: null,
  isGallery: null,
  origin: `${labelName}/${i}.png`,
});
const facts = (hash: string, ok = true): ImageFacts => ({ ok, width: 64, height: 64, hash });

describe('conversion plan', () => {
  it('reports each label none of whose images could be used, and only those', () => {
    const items = [
      ...[0, 1, 2, 3].flatMap((l) => [0, 1, 2].map((i) => item(`kept${l}`, i))),
      item('copycat', 0),
      item('broken', 0),
      item('broken', 1),
    ];
    const f = [
      ...items.slice(0, 12).map((_, i) => facts(`h${i}`)),
      facts('h0'), // copycat's only image: the same bytes as kept0/0.png → a conflict, both dropped
      facts('x', false),
      facts('y', false),
    ];
    const plan = makePlan(items, f, { ...DEFAULT_SPLIT, valFraction: 0.5, seed: 1 });
    const lost = plan.problems.filter((p) => p.code === 'label_lost');
    expect(lost.map((p) => p.message)).toEqual([
      'label "copycat" is not in the dataset: none of its 1 image(s) could be used (see the problems of its files)',
      'label "broken" is not in the dataset: none of its 2 image(s) could be used (see the problems of its files)',
    ]);
    expect(Object.values(plan.labelNames).sort()).toEqual(['kept0', 'kept1', 'kept2', 'kept3']);
    expect(plan.problems.filter((p) => p.code === 'label_conflict').map((p) => p.path)).toEqual(['kept0/0.png', 'copycat/0.png']);
  });
});

describe("label account: why the source's labels became fewer (#31 item 6)", () => {
  it("counts the source's labels, the kept ones, and puts each lost one down to the problem of most of its images", () => {
    const items = [
      ...[0, 1, 2, 3].flatMap((l) => [0, 1, 2].map((i) => item(`kept${l}`, i))),
      ...[0, 1, 2].map((l) => item(`lone${l}`, 0)),
      item('copycat', 0),
      item('broken', 0),
      item('broken', 1),
    ];
    const f = [...items.slice(0, 15).map((_, i) => facts(`h${i}`)), facts('h0'), facts('x', false), facts('y', false)];
    // Every label to training: a lone image there is dropped (a sampler needs two of a label).
    const plan = makePlan(items, f, { ...DEFAULT_SPLIT, valFraction: 0, seed: 1 });
    const kept = new Set([...plan.rows].map((r) => plan.labelNames[r.label]!));
    expect(labelAccount(items, plan.problems, kept)).toEqual({
      found: 9,
      kept: 4,
      lost: [
        { code: 'single_instance_label', labels: 3 },
        { code: 'image_unreadable', labels: 1 },
        { code: 'label_conflict', labels: 1 },
      ],
    });
  });

  it('samples problems per kind and counts every one', () => {
    const problems = [
      ...Array.from({ length: 700 }, (_, i) => ({ severity: 'warning' as const, code: 'duplicate_file', path: `d/${i}.png`, message: '' })),
      ...Array.from({ length: 3 }, (_, i) => ({ severity: 'error' as const, code: 'image_unreadable', path: `u/${i}.png`, message: '' })),
    ];
    const { shown, counts } = problemSample(problems, 200);
    expect(counts).toEqual([
      { code: 'duplicate_file', count: 700 },
      { code: 'image_unreadable', count: 3 },
    ]);
    expect(shown.filter((p) => p.code === 'duplicate_file').map((p) => p.path)).toEqual(problems.slice(0, 200).map((p) => p.path));
    expect(shown.filter((p) => p.code === 'image_unreadable')).toHaveLength(3);
  });
});

/** A 16×16 grey thumbnail: a smooth pattern per seed (distinct pictures), plus optional noise (a re-encode). */
function thumb(seed: number, noise = 0): Uint8Array {
  const rng = mulberry32(seed);
  const [a, b, c] = [rng() * 6, rng() * 6, rng() * 6];
  const noisy = mulberry32(seed * 31 + 7);
  return Uint8Array.from({ length: 256 }, (_, p) => {
    const [x, y] = [p % 16, p >> 4];
    const v = 128 + 100 * Math.sin(a + (x * b) / 8) * Math.cos(c + y / 5) + noise * (noisy() - 0.5);
    return Math.max(0, Math.min(255, Math.round(v)));
  });
}

describe('label conflicts: one picture under two labels', () => {
  const items = ['a', 'b', 'c'].flatMap((l) => [0, 1, 2, 3].map((i) => item(l, i)));
  const base = () => items.map((_, i): ImageFacts => ({ ...facts(`h${i}`), thumb: thumb(i + 1) }));

  it('lists byte-identical and near-identical copies across labels, drops every copy by default, keeps each on request', () => {
    const f = base();
    f[4] = { ...f[0]! }; // b/0 is a's first file, byte for byte
    f[9] = { ...facts('other bytes'), thumb: thumb(3, 6) }; // c/1: a re-encode of a/2 (small noise, other bytes)
    const dropped = makePlan(items, f, { ...DEFAULT_SPLIT, seed: 1 });
    const conflicts = dropped.problems.filter((p) => p.code === 'label_conflict');
    expect(conflicts.map((p) => p.path)).toEqual(['a/0.png', 'a/2.png', 'b/0.png', 'c/1.png']);
    expect(conflicts[0]!.message).toBe(
      'label "a", but the same file is also "b/0.png" (label "b") — which label is right? Dropped, with every copy',
    );
    expect(conflicts[3]!.message).toMatch(
      /^label "c", but a near-identical image \(distance ≤ 0\.0\d\d on 16×16 grey pixels\) is also "a\/2\.png" \(label "a"\)/,
    );
    expect(dropped.rows.length).toBe(12 - 4);
    const kept = makePlan(items, f, { ...DEFAULT_SPLIT, seed: 1, dropConflicts: false });
    expect(kept.problems.filter((p) => p.code === 'label_conflict').every((p) => p.message.endsWith('Kept under each label'))).toBe(true);
    expect(kept.rows.length).toBe(12);
  });

  it('leaves distinct pictures and same-label copies alone', () => {
    const f = base();
    f[1] = { ...f[0]! }; // a/1 = a/0: a duplicate within a label, dropped as before
    const plan = makePlan(items, f, { ...DEFAULT_SPLIT, seed: 1 });
    expect(plan.problems.filter((p) => p.code === 'label_conflict')).toEqual([]);
    expect(plan.problems.filter((p) => p.code === 'duplicate_file').map((p) => p.path)).toEqual(['a/1.png']);
  });
});

describe('near-identical groups', () => {
  it('groups a picture with its noisy copies and nothing else, whatever the order', () => {
    const thumbs = [thumb(1), thumb(2), thumb(1, 8), thumb(3), thumb(1, 5), null, thumb(2, 60)];
    const groups = nearIdenticalGroups(thumbs);
    expect(groups.map((g) => g.members)).toEqual([[0, 2, 4]]);
    expect(groups[0]!.distance).toBeGreaterThan(0);
    expect(groups[0]!.distance).toBeLessThanOrEqual(NEAR_IDENTICAL);
    expect(nearIdenticalGroups([...thumbs].reverse()).map((g) => g.members)).toEqual([[2, 4, 6]]);
  });
});

describe('label ids', () => {
  it('keep plain integer names as they are; any other name renumbers all in name order, never merging two names', () => {
    expect(labelIds(['7', '-3', '12', '7'])).toEqual({
      ids: new Map([
        ['-3', -3],
        ['7', 7],
        ['12', 12],
      ]),
      renumbered: null,
    });
    // "01" and "1" were both label 1: two folders silently became one label.
    expect(labelIds(['1', '01', '2'])).toEqual({
      ids: new Map([
        ['01', 0],
        ['1', 1],
        ['2', 2],
      ]),
      renumbered: '01',
    });
    expect(labelIds(['0', '0.5', '1']).renumbered).toBe('0.5');
    expect(labelIds(['1', '99999999999999999999']).renumbered).toBe('99999999999999999999');
    // Names that are all words: numbering them is the only way, nothing to warn about.
    expect(labelIds(['cat', 'dog'])).toEqual({
      ids: new Map([
        ['cat', 0],
        ['dog', 1],
      ]),
      renumbered: null,
    });
  });

  it('the plan says when the labels were renumbered, and keeps every name', () => {
    const items = ['1', '01', '01', '1', '2', '2'].map((n, i) => item(n, i));
    const plan = makePlan(
      items,
      items.map((_, i) => facts(`h${i}`)),
      { ...DEFAULT_SPLIT, valLabels: 0 },
    );
    expect(plan.labelNames).toEqual({ 0: '01', 1: '1', 2: '2' });
    expect(new Set([...plan.rows].map((r) => r.label))).toEqual(new Set([0, 1, 2]));
    expect(plan.problems.find((p) => p.code === 'labels_renumbered')!.message).toBe(
      'label "01" is not a plain integer, so every label is numbered 0–2 in name order (the summary file keeps the names)',
    );
  });
});

describe('lone validation images', () => {
  it('are gallery-only distractors by default (a query with nothing to find counts as a miss), queries when asked', () => {
    // Label "b" has one image and lands in validation with "a"; "c" trains.
    const items = [item('a', 0), item('a', 1), item('b', 0), item('c', 0), item('c', 1)];
    const plan = (loneAsGallery: boolean) =>
      makePlan(
        items.map((it) => ({ ...it, split: it.labelName === 'c' ? ('train' as const) : ('validation' as const) })),
        items.map((_, i) => facts(`h${i}`)),
        { ...DEFAULT_SPLIT, keepSplit: true, loneAsGallery },
      );
    const flagsOf = (p: ReturnType<typeof plan>, label: string) =>
      [...p.rows].filter((r) => p.labelNames[r.label] === label).map((r) => [r.split, r.isQuery, r.isGallery]);
    const lone = plan(true);
    expect(flagsOf(lone, 'b')).toEqual([['validation', false, true]]);
    expect(flagsOf(lone, 'a')).toEqual([
      ['validation', true, true],
      ['validation', true, true],
    ]);
    expect(lone.problems.filter((p) => p.code === 'lone_validation_image').map((p) => p.path)).toEqual(['b/0.png']);
    const asked = plan(false);
    expect(flagsOf(asked, 'b')).toEqual([['validation', true, true]]);
    expect(asked.problems.find((p) => p.code === 'query_without_positives')).toMatchObject({
      path: 'b/0.png',
      fix: 'keep lone images out of the queries',
    });
  });
});
