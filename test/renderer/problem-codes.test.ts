// The wizard's problem list and label account (#31 item 6): a capped list says how many it leaves out, per kind and in
// all, and the labels that did not make it into the dataset are explained by what took them.
import { describe, expect, it } from 'vitest';
import { labelAccountText, problemView } from '../../renderer/src/problem-codes';

const problem = (code: string, i: number) => ({ severity: 'warning' as const, code, path: `${code}/${i}.png`, message: code });

describe('wizard problem list', () => {
  // What the service sends for 2,108 problems: 200 of each kind at most, every kind counted.
  const preview = {
    problems: [
      ...Array.from({ length: 200 }, (_, i) => problem('duplicate_file', i)),
      ...Array.from({ length: 8 }, (_, i) => problem('tiny_image', i)),
    ],
    problemCount: 2108,
    problemCounts: [
      { code: 'duplicate_file', count: 2100 },
      { code: 'tiny_image', count: 8 },
    ],
  };

  it('says how many problems are not shown, in all and of one kind', () => {
    expect(problemView(preview, null)).toMatchObject({ notShown: 1900 });
    expect(problemView(preview, null).rows).toHaveLength(208);
    expect(problemView(preview, 'duplicate_file')).toMatchObject({ notShown: 1900 });
    const tiny = problemView(preview, 'tiny_image');
    expect(tiny.notShown).toBe(0);
    expect(tiny.rows.map((p) => p.code)).toEqual(Array(8).fill('tiny_image'));
  });

  it('explains why the source had more labels than the dataset keeps', () => {
    expect(
      labelAccountText({
        found: 147,
        kept: 63,
        lost: [
          { code: 'single_instance_label', labels: 70 },
          { code: 'label_conflict', labels: 13 },
          { code: 'mystery', labels: 1 },
        ],
      }),
    ).toBe(
      '147 labels in the source, 63 kept: 70 had one image (samplers need two), 13 shared their images with another label, 1 were dropped (mystery).',
    );
    expect(labelAccountText({ found: 1, kept: 1, lost: [] })).toBe('1 label in the source, 1 kept.');
  });
});
