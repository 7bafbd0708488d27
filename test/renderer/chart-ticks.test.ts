// Issue #31, item 10: chart axes whose ticks read alike, and a log axis with a "0".
import { describe, expect, it } from 'vitest';
import { tickLabels } from '../../renderer/src/chart-ticks';

describe('axis tick labels', () => {
  it('use as many digits as it takes for neighbouring ticks to read differently', () => {
    const lr = [0.001, 0.00125, 0.0015, 0.00175, 0.002];
    const labels = tickLabels(lr);
    expect(new Set(labels).size).toBe(lr.length);
    expect(labels).toEqual(['0.001', '0.00125', '0.0015', '0.00175', '0.002']);
    expect(tickLabels([0, 0.5, 1, 1.5])).toEqual(['0', '0.5', '1', '1.5']);
    expect(tickLabels([1e-6, 2e-6, 3e-6])).toEqual(['1e-6', '2e-6', '3e-6']);
  });

  it('leave zero and negative ticks of a log axis unlabelled', () => {
    expect(tickLabels([0, 0.01, 0.1, 1], true)).toEqual(['', '0.01', '0.1', '1']);
  });
});
