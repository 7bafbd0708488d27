import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir, writeCsv } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let csv: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  // Hand-made validation set (1-d embeddings, so every distance is readable):
  //   a0 = 0, a1 = 1, a2 = 5  (label 1, category x)   b0 = 2, b1 = 9 (label 2, category y)
  // Each item queries all others (1-vs-rest). Ranked lists:
  //   a0: a1(1) b0(2) a2(5) b1(9)      → V X V X
  //   a1: a0(1) b0(1) a2(4) b1(8)      → V X V X   (tie at 1: a0 comes first in gallery order)
  //   a2: b0(3) a1(4) b1(4) a0(5)      → X V X V   (tie at 4: a1 before b1)
  //   b0: a1(1) a0(2) a2(3) b1(7)      → X X X V
  //   b1: a2(4) b0(7) a1(8) a0(9)      → X V X X
  csv = writeCsv(path.join(dir, 'df.csv'), [
    ['label', 'path', 'split', 'is_query', 'is_gallery', 'category'],
    [1, 'a0.png', 'validation', 'True', 'True', 'x'],
    [1, 'a1.png', 'validation', 'True', 'True', 'x'],
    [1, 'a2.png', 'validation', 'True', 'True', 'x'],
    [2, 'b0.png', 'validation', 'True', 'True', 'y'],
    [2, 'b1.png', 'validation', 'True', 'True', 'y'],
  ]);
  writeFileSync(path.join(dir, 'pred.json'), JSON.stringify({ 'a0.png': [0], 'a1.png': [1], 'a2.png': [5], 'b0.png': [2], 'b1.png': [9] }));
});
afterAll(() => cleanup());

describe('metric-studio evaluate', () => {
  it('reproduces hand-computed OML metrics, overall and per category', () => {
    const { code, stdout, stderr } = cli([
      'evaluate',
      '--dataset',
      csv,
      '--embeddings',
      path.join(dir, 'pred.json'),
      '--cmc',
      '1,2',
      '--precision',
      '2',
      '--map',
      '4',
      '--pcf',
      '',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const m = JSON.parse(stdout);
    // cmc@1: a0 1, a1 1, a2 0, b0 0, b1 0 → 0.4; cmc@2: 1, 1, 1, 0, 1 → 0.8
    expect(m.OVERALL.cmc).toEqual({ '1': 0.4, '2': 0.8 });
    // precision@2 = hits in top 2 / min(n_gt, 2): a0 1/2, a1 1/2, a2 1/2, b0 0/1, b1 1/1
    expect(m.OVERALL.precision['2']).toBeCloseTo((0.5 + 0.5 + 0.5 + 0 + 1) / 5, 12);
    // map@4 = mean over hits of (hits so far / rank): a0 (1 + 2/3)/2, a1 same, a2 (1/2 + 2/4)/2, b0 (1/4)/1, b1 (1/2)/1
    const ap = [(1 + 2 / 3) / 2, (1 + 2 / 3) / 2, (1 / 2 + 2 / 4) / 2, 1 / 4, 1 / 2];
    expect(m.OVERALL.map['4']).toBeCloseTo(ap.reduce((a, b) => a + b) / 5, 12);
    expect(m.x.cmc['1']).toBeCloseTo(2 / 3, 12);
    expect(m.y.cmc['2']).toBe(0.5);
  });

  it('names the path and row of a missing embedding', () => {
    writeFileSync(path.join(dir, 'missing.json'), JSON.stringify({ 'a0.png': [0], 'a1.png': [1], 'a2.png': [5], 'b0.png': [2] }));
    const { code, stderr } = cli(['evaluate', '--dataset', csv, '--embeddings', path.join(dir, 'missing.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain('no embedding for "b1.png" (row 6)');
  });

  it('names the path of wrong dimensions and NaNs', () => {
    writeFileSync(
      path.join(dir, 'bad.json'),
      JSON.stringify({ 'a0.png': [0, 1], 'a1.png': [1], 'a2.png': [5, 1], 'b0.png': [2, 'x'], 'b1.png': [9, 1] }),
    );
    const { code, stderr } = cli(['evaluate', '--dataset', csv, '--embeddings', path.join(dir, 'bad.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain('embedding for "a1.png" (row 3) has 1 values, the first one had 2');
    expect(stderr).toContain(`2 embedding problem(s) in ${path.join(dir, 'bad.json')}:`);
    expect(stderr).toContain('embedding for "b0.png" (row 5) has the string "x" at index 1, not a float32 number');
  });

  it('rejects invalid k values and missing flags', () => {
    expect(cli(['evaluate', '--dataset', csv, '--embeddings', path.join(dir, 'pred.json'), '--cmc', '0']).stderr).toContain(
      '--cmc takes whole numbers from 1 to 1,000,000 (top-k), got 0',
    );
    expect(cli(['evaluate', '--dataset', csv]).code).toBe(2);
  });
});

describe('metric-studio evaluate --baseline raw-pixels', () => {
  it('equals evaluating raw pixels computed here (grey, 28×28, /255, L2-normalised) as an OML predictions file', async () => {
    // The shipped sample's first 40 validation rows (4 labels × 10), a small but real image set.
    const sampleDir = path.dirname(SAMPLE_CSV);
    const lines = readFileSync(SAMPLE_CSV, 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const keep = new Map<string, number>();
    const rows = lines.slice(1).filter((l) => {
      const [label, , split] = l.split(',');
      if (split !== 'validation') return false;
      const n = keep.get(label!) ?? 0;
      if (n >= 10 || (keep.size >= 4 && !keep.has(label!))) return false;
      keep.set(label!, n + 1);
      return true;
    });
    const small = writeCsv(path.join(dir, 'raw.csv'), [header, ...rows.map((l) => l.split(','))]);
    const predictions: Record<string, number[]> = {};
    for (const l of rows) {
      const rel = l.split(',')[1]!;
      const px = await sharp(path.join(sampleDir, rel)).greyscale().resize(28, 28, { fit: 'fill' }).raw().toBuffer();
      const v = Array.from(px, (b) => b / 255);
      const norm = Math.hypot(...v);
      predictions[rel] = v.map((x) => Math.fround(x / norm));
    }
    writeFileSync(path.join(dir, 'raw.json'), JSON.stringify(predictions));
    const flags = ['--cmc', '1,5', '--map', '5', '--precision', '3', '--json'];
    const baseline = cli(['evaluate', '--dataset', small, '--root', sampleDir, '--baseline', 'raw-pixels', ...flags]);
    expect(baseline.stderr).not.toMatch(/\n\s+at /);
    expect(baseline.code).toBe(0);
    const mine = cli(['evaluate', '--dataset', small, '--root', sampleDir, '--embeddings', path.join(dir, 'raw.json'), ...flags]);
    expect(mine.code).toBe(0);
    const a = JSON.parse(baseline.stdout).OVERALL;
    const b = JSON.parse(mine.stdout).OVERALL;
    for (const [name, k] of [
      ['cmc', '1'],
      ['cmc', '5'],
      ['map', '5'],
      ['precision', '3'],
    ] as const)
      expect(a[name][k], `${name}@${k}`).toBeCloseTo(b[name][k], 6);
    // Raw pixels find something on clothing (CMC@1 well above chance, 1/4) but not everything.
    expect(a.cmc['1']).toBeGreaterThan(0.4);
    expect(a.cmc['1']).toBeLessThan(1);
  }, 60_000);
});
