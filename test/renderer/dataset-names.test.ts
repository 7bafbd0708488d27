// Issue #31, item 10: "Recent" listed the same dataset name twice with no way to tell them apart.
import { describe, expect, it } from 'vitest';
import { datasetLabels } from '../../renderer/src/dataset-names';

describe('dataset labels', () => {
  it('are the name alone when unique, and add the file or folders that tell repeats apart', () => {
    expect(
      datasetLabels([
        { name: 'icons', csvPath: '/home/a/icons/df.csv' },
        { name: 'icons', csvPath: '/home/a/icons/df.v2.csv' },
        { name: 'shoes', csvPath: '/data/shoes/df.csv' },
        { name: 'faces', csvPath: '/x/one/faces/df.csv' },
        { name: 'faces', csvPath: '/x/two/faces/df.csv' },
      ]),
    ).toEqual(['icons (df.csv)', 'icons (df.v2.csv)', 'shoes', 'faces (one/faces/df.csv)', 'faces (two/faces/df.csv)']);
  });
});
