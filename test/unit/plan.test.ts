// The conversion plan says when a whole label disappears (issue: a label whose only image duplicated another
// label's image vanished without a word).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPLIT, makePlan } from '../../main/dataset/convert/plan';
import type { ImageFacts, SourceItem } from '../../main/dataset/convert/types';

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
      facts('h0'), // copycat's only image: the same bytes as kept0/0.png → dropped as a duplicate
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
    expect(plan.problems.some((p) => p.code === 'duplicate_file' && p.path === 'copycat/0.png')).toBe(true);
  });
});
