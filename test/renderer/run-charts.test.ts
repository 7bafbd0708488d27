import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { Baseline } from '../../shared/baselines';
import { referenceLines, runCharts, seriesCsv } from '../../renderer/src/run-charts';
import { bestIndex } from '../../renderer/src/format';

const pts = (...values: number[]) => values.map((v, i) => [i + 1, i, v] as [number, number, number]);

describe('run charts', () => {
  it('loss first, then the checkpoint metric, other overall metrics, step series; categories apart', () => {
    const series = {
      img_per_s: pts(10),
      'OVERALL/map/5': pts(0.5),
      lr: pts(0.001),
      'shoes/cmc/1': pts(0.4),
      'OVERALL/cmc/1': pts(0.6),
      'OVERALL/cmc/5': pts(0.9),
      loss: pts(0.2),
      'bags/cmc/1': pts(0.3),
      collapse_warning: pts(1),
    };
    const byMap = runCharts(series, 'OVERALL/map/5');
    expect(byMap.main.map((c) => c.group)).toEqual(['loss', 'OVERALL map', 'OVERALL cmc', 'img_per_s', 'lr']);
    expect(byMap.main.find((c) => c.group === 'OVERALL cmc')!.keys).toEqual(['OVERALL/cmc/1', 'OVERALL/cmc/5']);
    expect(byMap.main.map((c) => c.perStep)).toEqual([true, false, false, true, true]);
    expect(byMap.categories.map((c) => c.group)).toEqual(['bags cmc', 'shoes cmc']);
    expect(
      runCharts(series, 'OVERALL/cmc/1')
        .main.map((c) => c.group)
        .slice(0, 3),
    ).toEqual(['loss', 'OVERALL cmc', 'OVERALL map']);
  });

  it('exports every point as key, step, epoch, value, quoting what needs it', () => {
    const csv = seriesCsv({ loss: pts(0.25, 0.125), 'odd,"key"/cmc/1': [[0, -1, 0.5]] });
    expect(parse(csv, { columns: true })).toEqual([
      { key: 'loss', step: '1', epoch: '0', value: '0.25' },
      { key: 'loss', step: '2', epoch: '1', value: '0.125' },
      { key: 'odd,"key"/cmc/1', step: '0', epoch: '-1', value: '0.5' },
    ]);
  });
});

describe('reference lines', () => {
  const baselines: Baseline[] = [
    { name: 'raw_pixels', label: 'raw pixels', metrics: { 'OVERALL/cmc/1': 0.7, 'OVERALL/cmc/5': 0.9 }, seconds: 1 },
    { name: 'zoo:m', label: 'm frozen', metrics: { 'OVERALL/cmc/1': 0.6 }, seconds: 5 },
  ];
  it('draws each baseline flat across the chart on the keys it measured, and the untrained value on the checkpoint chart', () => {
    const lines = referenceLines(['OVERALL/cmc/1', 'OVERALL/cmc/5'], [3, 0, 10], {
      checkpointKey: 'OVERALL/cmc/1',
      untrained: 0.5,
      baselines,
    });
    expect(lines.map((l) => [l.name, l.points])).toEqual([
      [
        'untrained network',
        [
          [0, 0.5],
          [10, 0.5],
        ],
      ],
      [
        'raw pixels: cmc/1',
        [
          [0, 0.7],
          [10, 0.7],
        ],
      ],
      [
        'raw pixels: cmc/5',
        [
          [0, 0.9],
          [10, 0.9],
        ],
      ],
      [
        'm frozen: cmc/1',
        [
          [0, 0.6],
          [10, 0.6],
        ],
      ],
    ]);
    expect(lines.every((l) => l.reference)).toBe(true);
    // One key: the baseline's name alone; a chart without the checkpoint key gets no untrained line.
    expect(
      referenceLines(['OVERALL/cmc/5'], [1, 2], { checkpointKey: 'OVERALL/cmc/1', untrained: 0.5, baselines }).map((l) => l.name),
    ).toEqual(['raw pixels']);
    expect(referenceLines(['loss'], [1, 2], { checkpointKey: 'OVERALL/cmc/1', untrained: 0.5, baselines })).toEqual([]);
    expect(referenceLines(['OVERALL/cmc/1'], [], { checkpointKey: 'OVERALL/cmc/1', untrained: 0.5, baselines })).toEqual([]);
  });
});

describe('best of several runs', () => {
  it('follows the metric’s direction: higher CMC, lower loss and FNMR; absent values never win', () => {
    expect(bestIndex('OVERALL/cmc/1', [0.5, 0.7, null, 0.6])).toBe(1);
    expect(bestIndex('loss', [0.5, 0.7, null, 0.2])).toBe(3);
    expect(bestIndex('OVERALL/fnmr@fmr/0.1', [0.3, 0.1, 0.2])).toBe(1);
    expect(bestIndex('OVERALL/map/5', [null, null])).toBeNull();
  });
});
