import { describe, expect, it } from 'vitest';
import { isOverallKey, lowerIsBetter, metricKey, parseMetricKey, shortMetricKey } from '../../shared/metric-key';
import { flattenMetrics } from '../../main/metrics/embedding-metrics';

describe('metric keys', () => {
  it('round-trip through metricKey / parseMetricKey, categories with slashes included', () => {
    expect(metricKey('cmc', 1)).toBe('OVERALL/cmc/1');
    expect(parseMetricKey('OVERALL/cmc/1')).toEqual({ group: 'OVERALL', metric: 'cmc', k: '1' });
    expect(parseMetricKey(metricKey('map', 5, 'shoes/boots'))).toEqual({ group: 'shoes/boots', metric: 'map', k: '5' });
    expect(parseMetricKey('loss')).toBeNull();
    expect(parseMetricKey('a/b')).toBeNull();
  });

  it('are the keys the metrics are flattened to', () => {
    const flat = flattenMetrics({ OVERALL: { cmc: { '1': 0.5 } }, bags: { fnmr: { '0.01': 0.2 } } });
    expect(flat).toEqual({ [metricKey('cmc', 1)]: 0.5, [metricKey('fnmr', '0.01', 'bags')]: 0.2 });
  });

  it('shorten, classify and tell the direction of a key', () => {
    expect(shortMetricKey('OVERALL/cmc/1')).toBe('cmc/1');
    expect(shortMetricKey('bags/cmc/1')).toBe('bags/cmc/1');
    expect(isOverallKey('OVERALL/map/5')).toBe(true);
    expect(isOverallKey('bags/map/5')).toBe(false);
    expect(lowerIsBetter('loss')).toBe(true);
    expect(lowerIsBetter('OVERALL/fnmr@fmr/0.01')).toBe(true);
    expect(lowerIsBetter('OVERALL/cmc/1')).toBe(false);
  });
});
